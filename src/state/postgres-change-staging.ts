import { sql, type Kysely } from 'kysely';
import type { ChangeStaging, KnownSide, Presence } from '../model/change-staging.js';
import type { ConflictAnswer } from '../model/conflict.js';
import type { OutboxEntry, PlanningInput, RecordState, StagedChange } from '../model/record-rows.js';
import type { SystemId } from '../model/system.js';
import type { Watermark } from '../model/watermark.js';
import type { WatermarkKey } from '../model/watermark-store.js';
import { rowSource, type CopyColumn } from './copy-rows.js';
import { asFields, toJson } from './json.js';
import { PostgresWatermarkStore } from './postgres-watermark-store.js';
import { insertRecordEvents } from './record-events.js';
import { loadStates, outboxEntry } from './state-rows.js';
import type { StateStoreOptions } from './state-store-options.js';
import type { StateDatabase } from './state-database.js';
import type { StateTables } from './state-tables.js';

const INBOX_COLUMNS: readonly CopyColumn[] = [
  { name: 'key', type: 'text' },
  { name: 'native_id', type: 'text' },
  { name: 'fields', type: 'jsonb' },
  { name: 'modified_at', type: 'text' },
  { name: 'deleted', type: 'boolean' },
  { name: 'key_missing', type: 'boolean' },
];

/** ChangeStaging over the `inbox` and `outbox` tables (and what planning reads with them). */
export class PostgresChangeStaging implements ChangeStaging {
  readonly #db: Kysely<StateTables>;
  readonly #schema: string;
  readonly #recordEvents: boolean;

  constructor(database: StateDatabase, options: StateStoreOptions = {}) {
    this.#db = database.db;
    this.#schema = database.schema;
    this.#recordEvents = options.recordEvents ?? true;
  }

  /**
   * Stages captured changes in the inbox and advances the side's watermark, in one transaction: a capture is
   * either durable together with its watermark, or neither happened. A newer capture of a key replaces an older one.
   * Returns whether the watermark moved (it does not when `next` is not ahead of the stored one). Each staged change
   * is also a `captured` event of its record's timeline, in the same transaction. Many changes go through COPY
   * (copy-rows.ts) into a temporary table, then one `insert ... select ... on conflict`.
   */
  async stageChanges(
    key: WatermarkKey,
    changes: readonly StagedChange[],
    next: Watermark | null,
    runId: string | null = null,
  ): Promise<{ advanced: boolean }> {
    return this.#db.transaction().execute(async (trx) => {
      const unique = new Map<string, StagedChange>();
      for (const change of changes) unique.set(change.key, change);
      const rows = [...unique.values()];
      if (rows.length > 0) {
        const source = await rowSource(
          trx,
          INBOX_COLUMNS,
          rows.map((c) => [c.key, c.nativeId, toJson(c.fields), c.modifiedAt, c.deleted, c.keyMissing]),
        );
        await trx
          .insertInto('inbox')
          .columns([
            'sync_name',
            'object',
            'system',
            'key',
            'native_id',
            'fields',
            'modified_at',
            'deleted',
            'key_missing',
          ])
          .expression(sql`select ${key.sync}::text, ${key.object}::text, ${key.system}::text, u.* from ${source}`)
          .onConflict((oc) =>
            oc.columns(['sync_name', 'object', 'key', 'system']).doUpdateSet((eb) => ({
              native_id: eb.ref('excluded.native_id'),
              fields: eb.ref('excluded.fields'),
              modified_at: eb.ref('excluded.modified_at'),
              deleted: eb.ref('excluded.deleted'),
              key_missing: eb.ref('excluded.key_missing'),
              captured_at: sql<Date>`now()`,
            })),
          )
          .execute();
      }
      if (this.#recordEvents && rows.length > 0)
        await insertRecordEvents(
          { trx, sync: key.sync, object: key.object, runId },
          rows.map((c) => ({
            key: c.key,
            kind: 'captured' as const,
            system: key.system,
            nativeId: c.nativeId,
            detail: {
              modifiedAt: c.modifiedAt,
              ...(c.deleted ? { deleted: true } : {}),
              ...(c.keyMissing ? { keyMissing: true } : {}),
            },
          })),
        );
      if (next === null) return { advanced: false };
      const store = new PostgresWatermarkStore(trx);
      const current = await store.get(key);
      const result = await store.advance(key, next, current?.version ?? null);
      return { advanced: result.advanced };
    });
  }

  async countInbox(sync: string, object: string): Promise<number> {
    const row = await this.#db
      .selectFrom('inbox')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('sync_name', '=', sync)
      .where('object', '=', object)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * The next keys to plan, in key order after `afterKey`: keys with captured changes, failed records whose retry
   * is due (and not skipped by `tandem failed skip`), and conflicts a person has answered.
   */
  async nextPlanKeys(
    sync: string,
    object: string,
    afterKey: string | null,
    limit: number,
    now: Date,
  ): Promise<readonly string[]> {
    const after = afterKey ?? '';
    const schema = this.#schema;
    // Each source is read as an index range with its own ORDER BY and LIMIT before the union: a union of whole
    // ranges would sort every remaining key once per chunk (quadratic over a first load of a million records).
    const result = await sql<{ key: string }>`
      select key from (
        (select key from ${sql.id(schema, 'inbox')} where sync_name = ${sync} and object = ${object} and key > ${after} order by key limit ${limit})
        union
        (select key from ${sql.id(schema, 'failed_record')} where sync_name = ${sync} and object = ${object} and key > ${after} and next_retry_at <= ${now} and skipped_at is null order by key limit ${limit})
        union
        (select key from ${sql.id(schema, 'conflict')} where sync_name = ${sync} and object = ${object} and key > ${after} and status = 'open' and resolution is not null order by key limit ${limit})
      ) k order by key limit ${limit}`.execute(this.#db);
    return result.rows.map((r) => r.key);
  }

  /**
   * Everything planning needs about `keys`. `parts` skips the lookups of tables known to hold nothing for this
   * object (see `presence`): on a first load that saves three index lookups per record.
   */
  async loadForPlanning(
    sync: string,
    object: string,
    keys: readonly string[],
    parts: Partial<Presence> = {},
  ): Promise<PlanningInput> {
    if (keys.length === 0)
      return {
        states: new Map(),
        inbox: new Map(),
        answers: new Map(),
        openConflicts: new Set(),
        failed: new Map(),
        outbox: new Map(),
      };
    const list = [...keys];
    const [states, inboxRows, conflicts, failedRows, outboxRows] = await Promise.all([
      parts.states === false ? new Map<string, RecordState>() : loadStates(this.#db, sync, object, keys),
      this.#db
        .selectFrom('inbox')
        .selectAll()
        .where('sync_name', '=', sync)
        .where('object', '=', object)
        .where('key', 'in', list)
        .execute(),
      parts.conflicts === false
        ? []
        : this.#db
            .selectFrom('conflict')
            .select(['key', 'resolution'])
            .where('sync_name', '=', sync)
            .where('object', '=', object)
            .where('status', '=', 'open')
            .where('key', 'in', list)
            .execute(),
      parts.failed === false
        ? []
        : this.#db
            .selectFrom('failed_record')
            .select(['key', 'system'])
            .where('sync_name', '=', sync)
            .where('object', '=', object)
            .where('key', 'in', list)
            .execute(),
      parts.outbox === false
        ? []
        : this.#db
            .selectFrom('outbox')
            .selectAll()
            .where('sync_name', '=', sync)
            .where('object', '=', object)
            .where('key', 'in', list)
            .execute(),
    ]);
    const outbox = new Map<string, { erp?: OutboxEntry; crm?: OutboxEntry }>();
    for (const row of outboxRows) {
      const entry = outbox.get(row.key) ?? {};
      entry[row.system] = outboxEntry(row);
      outbox.set(row.key, entry);
    }
    const inbox = new Map<string, { erp?: StagedChange; crm?: StagedChange }>();
    for (const row of inboxRows) {
      const entry = inbox.get(row.key) ?? {};
      entry[row.system] = {
        key: row.key,
        nativeId: row.native_id,
        fields: asFields(row.fields) ?? {},
        modifiedAt: row.modified_at,
        deleted: row.deleted,
        keyMissing: row.key_missing,
      };
      inbox.set(row.key, entry);
    }
    const answers = new Map<string, ConflictAnswer>();
    const openConflicts = new Set<string>();
    for (const row of conflicts) {
      openConflicts.add(row.key);
      if (row.resolution !== null)
        answers.set(
          row.key,
          (typeof row.resolution === 'string' ? JSON.parse(row.resolution) : row.resolution) as ConflictAnswer,
        );
    }
    const failed = new Map<string, Set<SystemId>>();
    for (const row of failedRows) {
      const sides = failed.get(row.key) ?? new Set<SystemId>();
      sides.add(row.system);
      failed.set(row.key, sides);
    }
    return { states, inbox, answers, openConflicts, failed, outbox };
  }

  /** Which per-record tables hold anything for this object now (one cheap query; lets stages skip lookups). */
  async presence(sync: string, object: string): Promise<Presence> {
    const schema = this.#schema;
    const t = (table: string) =>
      sql`exists (select 1 from ${sql.id(schema, table)} where sync_name = ${sync} and object = ${object})`;
    const result = await sql<{
      states: boolean;
      inbox: boolean;
      conflicts: boolean;
      failed: boolean;
      outbox: boolean;
    }>`select ${t('record_state')} as states, ${t('inbox')} as inbox, ${t('conflict')} as conflicts, ${t('failed_record')} as failed, ${t('outbox')} as outbox`.execute(
      this.#db,
    );
    const row = result.rows[0]!;
    return { states: row.states, inbox: row.inbox, conflicts: row.conflicts, failed: row.failed, outbox: row.outbox };
  }

  /**
   * For captured keys: what tandem knows `system` holds (null: absent), the native id it knows there (from a waiting
   * inbox entry, else the record state), whether writes are in flight, and whether a captured change already waits
   * in the inbox. One query; keys tandem has never seen are not in the map.
   */
  async knownSides(
    sync: string,
    object: string,
    system: SystemId,
    keys: readonly string[],
  ): Promise<Map<string, KnownSide>> {
    const out = new Map<string, KnownSide>();
    if (keys.length === 0) return out;
    const schema = this.#schema;
    const fields = sql.ref(system === 'erp' ? 'rs.erp_fields' : 'rs.crm_fields');
    const exists = sql.ref(system === 'erp' ? 'rs.erp_exists' : 'rs.crm_exists');
    const id = sql.ref(system === 'erp' ? 'rs.erp_id' : 'rs.crm_id');
    const result = await sql<{
      key: string;
      base: unknown;
      fields: unknown;
      exists: boolean | null;
      state_id: string | null;
      inbox_id: string | null;
      has_state: boolean;
      pending: boolean;
      waiting: boolean;
    }>`
      select k.key, rs.base, ${fields} as fields, ${exists} as exists, ${id} as state_id, i.native_id as inbox_id,
             rs.key is not null as has_state, coalesce(rs.pending is not null or rs.pending_delete, false) as pending, i.key is not null as waiting
      from unnest(${[...keys]}::text[]) as k(key)
      left join ${sql.id(schema, 'record_state')} rs on rs.sync_name = ${sync} and rs.object = ${object} and rs.key = k.key
      left join ${sql.id(schema, 'inbox')} i on i.sync_name = ${sync} and i.object = ${object} and i.key = k.key and i.system = ${system}
      where rs.key is not null or i.key is not null`.execute(this.#db);
    for (const row of result.rows) {
      const base = asFields(row.base);
      out.set(row.key, {
        known: row.exists ? (asFields(row.fields) ?? base ?? {}) : null,
        knownId: row.inbox_id || row.state_id || null,
        hasState: row.has_state,
        pending: row.pending,
        waiting: row.waiting,
      });
    }
    return out;
  }

  /** Pages through a side's planned writes in key order. */
  async readOutbox(
    sync: string,
    object: string,
    system: SystemId,
    afterKey: string | null,
    limit: number,
  ): Promise<readonly OutboxEntry[]> {
    let query = this.#db
      .selectFrom('outbox')
      .selectAll()
      .where('sync_name', '=', sync)
      .where('object', '=', object)
      .where('system', '=', system);
    if (afterKey !== null) query = query.where('key', '>', afterKey);
    const rows = await query.orderBy('key').limit(limit).execute();
    return rows.map(outboxEntry);
  }

  async countOutbox(sync: string, object: string, system: SystemId): Promise<number> {
    const row = await this.#db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('sync_name', '=', sync)
      .where('object', '=', object)
      .where('system', '=', system)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
