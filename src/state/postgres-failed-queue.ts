import type { Kysely } from 'kysely';
import type { FailedQueue, FailedRecordView } from '../model/failed-queue.js';
import type { StateDatabase } from './state-database.js';
import type { StateTables } from './state-tables.js';

/** FailedQueue over the `failed_record` table. */
export class PostgresFailedQueue implements FailedQueue {
  readonly #db: Kysely<StateTables>;

  constructor(database: StateDatabase) {
    this.#db = database.db;
  }

  async listFailed(
    sync: string,
    filter: { readonly object?: string; readonly limit?: number } = {},
  ): Promise<readonly FailedRecordView[]> {
    let query = this.#db.selectFrom('failed_record').selectAll().where('sync_name', '=', sync);
    if (filter.object) query = query.where('object', '=', filter.object);
    const rows = await query
      .orderBy('last_failed_at', 'desc')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map((r) => ({
      object: r.object,
      system: r.system,
      key: r.key,
      status: r.status,
      reason: r.reason,
      attempts: r.attempts,
      nextRetryAt: new Date(r.next_retry_at).toISOString(),
      lastFailedAt: new Date(r.last_failed_at).toISOString(),
    }));
  }
}
