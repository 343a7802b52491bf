import { sql, type Kysely } from 'kysely';
import type {
  FailedAction,
  FailedQueue,
  FailedRecordView,
  FailedSelector,
  OperatorActionView,
} from '../model/failed-queue.js';
import { toJson } from './json.js';
import type { StateDatabase } from './state-database.js';
import type { StateTables } from './state-tables.js';
import type { StateStoreOptions } from './state-store-options.js';

/** How many of an action's records its view carries (the audit table keeps them all). */
const RECORDS_IN_VIEW = 100;

/** FailedQueue over the `failed_record` table, with the operator actions in `operator_action(_record)`. */
export class PostgresFailedQueue implements FailedQueue {
  readonly #db: Kysely<StateTables>;
  readonly #schema: string;
  readonly #recordEvents: boolean;

  constructor(database: StateDatabase, options: StateStoreOptions = {}) {
    this.#db = database.db;
    this.#schema = database.schema;
    this.#recordEvents = options.recordEvents ?? true;
  }

  async listFailed(
    sync: string,
    filter: { readonly object?: string; readonly limit?: number } = {},
  ): Promise<readonly FailedRecordView[]> {
    let query = this.#db.selectFrom('failed_record').selectAll().where('sync_name', '=', sync);
    if (filter.object) query = query.where('object', '=', filter.object);
    const rows = await query
      .orderBy('last_failed_at', 'desc')
      .orderBy('object')
      .orderBy('key')
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
      skippedAt: r.skipped_at ? new Date(r.skipped_at).toISOString() : null,
      skippedBy: r.skipped_by,
    }));
  }

  async objectsWithFailedKey(sync: string, key: string): Promise<readonly string[]> {
    const rows = await this.#db
      .selectFrom('failed_record')
      .select('object')
      .distinct()
      .where('sync_name', '=', sync)
      .where('key', '=', key)
      .orderBy('object')
      .execute();
    return rows.map((r) => r.object);
  }

  async actOnFailed(
    sync: string,
    action: FailedAction,
    selector: FailedSelector,
    actor: string,
    now: Date,
  ): Promise<OperatorActionView | null> {
    const failed = sql.id(this.#schema, 'failed_record');
    const where = sql.join(
      [
        sql`sync_name = ${sync}`,
        ...(selector.object !== undefined ? [sql`object = ${selector.object}`] : []),
        ...(selector.key !== undefined ? [sql`key = ${selector.key}`] : []),
      ],
      sql` and `,
    );
    const change =
      action === 'retry'
        ? sql`update ${failed} set next_retry_at = ${now}, skipped_at = null, skipped_by = null where ${where}`
        : action === 'skip'
          ? sql`update ${failed} set skipped_at = ${now}, skipped_by = ${actor} where ${where}`
          : sql`delete from ${failed} where ${where}`;
    const id = await this.#db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('operator_action')
        .values({
          sync_name: sync,
          action: `failed-${action}`,
          selector: toJson(selector),
          affected: 0,
          actor,
          created_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const recorded = await sql`
        with changed as (${change} returning object, system, key, status, reason, attempts)
        insert into ${sql.id(this.#schema, 'operator_action_record')}
          (action_id, sync_name, object, system, key, status, reason, attempts)
        select ${inserted.id}::bigint, ${sync}::text, object, system, key, status, reason, attempts from changed`.execute(
        trx,
      );
      const affected = Number(recorded.numAffectedRows ?? 0);
      if (affected === 0) {
        await trx.deleteFrom('operator_action').where('id', '=', inserted.id).execute();
        return null;
      }
      await trx.updateTable('operator_action').set({ affected }).where('id', '=', inserted.id).execute();
      // Each record's timeline: one event per record the action touched, from the audit rows just written.
      if (this.#recordEvents)
        await sql`
          insert into ${sql.id(this.#schema, 'record_event')} (sync_name, object, key, kind, system, detail)
          select sync_name, object, key, 'operator-action', system,
                 jsonb_build_object('action', ${`failed-${action}`}::text, 'actor', ${actor}::text, 'operatorActionId', action_id)
            from ${sql.id(this.#schema, 'operator_action_record')} where action_id = ${inserted.id}::bigint`.execute(
          trx,
        );
      return inserted.id;
    });
    if (id === null) return null;
    const [view] = await this.#actions(sync, 1, id);
    return view ?? null;
  }

  async listOperatorActions(sync: string, limit = 10): Promise<readonly OperatorActionView[]> {
    return this.#actions(sync, limit);
  }

  async #actions(sync: string, limit: number, id?: string): Promise<OperatorActionView[]> {
    let query = this.#db.selectFrom('operator_action').selectAll().where('sync_name', '=', sync);
    if (id !== undefined) query = query.where('id', '=', id);
    const actions = await query.orderBy('id', 'desc').limit(limit).execute();
    return Promise.all(
      actions.map(async (a) => {
        const records = await this.#db
          .selectFrom('operator_action_record')
          .select(['object', 'system', 'key', 'status', 'reason', 'attempts'])
          .where('action_id', '=', a.id)
          .orderBy('object')
          .orderBy('key')
          .orderBy('system')
          .limit(RECORDS_IN_VIEW)
          .execute();
        const selector = (typeof a.selector === 'string' ? JSON.parse(a.selector) : a.selector) as FailedSelector;
        return {
          id: String(a.id),
          action: a.action,
          selector,
          affected: a.affected,
          actor: a.actor,
          at: new Date(a.created_at).toISOString(),
          records,
        };
      }),
    );
  }
}
