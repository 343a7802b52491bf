import pg from 'pg';
import { runInChild } from '../harness/child-process.js';
import { customerKey } from '../harness/erp-fixture.js';
import { measureRun, runApplicationName, type RunCpu } from '../harness/measured-run.js';
import type { SyncedState } from '../harness/synced-state.js';
import type { SyncOnceResult } from './sync-once-child.js';

/** Edited records per side per run. */
export const CHANGES_PER_SIDE = 1000;

export interface SyncRun extends SyncOnceResult {
  readonly maxRssMb: number;
  readonly httpCalls: number;
  readonly wallMs: number;
  readonly cpuMs: RunCpu;
}

/**
 * One `tandem sync` process against the synced state, with its HTTP calls counted at the emulator and the CPU time of
 * the process, its Postgres backends and the emulator measured beside it.
 */
export async function syncInChild(state: SyncedState): Promise<SyncRun> {
  const applicationName = runApplicationName('sync');
  const run = await measureRun(
    state.emulator,
    state.engine.databaseUrl,
    applicationName,
    () =>
      runInChild<SyncOnceResult>(new URL('./sync-once-child.ts', import.meta.url), 'syncOnceChild', {
        ...state.engine,
        applicationName,
      }),
    { remote: false },
  );
  const child = run.child;
  if (child.result.status !== 'succeeded') throw new Error(`sync ended ${child.result.status}`);
  return {
    ...child.result,
    maxRssMb: child.maxRssMb,
    httpCalls: run.httpCalls,
    wallMs: child.wallMs,
    cpuMs: run.cpuMs,
  };
}

/**
 * Edits round `round`'s records: 1000 ERP rows (an UPDATE, the trigger stamps updated_at) and 1000 other records in
 * the CRM (through the emulator's admin API, as a user would), disjoint so that no conflict is involved.
 */
export async function editBothSides(state: SyncedState, round: number): Promise<void> {
  const base = round * 2 * CHANGES_PER_SIDE;
  if (base + 2 * CHANGES_PER_SIDE > state.crmRows)
    throw new Error(`round ${round} needs more than ${state.crmRows} CRM records`);
  const erpKeys = Array.from({ length: CHANGES_PER_SIDE }, (_, i) => customerKey(base + i + 1));
  const crmKeys = Array.from({ length: CHANGES_PER_SIDE }, (_, i) => customerKey(base + CHANGES_PER_SIDE + i + 1));
  const client = new pg.Client({ connectionString: state.engine.databaseUrl });
  await client.connect();
  try {
    await client.query(
      `update ${state.engine.table} set city = city || ' (r${round})' where customer_no = any($1::text[])`,
      [erpKeys],
    );
  } finally {
    await client.end();
  }
  // A phone no earlier round gave that record: scenarios share the ERP table (after-load's rounds edit the same keys,
  // and their values reach the ERP), so a value built from the round alone could equal what the record already holds,
  // and tandem rightly ignores an edit that changes nothing.
  const salt = `${round}${Date.now().toString(36)}`;
  await state.emulator.saveRecords(
    'Account',
    crmKeys.map((key) => ({
      Id: state.crmIds.get(key),
      Phone: `+4799 ${salt} ${key.slice(-5)}`,
    })),
  );
}

/**
 * Scenario 4 on one table: an unmeasured warm-up round (so every measured run also reads back the previous run's
 * echoes, as in steady operation), then `runs` measured rounds of edits + sync. Each must write exactly the 2000
 * edits across.
 */
export async function benchIncremental(
  state: SyncedState,
  runs: number,
  options: {
    /** Called before the warm-up round's edits (e.g. to wait until a first load has left the CRM lookback window). */
    readonly beforeWarmUp?: () => Promise<void>;
    /** Receives the unmeasured warm-up round (the first increment after the state was set up). */
    readonly onWarmUp?: (run: SyncRun) => void;
  } = {},
): Promise<SyncRun[]> {
  const out: SyncRun[] = [];
  await options.beforeWarmUp?.();
  for (let round = 0; round <= runs; round += 1) {
    await editBothSides(state, round);
    const run = await syncInChild(state);
    if (run.written.erp !== CHANGES_PER_SIDE || run.written.crm !== CHANGES_PER_SIDE) {
      throw new Error(
        `round ${round}: expected ${CHANGES_PER_SIDE} writes per side, got erp ${run.written.erp}, crm ${run.written.crm} (captured erp ${run.captured.erp}, crm ${run.captured.crm})`,
      );
    }
    console.error(
      `  incremental ${state.rows.toLocaleString('en-US')} rows, ${round === 0 ? 'warm-up' : `run ${round}`}: sync ${(run.syncMs / 1000).toFixed(2)} s, ${run.httpCalls} HTTP calls, ${run.maxRssMb} MB`,
    );
    if (round > 0) out.push(run);
    else options.onWarmUp?.(run);
  }
  return out;
}
