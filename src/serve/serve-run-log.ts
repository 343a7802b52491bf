import { sql } from 'kysely';
import type { StateDatabase } from '../state/state-database.js';

/** Why a serve run started. */
export type RunTrigger = 'increment' | 'full' | 'api' | 'retry';

/** One run started by `tandem serve`, joined with the run history. */
export interface ServeRunRow {
  readonly runId: string;
  readonly objects: readonly string[];
  readonly full: boolean;
  readonly trigger: RunTrigger;
  readonly replica: string;
  readonly jobId: string | null;
  readonly startedAt: string;
}

/**
 * Which replica ran which run (table serve_run, migration 0004). Written once the run is over: a run cut short by a
 * dead process shows up in the run history as `interrupted`, without a replica.
 */
export async function recordServeRun(
  database: StateDatabase,
  sync: string,
  row: Omit<ServeRunRow, 'startedAt'>,
): Promise<void> {
  await sql`
    insert into ${sql.id(database.schema, 'serve_run')} (run_id, sync_name, objects, full_run, trigger, replica, job_id)
    values (${row.runId}, ${sync}, ${[...row.objects]}::text[], ${row.full}, ${row.trigger}, ${row.replica}, ${row.jobId})
    on conflict (run_id) do nothing`.execute(database.db);
}

export async function serveRunsOf(
  database: StateDatabase,
  sync: string,
  runIds: readonly string[],
): Promise<Map<string, ServeRunRow>> {
  if (runIds.length === 0) return new Map();
  const result = await sql<{
    run_id: string;
    objects: string[];
    full_run: boolean;
    trigger: RunTrigger;
    replica: string;
    job_id: string | null;
    started_at: Date | string;
  }>`
    select run_id::text as run_id, objects, full_run, trigger, replica, job_id, started_at
      from ${sql.id(database.schema, 'serve_run')}
     where sync_name = ${sync} and run_id = any(${runIds.map(Number)}::bigint[])`.execute(database.db);
  return new Map(
    result.rows.map((r) => [
      r.run_id,
      {
        runId: r.run_id,
        objects: r.objects,
        full: r.full_run,
        trigger: r.trigger,
        replica: r.replica,
        jobId: r.job_id,
        startedAt: new Date(r.started_at).toISOString(),
      },
    ]),
  );
}
