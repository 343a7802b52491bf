import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { RecordState, WriteSet } from '../model/record-rows.js';
import type { PlannedWriteView, ReclaimedTable, RecordStore, RecordTable, RunProgress } from '../model/record-store.js';
import type { SystemId } from '../model/system.js';
import { applyWriteSet } from './apply-write-set.js';
import { reclaimTables } from './reclaim-tables.js';
import { updateRunCounts } from './postgres-run-log.js';
import { loadStates, outboxEntry, stateOf, type RecordStateColumns } from './state-rows.js';
import type { StateDatabase } from './state-database.js';
import type { StateTables } from './state-tables.js';
import type { StateStoreOptions } from './state-store-options.js';

/** RecordStore over `record_state`; `apply` writes a whole write set in one transaction (apply-write-set.ts). */
export class PostgresRecordStore implements RecordStore {
  readonly #db: Kysely<StateTables>;
  readonly #schema: string;
  readonly #recordEvents: boolean;

  constructor(database: StateDatabase, options: StateStoreOptions = {}) {
    this.#db = database.db;
    this.#schema = database.schema;
    this.#recordEvents = options.recordEvents ?? true;
  }

  async loadStates(sync: string, object: string, keys: readonly string[]): Promise<Map<string, RecordState>> {
    return loadStates(this.#db, sync, object, keys);
  }

  /**
   * For write results of `system`: each key's planned write, its record state, and whether the other side still has
   * a planned write. One query instead of three (plannedWritesQuery).
   */
  async loadForApply(
    sync: string,
    object: string,
    system: SystemId,
    keys: readonly string[],
  ): Promise<Map<string, PlannedWriteView>> {
    const out = new Map<string, PlannedWriteView>();
    if (keys.length === 0) return out;
    const result = await plannedWritesQuery(this.#schema, sync, object, system, keys).execute(this.#db);
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

  /**
   * Native id -> key for `system`'s ids: the record state's (a record tandem tracks), else a waiting inbox entry's
   * (captured, not yet planned). One query over the given ids.
   */
  async keysOfNativeIds(
    sync: string,
    object: string,
    system: SystemId,
    nativeIds: readonly string[],
  ): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const ids = [...new Set(nativeIds.filter((id) => id !== ''))];
    if (ids.length === 0) return out;
    const schema = this.#schema;
    const column = sql.ref(system === 'erp' ? 'rs.erp_id' : 'rs.crm_id');
    const result = await sql<{ native_id: string; key: string; from_state: boolean }>`
      select ${column} as native_id, rs.key, true as from_state
      from ${sql.id(schema, 'record_state')} rs
      where rs.sync_name = ${sync} and rs.object = ${object} and ${column} = any(${ids}::text[])
      union all
      select i.native_id, i.key, false as from_state
      from ${sql.id(schema, 'inbox')} i
      where i.sync_name = ${sync} and i.object = ${object} and i.system = ${system} and i.native_id = any(${ids}::text[])`.execute(
      this.#db,
    );
    // The record state names the record tandem tracks; an inbox entry only one captured since.
    for (const row of result.rows) if (row.from_state) out.set(row.native_id, row.key);
    for (const row of result.rows) if (!row.from_state && !out.has(row.native_id)) out.set(row.native_id, row.key);
    return out;
  }

  /** Applies a write set in one transaction, together with the run's counters when given. */
  async apply(sync: string, object: string, set: WriteSet, run?: RunProgress): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await applyWriteSet(
        { trx, sync, object, now: run?.now ?? new Date(), runId: run?.id ?? null, recordEvents: this.#recordEvents },
        set,
      );
      if (run) await updateRunCounts(trx, run.id, run.counts);
    });
  }

  /**
   * Refreshes the planner's statistics of the per-record tables. Called after a stage changed many rows (a first
   * load fills them from nothing): with stale statistics Postgres picks nested loops over sequential scans and a
   * join that takes 100 ms takes minutes. ANALYZE samples, so it costs about the same on any table size.
   */
  async analyze(tables: readonly RecordTable[]): Promise<void> {
    for (const table of tables) await sql`analyze ${sql.id(this.#schema, table)}`.execute(this.#db);
  }

  /** Truncates the empty staging tables nobody else uses, vacuums the others (reclaim-tables.ts). */
  async reclaim(tables: readonly RecordTable[]): Promise<readonly ReclaimedTable[]> {
    return reclaimTables(this.#db, this.#schema, tables);
  }
}

/** A row of plannedWritesQuery: the key's planned write, its record state (when it has one) and the other side's. */
type PlannedWriteRow = RecordStateColumns & {
  op: 'upsert' | 'delete';
  payload: unknown;
  after: unknown;
  native_id: string | null;
  set_key: boolean;
  has_state: boolean;
  other_outstanding: boolean;
};

/**
 * The query behind `loadForApply`: for each key, `system`'s outbox entry, the record state and whether the other side
 * has an outbox entry too. Each key is looked up by the full primary key of each table (a LATERAL subquery per key,
 * kept from being pulled up into a join by its LIMIT), so the plan cannot depend on statistics: during a first load
 * `record_state` grows from nothing while its statistics still say empty, and a plain join then scanned every state
 * row of the object once per key (a 100-result chunk took 300-700 ms at 10,000 records, more with every chunk).
 */
export function plannedWritesQuery(
  schema: string,
  sync: string,
  object: string,
  system: SystemId,
  keys: readonly string[],
): RawBuilder<PlannedWriteRow> {
  const other = system === 'erp' ? 'crm' : 'erp';
  return sql<PlannedWriteRow>`
    select k.key, o.op, o.payload, o.after, o.native_id, o.set_key,
           rs.key is not null as has_state, rs.base, rs.erp_fields, rs.crm_fields, rs.erp_exists, rs.crm_exists, rs.erp_id, rs.crm_id,
           rs.erp_modified_at, rs.crm_modified_at, rs.pending, rs.pending_delete,
           exists (select 1 from ${sql.id(schema, 'outbox')} o2 where o2.sync_name = ${sync} and o2.object = ${object} and o2.system = ${other} and o2.key = k.key) as other_outstanding
    from (select distinct unnest(${[...keys]}::text[]) as key) k
    cross join lateral (
      select o.op, o.payload, o.after, o.native_id, o.set_key from ${sql.id(schema, 'outbox')} o
      where o.sync_name = ${sync} and o.object = ${object} and o.system = ${system} and o.key = k.key limit 1) o
    left join lateral (
      select rs.key, rs.base, rs.erp_fields, rs.crm_fields, rs.erp_exists, rs.crm_exists, rs.erp_id, rs.crm_id,
             rs.erp_modified_at, rs.crm_modified_at, rs.pending, rs.pending_delete
      from ${sql.id(schema, 'record_state')} rs
      where rs.sync_name = ${sync} and rs.object = ${object} and rs.key = k.key limit 1) rs on true`;
}
