import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { RunLog, RunSummary } from '../model/run-log.js';
import { toJson, toJsonOrNull } from './json.js';
import type { StateDatabase } from './state-database.js';
import type { StateTables } from './state-tables.js';

/** RunLog over the `sync_run` table; the lock is the state database's (an advisory lock on Postgres). */
export class PostgresRunLog implements RunLog {
  readonly #db: Kysely<StateTables>;
  readonly #database: StateDatabase;

  constructor(database: StateDatabase) {
    this.#db = database.db;
    this.#database = database;
  }

  async tryLock(sync: string, object: string): Promise<(() => Promise<void>) | null> {
    return this.#database.tryLock(`sync:${sync}:object:${object}`);
  }

  async isLocked(sync: string, object: string): Promise<boolean> {
    return this.#database.isLocked(`sync:${sync}:object:${object}`);
  }

  async startRun(
    sync: string,
    objects: readonly string[],
    dryRun: boolean,
    policyVersions: Readonly<Record<string, string>>,
  ): Promise<string> {
    const row = await this.#db
      .insertInto('sync_run')
      .values({
        sync_name: sync,
        status: 'running',
        dry_run: dryRun,
        objects: [...objects],
        counts: '{}',
        policy_versions: toJson(policyVersions),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return String(row.id);
  }

  async finishRun(runId: string, status: RunSummary['status'], counts: unknown, error: unknown = null): Promise<void> {
    await this.#db
      .updateTable('sync_run')
      .set({ status, counts: toJson(counts), finished_at: new Date(), error: toJsonOrNull(error) })
      .where('id', '=', runId)
      .execute();
  }

  /** Marks runs left `running` by a process that died as `interrupted`. */
  async markInterruptedRuns(sync: string, objects: readonly string[]): Promise<number> {
    const result = await sql`
      update ${sql.id(this.#database.schema, 'sync_run')}
         set status = 'interrupted', finished_at = now()
       where sync_name = ${sync} and status = 'running' and objects && ${[...objects]}::text[]`.execute(this.#db);
    return Number(result.numAffectedRows ?? 0);
  }

  async listRuns(sync: string, limit = 10): Promise<readonly RunSummary[]> {
    const rows = await this.#db
      .selectFrom('sync_run')
      .selectAll()
      .where('sync_name', '=', sync)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: String(r.id),
      sync: r.sync_name,
      startedAt: new Date(r.started_at).toISOString(),
      finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
      status: r.status,
      dryRun: r.dry_run,
      objects: r.objects,
      counts: r.counts,
      policyVersions: (r.policy_versions ?? {}) as Record<string, string>,
      error: r.error,
    }));
  }
}

/** Stores a run's counters (`db` may be the transaction of the write set they describe). */
export async function updateRunCounts(db: Kysely<StateTables>, runId: string, counts: unknown): Promise<void> {
  await db
    .updateTable('sync_run')
    .set({ counts: toJson(counts) })
    .where('id', '=', runId)
    .execute();
}
