import type { SyncedState } from '../harness/synced-state.js';
import { syncInChild, type SyncRun } from './incremental-sync.js';

/**
 * Scenario 5: nothing changed. One unmeasured settling run first (it reads back the echoes of the last incremental
 * run's writes), then `runs` measured runs, each of which must write nothing.
 */
export async function benchQuietRerun(state: SyncedState, runs: number): Promise<SyncRun[]> {
  await syncInChild(state);
  const out: SyncRun[] = [];
  for (let i = 0; i < runs; i += 1) {
    const run = await syncInChild(state);
    if (run.writes !== 0) throw new Error(`a quiet re-run wrote ${run.writes} records`);
    console.error(
      `  quiet re-run ${i + 1}: sync ${(run.syncMs / 1000).toFixed(2)} s, ${run.httpCalls} HTTP calls, captured erp ${run.captured.erp} crm ${run.captured.crm}`,
    );
    out.push(run);
  }
  return out;
}
