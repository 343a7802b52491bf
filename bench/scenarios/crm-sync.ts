import { loadavg } from 'node:os';
import pg from 'pg';
import { runInChild } from '../harness/child-process.js';
import { dropStateSchema } from '../harness/bench-engine.js';
import type { CrmBenchEngineOptions } from '../harness/crm-bench-engine.js';
import type { CrmEmulatorKind, CrmEmulatorStats } from '../harness/crm-emulator-protocol.js';
import { startCrmEmulatorProcess, type CrmEmulatorProcess } from '../harness/crm-emulator-process.js';
import { customerKey } from '../harness/erp-fixture.js';
import type { CrmSyncResult } from './crm-sync-child.js';

/** Edited records per side in each incremental round. */
export const CRM_CHANGES_PER_SIDE = 1000;

/** One measured `runSync` child process against a HubSpot or Zoho emulator. */
export interface CrmSyncRun extends CrmSyncResult {
  readonly maxRssMb: number;
  readonly wallMs: number;
  /** What the emulator counted during the run (after - before). */
  readonly emulator: CrmEmulatorStats;
  /** 1-minute load average when the run started. */
  readonly loadAverage: number;
}

/** Everything one CRM's bench measured: the initial loads, the incremental rounds and the quiet re-runs. */
export interface CrmBenchRuns {
  readonly kind: CrmEmulatorKind;
  readonly rows: number;
  readonly loads: readonly CrmSyncRun[];
  readonly increments: readonly CrmSyncRun[];
  readonly quiet: readonly CrmSyncRun[];
  /** Why a later phase (incremental, quiet) stopped, if it did; the figures measured before it are kept. */
  readonly error?: Error;
}

function delta(after: CrmEmulatorStats, before: CrmEmulatorStats): CrmEmulatorStats {
  const out: Record<string, number> = {};
  for (const k of Object.keys(after) as (keyof CrmEmulatorStats)[]) out[k] = after[k] - before[k];
  return out as unknown as CrmEmulatorStats;
}

async function syncInChild(emulator: CrmEmulatorProcess, engine: CrmBenchEngineOptions): Promise<CrmSyncRun> {
  const loadAverage = loadavg()[0] ?? 0;
  const before = await emulator.stats();
  const child = await runInChild<CrmSyncResult>(
    new URL('./crm-sync-child.ts', import.meta.url),
    'crmSyncChild',
    engine,
  );
  const counted = delta(await emulator.stats(), before);
  if (child.result.status !== 'succeeded')
    throw new Error(`${engine.emulator.kind} sync ended ${child.result.status}: ${child.result.error ?? ''}`);
  return { ...child.result, maxRssMb: child.maxRssMb, wallMs: child.wallMs, emulator: counted, loadAverage };
}

/**
 * Round `round`'s edits: 1,000 ERP rows (an UPDATE; the trigger stamps updated_at) and 1,000 other records in the
 * CRM (phone, through the emulator's store as a user would), disjoint so that no conflict is involved.
 */
async function editBothSides(
  emulator: CrmEmulatorProcess,
  engine: CrmBenchEngineOptions,
  rows: number,
  round: number,
): Promise<void> {
  const base = round * 2 * CRM_CHANGES_PER_SIDE;
  if (base + 2 * CRM_CHANGES_PER_SIDE > rows) throw new Error(`round ${round} needs more than ${rows} records`);
  const erpKeys = Array.from({ length: CRM_CHANGES_PER_SIDE }, (_, i) => customerKey(base + i + 1));
  const crmKeys = Array.from({ length: CRM_CHANGES_PER_SIDE }, (_, i) =>
    customerKey(base + CRM_CHANGES_PER_SIDE + i + 1),
  );
  const client = new pg.Client({ connectionString: engine.databaseUrl });
  await client.connect();
  try {
    await client.query(`update ${engine.table} set city = city || ' (r${round})' where customer_no = any($1::text[])`, [
      erpKeys,
    ]);
  } finally {
    await client.end();
  }
  await emulator.edit(crmKeys, `+4799${String(round).padStart(2, '0')}00000`);
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);

/**
 * `runs` initial loads of `rows` ERP customers into a fresh emulator and state schema each; on the last one's
 * state, one unmeasured incremental round (it also reads back the load's echoes), `runs` measured rounds of 1,000
 * edits per side, one unmeasured settling run and `runs` quiet re-runs (each must write nothing).
 */
export async function benchCrmSync(
  kind: CrmEmulatorKind,
  databaseUrl: string,
  table: string,
  rows: number,
  runs: number,
): Promise<CrmBenchRuns> {
  const loads: CrmSyncRun[] = [];
  const increments: CrmSyncRun[] = [];
  const quiet: CrmSyncRun[] = [];
  let error: Error | undefined;
  for (let i = 0; i < runs; i += 1) {
    const emulator = await startCrmEmulatorProcess(kind);
    const engine: CrmBenchEngineOptions = {
      databaseUrl,
      table,
      stateSchema: `bench_state_${process.pid}_${kind}${i}`,
      emulator: emulator.info,
    };
    try {
      const load = await syncInChild(emulator, engine);
      const records = await emulator.count();
      if (load.created !== rows || records !== rows)
        throw new Error(`${kind} initial load created ${load.created} of ${rows} records (emulator holds ${records})`);
      loads.push(load);
      console.error(
        `  ${kind} initial load ${i + 1}: ${seconds(load.syncMs)} s, ${load.maxRssMb} MB, ${load.emulator.httpRequests} HTTP requests, ${load.emulator.credits} credits (load avg ${load.loadAverage.toFixed(1)})`,
      );
      if (i < runs - 1) continue;
      error = await incrementsAndQuiet(kind, emulator, engine, rows, runs, increments, quiet).catch((e: Error) => e);
    } finally {
      await emulator.close();
      await dropStateSchema(databaseUrl, engine.stateSchema);
    }
  }
  return { kind, rows, loads, increments, quiet, ...(error ? { error } : {}) };
}

async function incrementsAndQuiet(
  kind: CrmEmulatorKind,
  emulator: CrmEmulatorProcess,
  engine: CrmBenchEngineOptions,
  rows: number,
  runs: number,
  increments: CrmSyncRun[],
  quiet: CrmSyncRun[],
): Promise<undefined> {
  for (let round = 0; round <= runs; round += 1) {
    await editBothSides(emulator, engine, rows, round);
    const run = await syncInChild(emulator, engine);
    if (run.written.erp !== CRM_CHANGES_PER_SIDE || run.written.crm !== CRM_CHANGES_PER_SIDE)
      throw new Error(
        `${kind} round ${round}: expected ${CRM_CHANGES_PER_SIDE} writes per side, got erp ${run.written.erp}, crm ${run.written.crm} (captured erp ${run.captured.erp}, crm ${run.captured.crm})`,
      );
    console.error(
      `  ${kind} incremental ${round === 0 ? 'warm-up' : `run ${round}`}: ${seconds(run.syncMs)} s, ${run.emulator.httpRequests} HTTP requests, ${run.emulator.credits} credits, captured erp ${run.captured.erp} crm ${run.captured.crm}`,
    );
    if (round > 0) increments.push(run);
  }
  await syncInChild(emulator, engine);
  for (let q = 0; q < runs; q += 1) {
    const run = await syncInChild(emulator, engine);
    if (run.writes !== 0) throw new Error(`a ${kind} quiet re-run wrote ${run.writes} records`);
    console.error(
      `  ${kind} quiet re-run ${q + 1}: ${seconds(run.syncMs)} s, ${run.emulator.httpRequests} HTTP requests, ${run.emulator.credits} credits`,
    );
    quiet.push(run);
  }
  return undefined;
}
