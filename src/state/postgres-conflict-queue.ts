import { sql, type Kysely } from 'kysely';
import type { ConflictAnswer } from '../model/conflict.js';
import type { ConflictQueue } from '../model/conflict-queue.js';
import type { QueuedConflict } from '../model/queued-conflict.js';
import { toJson } from './json.js';
import { conflictView } from './state-rows.js';
import type { StateDatabase } from './state-database.js';
import type { StateTables } from './state-tables.js';
import type { StateStoreOptions } from './state-store-options.js';

/** ConflictQueue over the `conflict` table (conflicts are queued and resolved by `RecordStore.apply`). */
export class PostgresConflictQueue implements ConflictQueue {
  readonly #db: Kysely<StateTables>;
  readonly #schema: string;
  readonly #recordEvents: boolean;

  constructor(database: StateDatabase, options: StateStoreOptions = {}) {
    this.#db = database.db;
    this.#schema = database.schema;
    this.#recordEvents = options.recordEvents ?? true;
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

  /** Records a person's answer; with history kept, also an `operator-action` event of the record (same statement). */
  async answerConflict(sync: string, object: string, key: string, answer: ConflictAnswer): Promise<boolean> {
    const conflict = sql.id(this.#schema, 'conflict');
    const update = sql`update ${conflict} set resolution = ${toJson(answer)}::jsonb, updated_at = ${new Date()}
      where sync_name = ${sync} and object = ${object} and key = ${key} and status = 'open'`;
    if (!this.#recordEvents) {
      const result = await update.execute(this.#db);
      return Number(result.numAffectedRows ?? 0) === 1;
    }
    const detail = {
      action: 'conflict-answer',
      ...('take' in answer ? { take: answer.take } : { set: Object.keys(answer.set).sort() }),
      actor: answer.by,
    };
    const result = await sql<{ key: string }>`
      with answered as (${update} returning sync_name, object, key)
      insert into ${sql.id(this.#schema, 'record_event')} (sync_name, object, key, kind, detail)
      select sync_name, object, key, 'operator-action', ${toJson(detail)}::jsonb from answered`.execute(this.#db);
    return Number(result.numAffectedRows ?? 0) === 1;
  }
}
