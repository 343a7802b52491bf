import { sql, type Kysely, type Transaction } from 'kysely';
import type { Fields } from '../model/record.js';
import type { SystemId } from '../model/system.js';
import type { Watermark } from '../model/watermark.js';
import type { JobLedger, JobLedgerEntry } from '../model/job-ledger.js';
import { recordHash, sameRecord } from '../diff/canonical-json.js';
import type { ConflictAnswer, ConflictQueue, QueuedConflict } from './conflict-queue.js';
import { asFields, toJson, toJsonOrNull } from './json.js';
import { PostgresWatermarkStore } from './postgres-watermark-store.js';
import type { OutboxEntry, PlanningInput, RecordState, StagedChange, WriteSet } from './record-rows.js';
import { migrateStateDatabase, type StateDatabase } from './state-database.js';
import type { StateTables } from './state-tables.js';
import type { WatermarkKey, WatermarkStore } from './watermark-store.js';

type Db = Kysely<StateTables> | Transaction<StateTables>;

/** Rows per multi-row statement (Postgres allows 65535 parameters; record_state has 16 columns). */
const ROWS_PER_STATEMENT = 1000;
/**
 * Rows per `insert ... select from unnest(arrays)`: one array parameter per column instead of one parameter per cell,
 * so Postgres parses and binds a short statement (bench: 5000 rows in ~25% less time than five 1000-row VALUES lists).
 */
const ROWS_PER_UNNEST = 5000;

/** Which per-record tables hold rows for an object. */
export interface Presence {
  readonly states: boolean;
  readonly inbox: boolean;
  readonly conflicts: boolean;
  readonly failed: boolean;
  readonly outbox: boolean;
}

export interface RunSummary {
  readonly id: string;
  readonly sync: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly status: 'running' | 'succeeded' | 'partial' | 'failed' | 'interrupted';
  readonly dryRun: boolean;
  readonly objects: readonly string[];
  readonly counts: unknown;
  readonly policyVersions: Readonly<Record<string, string>>;
  readonly error: unknown;
}

export interface FailedRecordView {
  readonly object: string;
  readonly system: SystemId;
  readonly key: string;
  readonly status: 'rejected' | 'unprocessed';
  readonly reason: string;
  readonly attempts: number;
  readonly nextRetryAt: string;
  readonly lastFailedAt: string;
}

/** Retry backoff for a rejected record: 1 min, 2, 4... capped at 6 hours. Unprocessed records retry next run. */
export function nextRetryDelayMs(status: 'rejected' | 'unprocessed', attempts: number): number {
  if (status === 'unprocessed') return 0;
  return Math.min(60_000 * 2 ** Math.max(0, attempts - 1), 6 * 3600_000);
}

/**
 * tandem's state, in Postgres (real or embedded): watermarks, per-record base and side states, the inbox of
 * captured changes, the outbox of planned writes, the conflict and failed-record queues, the bulk job ledger and the
 * run history. Every multi-table change goes through `apply`, one transaction.
 */
export class StateStore implements ConflictQueue {
  readonly database: StateDatabase;
  readonly watermarks: WatermarkStore;
  readonly #db: Kysely<StateTables>;

  constructor(database: StateDatabase) {
    this.database = database;
    this.#db = database.db;
    this.watermarks = new PostgresWatermarkStore(database.db);
  }

  /** Creates or upgrades the schema (idempotent). */
  async migrate(): Promise<void> {
    await migrateStateDatabase(this.database);
  }

  /**
   * Refreshes the planner's statistics of the per-record tables. Called after a stage changed many rows (a first
   * load fills them from nothing): with stale statistics Postgres picks nested loops over sequential scans and a
   * join that takes 100 ms takes minutes. ANALYZE samples, so it costs about the same on any table size.
   */
  async analyze(tables: readonly ('record_state' | 'inbox' | 'outbox')[]): Promise<void> {
    for (const table of tables) await sql`analyze ${sql.id(this.database.schema, table)}`.execute(this.#db);
  }

  async close(): Promise<void> {
    await this.database.close();
  }

  // ---------------------------------------------------------------- runs

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

  async updateRunCounts(runId: string, counts: unknown, db: Db = this.#db): Promise<void> {
    await db
      .updateTable('sync_run')
      .set({ counts: toJson(counts) })
      .where('id', '=', runId)
      .execute();
  }

  async finishRun(runId: string, status: RunSummary['status'], counts: unknown, error: unknown = null): Promise<void> {
    await this.#db
      .updateTable('sync_run')
      .set({ status, counts: toJson(counts), finished_at: new Date(), error: toJsonOrNull(error) })
      .where('id', '=', runId)
      .execute();
  }

  /** Marks runs left `running` by a process that died as `interrupted`. */
  async markInterruptedRuns(sync: string, exceptRunId?: string): Promise<number> {
    let query = this.#db
      .updateTable('sync_run')
      .set({ status: 'interrupted', finished_at: new Date() })
      .where('sync_name', '=', sync)
      .where('status', '=', 'running');
    if (exceptRunId) query = query.where('id', '!=', exceptRunId);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows);
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

  // ---------------------------------------------------------------- capture

  /**
   * Stages captured changes in the inbox and advances the side's watermark, in one transaction: a capture is
   * either durable together with its watermark, or neither happened. A newer capture of a key replaces an older one.
   * Returns whether the watermark moved (it does not when `next` is not ahead of the stored one).
   */
  async stageChanges(
    key: WatermarkKey,
    changes: readonly StagedChange[],
    next: Watermark | null,
  ): Promise<{ advanced: boolean }> {
    return this.#db.transaction().execute(async (trx) => {
      const unique = new Map<string, StagedChange>();
      for (const change of changes) unique.set(change.key, change);
      const rows = [...unique.values()];
      for (let i = 0; i < rows.length; i += ROWS_PER_UNNEST) {
        const chunk = rows.slice(i, i + ROWS_PER_UNNEST);
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
          .expression(
            sql`select ${key.sync}::text, ${key.object}::text, ${key.system}::text, u.* from unnest(
              ${chunk.map((c) => c.key)}::text[], ${chunk.map((c) => c.nativeId)}::text[], ${chunk.map((c) => toJson(c.fields))}::jsonb[],
              ${chunk.map((c) => c.modifiedAt)}::text[], ${chunk.map((c) => c.deleted)}::bool[], ${chunk.map((c) => c.keyMissing)}::bool[]) as u`,
          )
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

  // ---------------------------------------------------------------- planning

  /**
   * The next keys to plan, in key order after `afterKey`: keys with captured changes, failed records whose retry
   * is due, and conflicts a person has answered.
   */
  async nextPlanKeys(
    sync: string,
    object: string,
    afterKey: string | null,
    limit: number,
    now: Date,
  ): Promise<readonly string[]> {
    const after = afterKey ?? '';
    const schema = this.database.schema;
    // Each source is read as an index range with its own ORDER BY and LIMIT before the union: a union of whole
    // ranges would sort every remaining key once per chunk (quadratic over a first load of a million records).
    const result = await sql<{ key: string }>`
      select key from (
        (select key from ${sql.id(schema, 'inbox')} where sync_name = ${sync} and object = ${object} and key > ${after} order by key limit ${limit})
        union
        (select key from ${sql.id(schema, 'failed_record')} where sync_name = ${sync} and object = ${object} and key > ${after} and next_retry_at <= ${now} order by key limit ${limit})
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
      parts.states === false ? new Map<string, RecordState>() : this.loadStates(sync, object, keys),
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
    const schema = this.database.schema;
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
  ): Promise<
    Map<
      string,
      {
        readonly known: Fields | null;
        readonly knownId: string | null;
        readonly hasState: boolean;
        readonly pending: boolean;
        readonly waiting: boolean;
      }
    >
  > {
    const out = new Map<
      string,
      { known: Fields | null; knownId: string | null; hasState: boolean; pending: boolean; waiting: boolean }
    >();
    if (keys.length === 0) return out;
    const schema = this.database.schema;
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

  /**
   * For write results of `system`: each key's planned write, its record state, and whether the other side still has
   * a planned write. One query instead of three.
   */
  async loadForApply(
    sync: string,
    object: string,
    system: SystemId,
    keys: readonly string[],
  ): Promise<
    Map<
      string,
      { readonly entry: OutboxEntry; readonly state: RecordState | undefined; readonly otherOutstanding: boolean }
    >
  > {
    const out = new Map<string, { entry: OutboxEntry; state: RecordState | undefined; otherOutstanding: boolean }>();
    if (keys.length === 0) return out;
    const schema = this.database.schema;
    const other = system === 'erp' ? 'crm' : 'erp';
    const result = await sql<{
      key: string;
      op: 'upsert' | 'delete';
      payload: unknown;
      after: unknown;
      native_id: string | null;
      set_key: boolean;
      has_state: boolean;
      base: unknown;
      erp_fields: unknown;
      crm_fields: unknown;
      erp_exists: boolean;
      crm_exists: boolean;
      erp_id: string | null;
      crm_id: string | null;
      erp_modified_at: string | null;
      crm_modified_at: string | null;
      pending: unknown;
      pending_delete: boolean;
      other_outstanding: boolean;
    }>`
      select o.key, o.op, o.payload, o.after, o.native_id, o.set_key,
             rs.key is not null as has_state, rs.base, rs.erp_fields, rs.crm_fields, rs.erp_exists, rs.crm_exists, rs.erp_id, rs.crm_id,
             rs.erp_modified_at, rs.crm_modified_at, rs.pending, rs.pending_delete,
             exists (select 1 from ${sql.id(schema, 'outbox')} o2 where o2.sync_name = o.sync_name and o2.object = o.object and o2.system = ${other} and o2.key = o.key) as other_outstanding
      from ${sql.id(schema, 'outbox')} o
      left join ${sql.id(schema, 'record_state')} rs on rs.sync_name = o.sync_name and rs.object = o.object and rs.key = o.key
      where o.sync_name = ${sync} and o.object = ${object} and o.system = ${system} and o.key = any(${[...keys]}::text[])`.execute(
      this.#db,
    );
    for (const row of result.rows) {
      const entry = outboxEntry({
        system,
        key: row.key,
        op: row.op,
        payload: row.payload,
        after: row.after,
        native_id: row.native_id,
        set_key: row.set_key,
      });
      const state = row.has_state ? stateOf(row) : undefined;
      out.set(row.key, { entry, state, otherOutstanding: row.other_outstanding });
    }
    return out;
  }

  async loadStates(sync: string, object: string, keys: readonly string[]): Promise<Map<string, RecordState>> {
    const states = new Map<string, RecordState>();
    for (let i = 0; i < keys.length; i += 5000) {
      const rows = await this.#db
        .selectFrom('record_state')
        .selectAll()
        .where('sync_name', '=', sync)
        .where('object', '=', object)
        .where('key', 'in', keys.slice(i, i + 5000))
        .execute();
      for (const row of rows) states.set(row.key, stateOf(row));
    }
    return states;
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

  /** Applies a write set in one transaction, together with the run's counters when given. */
  async apply(
    sync: string,
    object: string,
    set: WriteSet,
    run?: { readonly id: string; readonly counts: unknown; readonly now: Date },
  ): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await applyWriteSet(trx, sync, object, set, run?.now ?? new Date(), run?.id ?? null);
      if (run) await this.updateRunCounts(run.id, run.counts, trx);
    });
  }

  // ---------------------------------------------------------------- queues

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

  /** Queue sizes per object, for `tandem status`. */
  async queueSizes(
    sync: string,
  ): Promise<Record<string, { inbox: number; outbox: number; conflicts: number; failed: number; records: number }>> {
    const sizes: Record<string, { inbox: number; outbox: number; conflicts: number; failed: number; records: number }> =
      {};
    const bump = (object: string, what: 'inbox' | 'outbox' | 'conflicts' | 'failed' | 'records', n: number) => {
      sizes[object] ??= { inbox: 0, outbox: 0, conflicts: 0, failed: 0, records: 0 };
      sizes[object][what] += n;
    };
    const count = async (
      table: 'inbox' | 'outbox' | 'failed_record' | 'record_state',
      what: 'inbox' | 'outbox' | 'failed' | 'records',
    ) => {
      const rows = await this.#db
        .selectFrom(table)
        .select(['object', (eb) => eb.fn.countAll<string>().as('n')])
        .where('sync_name', '=', sync)
        .groupBy('object')
        .execute();
      for (const r of rows) bump(r.object, what, Number(r.n));
    };
    await count('inbox', 'inbox');
    await count('outbox', 'outbox');
    await count('failed_record', 'failed');
    await count('record_state', 'records');
    const conflicts = await this.#db
      .selectFrom('conflict')
      .select(['object', (eb) => eb.fn.countAll<string>().as('n')])
      .where('sync_name', '=', sync)
      .where('status', '=', 'open')
      .groupBy('object')
      .execute();
    for (const r of conflicts) bump(r.object, 'conflicts', Number(r.n));
    return sizes;
  }

  async listWatermarks(
    sync: string,
  ): Promise<readonly { object: string; system: SystemId; value: unknown; version: number; updatedAt: string }[]> {
    const rows = await this.#db
      .selectFrom('watermark')
      .selectAll()
      .where('sync_name', '=', sync)
      .orderBy('object')
      .orderBy('system')
      .execute();
    return rows.map((r) => ({
      object: r.object,
      system: r.system,
      value: r.value,
      version: r.version,
      updatedAt: new Date(r.updated_at).toISOString(),
    }));
  }

  /** The decision timeline of one record, newest first. */
  async decisionsFor(
    sync: string,
    object: string,
    key: string,
    limit = 20,
  ): Promise<
    readonly {
      runId: string | null;
      kind: string;
      decisions: unknown;
      policyVersion: string | null;
      createdAt: string;
    }[]
  > {
    const rows = await this.#db
      .selectFrom('decision')
      .selectAll()
      .where('sync_name', '=', sync)
      .where('object', '=', object)
      .where('key', '=', key)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      runId: r.run_id,
      kind: r.kind,
      decisions: r.decisions,
      policyVersion: r.policy_version,
      createdAt: new Date(r.created_at).toISOString(),
    }));
  }

  /** Recent conflict decisions of an object (for `tandem policy diff`). */
  async recentDecisions(
    sync: string,
    object: string,
    limit = 200,
  ): Promise<readonly { key: string; kind: string; decisions: unknown; policyVersion: string | null }[]> {
    const rows = await this.#db
      .selectFrom('decision')
      .select(['key', 'kind', 'decisions', 'policy_version'])
      .where('sync_name', '=', sync)
      .where('object', '=', object)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ key: r.key, kind: r.kind, decisions: r.decisions, policyVersion: r.policy_version }));
  }

  /** Every key tandem tracks for an object with the side's native id, for key reconciliation. */
  async *knownKeys(
    sync: string,
    object: string,
    system: SystemId,
    pageSize = 10_000,
  ): AsyncIterable<readonly { key: string; nativeId: string | null }[]> {
    let after = '';
    for (;;) {
      const column = system === 'erp' ? 'erp_id' : 'crm_id';
      const existsColumn = system === 'erp' ? 'erp_exists' : 'crm_exists';
      const rows = await this.#db
        .selectFrom('record_state')
        .select(['key', column])
        .where('sync_name', '=', sync)
        .where('object', '=', object)
        .where(existsColumn, '=', true)
        .where('key', '>', after)
        .orderBy('key')
        .limit(pageSize)
        .execute();
      if (rows.length === 0) return;
      yield rows.map((r) => ({ key: r.key, nativeId: (r as Record<string, string | null>)[column] ?? null }));
      after = rows[rows.length - 1]!.key;
    }
  }

  // ---------------------------------------------------------------- job ledger

  /** The job ledger of one sync, handed to sinks. */
  ledger(sync: string): JobLedger {
    const db = this.#db;
    return {
      async record(entry) {
        await db
          .insertInto('bulk_job')
          .values({
            job_id: entry.jobId,
            sync_name: sync,
            system: entry.system,
            object: entry.object,
            operation: entry.operation,
            status: 'open',
            detail: toJson(entry.detail),
          })
          .onConflict((oc) => oc.columns(['sync_name', 'job_id']).doNothing())
          .execute();
      },
      async update(jobId, detail) {
        await db
          .updateTable('bulk_job')
          .set({ detail: toJson(detail), updated_at: new Date() })
          .where('sync_name', '=', sync)
          .where('job_id', '=', jobId)
          .execute();
      },
      async finish(jobId, status) {
        await db
          .updateTable('bulk_job')
          .set({ status, updated_at: new Date() })
          .where('sync_name', '=', sync)
          .where('job_id', '=', jobId)
          .execute();
      },
      async listOpen(system, object): Promise<readonly JobLedgerEntry[]> {
        const rows = await db
          .selectFrom('bulk_job')
          .selectAll()
          .where('sync_name', '=', sync)
          .where('system', '=', system)
          .where('object', '=', object)
          .where('status', '=', 'open')
          .orderBy('created_at')
          .execute();
        return rows.map((r) => ({
          jobId: r.job_id,
          system: r.system,
          object: r.object,
          operation: r.operation,
          status: r.status,
          detail: (typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail) as Record<string, unknown>,
          createdAt: new Date(r.created_at).toISOString(),
          updatedAt: new Date(r.updated_at).toISOString(),
        }));
      },
    };
  }

  async openJobCount(sync: string): Promise<number> {
    const row = await this.#db
      .selectFrom('bulk_job')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('sync_name', '=', sync)
      .where('status', '=', 'open')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

/** A record_state row as the pipeline sees it: full side states (a null side column means "same as the base"). */
function stateOf(row: {
  key: string;
  base: unknown;
  erp_fields: unknown;
  crm_fields: unknown;
  erp_exists: boolean;
  crm_exists: boolean;
  erp_id: string | null;
  crm_id: string | null;
  erp_modified_at: string | null;
  crm_modified_at: string | null;
  pending: unknown;
  pending_delete: boolean;
}): RecordState {
  const base = asFields(row.base);
  return {
    key: row.key,
    base,
    erp: row.erp_exists ? (asFields(row.erp_fields) ?? base ?? {}) : null,
    crm: row.crm_exists ? (asFields(row.crm_fields) ?? base ?? {}) : null,
    erpId: row.erp_id,
    crmId: row.crm_id,
    erpModifiedAt: row.erp_modified_at,
    crmModifiedAt: row.crm_modified_at,
    pending: asFields(row.pending),
    pendingDelete: row.pending_delete,
  };
}

function outboxEntry(row: {
  system: SystemId;
  key: string;
  op: 'upsert' | 'delete';
  payload: unknown;
  after: unknown;
  native_id: string | null;
  set_key: boolean;
}): OutboxEntry {
  return {
    system: row.system,
    key: row.key,
    op: row.op,
    payload: asFields(row.payload) ?? {},
    after: asFields(row.after),
    nativeId: row.native_id,
    setKey: row.set_key,
  };
}

function conflictView(row: {
  object: string;
  key: string;
  fields: unknown;
  existence: 'erp-deleted' | 'crm-deleted' | null;
  erp_modified_at: string | null;
  crm_modified_at: string | null;
  rule: string;
  reason: string;
  policy_version: string;
  status: 'open' | 'resolved';
  resolution: unknown;
  created_at: Date;
  updated_at: Date;
}): QueuedConflict {
  const r = row;
  const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
  return {
    object: r.object,
    key: r.key,
    fields: parse(r.fields) as QueuedConflict['fields'],
    existence: r.existence,
    erpModifiedAt: r.erp_modified_at,
    crmModifiedAt: r.crm_modified_at,
    rule: r.rule,
    reason: r.reason,
    policyVersion: r.policy_version,
    status: r.status,
    resolution: (parse(r.resolution) ?? null) as ConflictAnswer | null,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

function stored(side: Fields | null, base: Fields | null): string | null {
  if (side === null) return null;
  return base !== null && sameRecord(side, base) ? null : toJson(side);
}

async function deleteKeys(
  trx: Db,
  table: 'inbox' | 'outbox' | 'failed_record',
  sync: string,
  object: string,
  keys: readonly { system?: SystemId; key: string }[],
): Promise<void> {
  const bySystem = new Map<SystemId | undefined, string[]>();
  for (const { system, key } of keys) {
    const list = bySystem.get(system) ?? [];
    list.push(key);
    bySystem.set(system, list);
  }
  for (const [system, list] of bySystem) {
    for (let i = 0; i < list.length; i += 5000) {
      let query = trx
        .deleteFrom(table)
        .where('sync_name', '=', sync)
        .where('object', '=', object)
        .where('key', 'in', list.slice(i, i + 5000));
      if (system) query = query.where('system', '=', system);
      await query.execute();
    }
  }
}

async function applyWriteSet(
  trx: Db,
  sync: string,
  object: string,
  set: WriteSet,
  now: Date,
  runId: string | null,
): Promise<void> {
  const states = set.states ?? [];
  for (let i = 0; i < states.length; i += ROWS_PER_UNNEST) {
    const chunk = states.slice(i, i + ROWS_PER_UNNEST);
    await trx
      .insertInto('record_state')
      .columns([
        'sync_name',
        'object',
        'key',
        'base',
        'base_hash',
        'erp_fields',
        'crm_fields',
        'erp_exists',
        'crm_exists',
        'erp_id',
        'crm_id',
        'erp_modified_at',
        'crm_modified_at',
        'pending',
        'pending_delete',
        'updated_at',
      ])
      .expression(
        sql`select ${sync}::text, ${object}::text, u.*, ${now}::timestamptz from unnest(
          ${chunk.map((s) => s.key)}::text[], ${chunk.map((s) => toJsonOrNull(s.base))}::jsonb[], ${chunk.map((s) => (s.base ? recordHash(s.base) : null))}::text[],
          ${chunk.map((s) => stored(s.erp, s.base))}::jsonb[], ${chunk.map((s) => stored(s.crm, s.base))}::jsonb[],
          ${chunk.map((s) => s.erp !== null)}::bool[], ${chunk.map((s) => s.crm !== null)}::bool[], ${chunk.map((s) => s.erpId)}::text[], ${chunk.map((s) => s.crmId)}::text[],
          ${chunk.map((s) => s.erpModifiedAt)}::text[], ${chunk.map((s) => s.crmModifiedAt)}::text[], ${chunk.map((s) => toJsonOrNull(s.pending))}::jsonb[],
          ${chunk.map((s) => s.pendingDelete)}::bool[]) as u`,
      )
      .onConflict((oc) =>
        oc.columns(['sync_name', 'object', 'key']).doUpdateSet((eb) => ({
          base: eb.ref('excluded.base'),
          base_hash: eb.ref('excluded.base_hash'),
          erp_fields: eb.ref('excluded.erp_fields'),
          crm_fields: eb.ref('excluded.crm_fields'),
          erp_exists: eb.ref('excluded.erp_exists'),
          crm_exists: eb.ref('excluded.crm_exists'),
          erp_id: eb.ref('excluded.erp_id'),
          crm_id: eb.ref('excluded.crm_id'),
          erp_modified_at: eb.ref('excluded.erp_modified_at'),
          crm_modified_at: eb.ref('excluded.crm_modified_at'),
          pending: eb.ref('excluded.pending'),
          pending_delete: eb.ref('excluded.pending_delete'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
  if (set.deleteInbox?.length)
    await deleteKeys(
      trx,
      'inbox',
      sync,
      object,
      set.deleteInbox.map((key) => ({ key })),
    );
  if (set.deleteOutbox?.length) await deleteKeys(trx, 'outbox', sync, object, set.deleteOutbox);
  if (set.deleteFailed?.length) await deleteKeys(trx, 'failed_record', sync, object, set.deleteFailed);

  const outbox = set.outbox ?? [];
  for (let i = 0; i < outbox.length; i += ROWS_PER_UNNEST) {
    const chunk = outbox.slice(i, i + ROWS_PER_UNNEST);
    await trx
      .insertInto('outbox')
      .columns([
        'sync_name',
        'object',
        'system',
        'key',
        'op',
        'payload',
        'after',
        'native_id',
        'set_key',
        'run_id',
        'job_id',
        'planned_at',
      ])
      .expression(
        sql`select ${sync}::text, ${object}::text, u.*, ${runId}::bigint, null::text, ${now}::timestamptz from unnest(
          ${chunk.map((o) => o.system)}::text[], ${chunk.map((o) => o.key)}::text[], ${chunk.map((o) => o.op)}::text[], ${chunk.map((o) => toJson(o.payload))}::jsonb[],
          ${chunk.map((o) => toJsonOrNull(o.after))}::jsonb[], ${chunk.map((o) => o.nativeId)}::text[], ${chunk.map((o) => o.setKey)}::bool[]) as u`,
      )
      .onConflict((oc) =>
        oc.columns(['sync_name', 'object', 'system', 'key']).doUpdateSet((eb) => ({
          op: eb.ref('excluded.op'),
          payload: eb.ref('excluded.payload'),
          after: eb.ref('excluded.after'),
          native_id: eb.ref('excluded.native_id'),
          set_key: eb.ref('excluded.set_key'),
          run_id: eb.ref('excluded.run_id'),
          job_id: null,
          planned_at: eb.ref('excluded.planned_at'),
        })),
      )
      .execute();
  }

  const failed = set.failed ?? [];
  for (let i = 0; i < failed.length; i += ROWS_PER_STATEMENT) {
    const chunk = failed.slice(i, i + ROWS_PER_STATEMENT);
    const existing = await trx
      .selectFrom('failed_record')
      .select(['system', 'key', 'attempts'])
      .where('sync_name', '=', sync)
      .where('object', '=', object)
      .where(
        'key',
        'in',
        chunk.map((f) => f.key),
      )
      .execute();
    const attemptsOf = new Map(existing.map((e) => [`${e.system}\u0000${e.key}`, e.attempts]));
    await trx
      .insertInto('failed_record')
      .values(
        chunk.map((f) => {
          const attempts = (attemptsOf.get(`${f.system}\u0000${f.key}`) ?? 0) + 1;
          return {
            sync_name: sync,
            object,
            system: f.system,
            key: f.key,
            status: f.status,
            reason: f.reason,
            attempts,
            payload: toJsonOrNull(f.payload),
            last_failed_at: now,
            next_retry_at: new Date(now.getTime() + nextRetryDelayMs(f.status, attempts)),
            run_id: runId,
          };
        }),
      )
      .onConflict((oc) =>
        oc.columns(['sync_name', 'object', 'system', 'key']).doUpdateSet((eb) => ({
          status: eb.ref('excluded.status'),
          reason: eb.ref('excluded.reason'),
          attempts: eb.ref('excluded.attempts'),
          payload: eb.ref('excluded.payload'),
          last_failed_at: eb.ref('excluded.last_failed_at'),
          next_retry_at: eb.ref('excluded.next_retry_at'),
          run_id: eb.ref('excluded.run_id'),
        })),
      )
      .execute();
  }

  const conflicts = set.conflicts ?? [];
  for (let i = 0; i < conflicts.length; i += ROWS_PER_STATEMENT) {
    await trx
      .insertInto('conflict')
      .values(
        conflicts.slice(i, i + ROWS_PER_STATEMENT).map((c) => ({
          sync_name: sync,
          object,
          key: c.key,
          fields: toJson(c.fields),
          existence: c.existence,
          erp_modified_at: c.erpModifiedAt,
          crm_modified_at: c.crmModifiedAt,
          rule: c.rule,
          reason: c.reason,
          policy_version: c.policyVersion,
          status: 'open' as const,
          resolution: null,
          updated_at: now,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['sync_name', 'object', 'key']).doUpdateSet((eb) => ({
          fields: eb.ref('excluded.fields'),
          existence: eb.ref('excluded.existence'),
          erp_modified_at: eb.ref('excluded.erp_modified_at'),
          crm_modified_at: eb.ref('excluded.crm_modified_at'),
          rule: eb.ref('excluded.rule'),
          reason: eb.ref('excluded.reason'),
          policy_version: eb.ref('excluded.policy_version'),
          status: 'open' as const,
          resolution: null,
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
  if (set.resolveConflicts?.length) {
    for (let i = 0; i < set.resolveConflicts.length; i += 5000) {
      await trx
        .updateTable('conflict')
        .set({ status: 'resolved', updated_at: now })
        .where('sync_name', '=', sync)
        .where('object', '=', object)
        .where('status', '=', 'open')
        .where('key', 'in', set.resolveConflicts.slice(i, i + 5000))
        .execute();
    }
  }
  const decisions = set.decisions ?? [];
  for (let i = 0; i < decisions.length; i += ROWS_PER_STATEMENT) {
    await trx
      .insertInto('decision')
      .values(
        decisions.slice(i, i + ROWS_PER_STATEMENT).map((d) => ({
          sync_name: sync,
          object,
          key: d.key,
          run_id: runId,
          kind: d.kind,
          decisions: toJson(d.decisions),
          policy_version: d.policyVersion,
        })),
      )
      .execute();
  }
}
