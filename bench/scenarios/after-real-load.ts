import pg from 'pg';
import type { BenchSettings } from '../harness/bench-settings.js';
import { dropStateSchema } from '../harness/bench-engine.js';
import { startEmulatorProcess } from '../harness/emulator-process.js';
import { customerKey } from '../harness/erp-fixture.js';
import type { SyncedState } from '../harness/synced-state.js';
import { initialLoadOnce, type InitialLoadRun } from './initial-load.js';

/** The state a real first load left: the one the increments and quiet runs after it are measured on. */
export interface LoadedState extends SyncedState {
  readonly load: InitialLoadRun;
}

/**
 * Runs a real first load of `table` (tandem's own initial load, as in the initial-load scenario) into a fresh
 * emulator and keeps its state schema and emulator: what the first increments after it meet (the staging tables a
 * million rows went through, record_state written by the engine) instead of state seeded in SQL. The Salesforce Ids
 * of the first `crmRows` keys, for the CRM-side edits, come from record_state.
 */
export async function realLoadState(
  settings: BenchSettings,
  table: string,
  rows: number,
  crmRows: number,
  tag: string,
): Promise<LoadedState> {
  const started = Date.now();
  const emulator = await startEmulatorProcess();
  const stateSchema = `bench_state_${process.pid}_${tag}`;
  const close = async () => {
    await emulator.close();
    await dropStateSchema(settings.databaseUrl, stateSchema);
  };
  try {
    const load = await initialLoadOnce(settings, table, rows, tag, { keep: { emulator, stateSchema } });
    const client = new pg.Client({ connectionString: settings.databaseUrl });
    await client.connect();
    const crmIds = new Map<string, string>();
    try {
      const { rows: ids } = await client.query<{ key: string; crm_id: string }>(
        `select key, crm_id from ${stateSchema}.record_state where sync_name = 'bench' and object = 'account' and key <= $1`,
        [customerKey(crmRows)],
      );
      for (const r of ids) crmIds.set(r.key, r.crm_id);
    } finally {
      await client.end();
    }
    if (crmIds.size !== crmRows) throw new Error(`the first load left ${crmIds.size} of ${crmRows} CRM ids`);
    return {
      engine: {
        databaseUrl: settings.databaseUrl,
        table,
        stateSchema,
        emulatorUrl: emulator.url,
        clientId: emulator.clientId,
        clientSecret: emulator.clientSecret,
      },
      emulator,
      rows,
      crmRows,
      crmIds,
      setupMs: Date.now() - started,
      load,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
