import type { Kysely } from 'kysely';
import type { ConflictAnswer } from '../model/conflict.js';
import type { ConflictQueue } from '../model/conflict-queue.js';
import type { QueuedConflict } from '../model/queued-conflict.js';
import { toJson } from './json.js';
import { conflictView } from './state-rows.js';
import type { StateDatabase } from './state-database.js';
import type { StateTables } from './state-tables.js';

/** ConflictQueue over the `conflict` table (conflicts are queued and resolved by `RecordStore.apply`). */
export class PostgresConflictQueue implements ConflictQueue {
  readonly #db: Kysely<StateTables>;

  constructor(database: StateDatabase) {
    this.#db = database.db;
  }

  async listConflicts(
    sync: string,
    filter: { readonly object?: string; readonly status?: 'open' | 'resolved'; readonly limit?: number } = {},
  ): Promise<readonly QueuedConflict[]> {
    let query = this.#db.selectFrom('conflict').selectAll().where('sync_name', '=', sync);
    if (filter.object) query = query.where('object', '=', filter.object);
    query = query.where('status', '=', filter.status ?? 'open');
    const rows = await query
      .orderBy('object')
      .orderBy('key')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map(conflictView);
  }

  async objectsWithConflictKey(sync: string, key: string, anyStatus = false): Promise<readonly string[]> {
    let query = this.#db.selectFrom('conflict').select('object').where('sync_name', '=', sync).where('key', '=', key);
    if (!anyStatus) query = query.where('status', '=', 'open');
    const rows = await query.orderBy('object').execute();
    return rows.map((r) => r.object);
  }

  async getConflict(sync: string, object: string, key: string): Promise<QueuedConflict | undefined> {
    const row = await this.#db
      .selectFrom('conflict')
      .selectAll()
      .where('sync_name', '=', sync)
      .where('object', '=', object)
      .where('key', '=', key)
      .executeTakeFirst();
    return row ? conflictView(row) : undefined;
  }

  async answerConflict(sync: string, object: string, key: string, answer: ConflictAnswer): Promise<boolean> {
    const result = await this.#db
      .updateTable('conflict')
      .set({ resolution: toJson(answer), updated_at: new Date() })
      .where('sync_name', '=', sync)
      .where('object', '=', object)
      .where('key', '=', key)
      .where('status', '=', 'open')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
