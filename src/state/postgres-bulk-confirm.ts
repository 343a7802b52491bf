import { sql, type Kysely, type RawBuilder } from 'kysely';
import type {
  ConfirmationOptions,
  ConfirmationRun,
  ResultConfirmer,
  StagedWriteResult,
} from '../model/result-confirmer.js';
import type { SystemId } from '../model/system.js';
import { updateRunCounts } from './postgres-run-log.js';
import type { StateDatabase } from './state-database.js';
import type { StateTables } from './state-tables.js';
import type { StateStoreOptions } from './state-store-options.js';

/** The session's staging table of results (emptied at every commit, so each transaction sees only its own). */
const STAGE = 'tandem_confirm_stage';

/**
 * ResultConfirmer over the state tables. The results are staged in a temporary table (five short text columns bound
 * as arrays: no jsonb crosses the wire), then one statement confirms the plain ones: it moves the base, stores both
 * sides relative to it, sets the native id, clears the pending target, deletes the outbox entry (and the failed entry)
 * and appends the `written` event, exactly as `confirmWrite` followed by `applyWriteSet` would.
 *
 * What SQL cannot decide exactly as JavaScript does stays on the record-by-record path. A side is stored as null when
 * it equals the new base; JavaScript compares canonical JSON (canonical-json.ts), SQL compares jsonb values, and the
 * two agree for flat records whose numbers print the same in JavaScript and Postgres (a number whose text is its own
 * float8 text, at most 30 characters). So the pending target, the written fields and the other side must all be such
 * records; any other value is left to the JS path, as are deletes, records whose other side still has a planned
 * write, records without a pending target and results for keys with no planned write.
 */
export class PostgresResultConfirmer implements ResultConfirmer {
  readonly #db: Kysely<StateTables>;
  readonly #schema: string;
  readonly #recordEvents: boolean;

  constructor(database: StateDatabase, options: StateStoreOptions = {}) {
    this.#db = database.db;
    this.#schema = database.schema;
    this.#recordEvents = options.recordEvents ?? true;
  }

  async confirmPlainWrites(
    sync: string,
    object: string,
    system: SystemId,
    results: readonly StagedWriteResult[],
    options: ConfirmationOptions,
    run: ConfirmationRun,
  ): Promise<ReadonlySet<string>> {
    if (results.length === 0) return new Set();
    return this.#db.transaction().execute(async (trx) => {
      await sql`create temporary table if not exists ${sql.id(STAGE)} (
        ord integer not null, key text not null, status text not null, native_id text, job_id text, reason text
      ) on commit delete rows`.execute(trx);
      await sql`insert into ${sql.id('pg_temp', STAGE)} (ord, key, status, native_id, job_id, reason)
        select * from unnest(${results.map((_, i) => i)}::int[], ${results.map((r) => r.key)}::text[],
          ${results.map((r) => r.status)}::text[], ${results.map((r) => r.nativeId)}::text[],
          ${results.map((r) => r.jobId)}::text[], ${results.map((r) => r.reason)}::text[])`.execute(trx);
      await options.afterStaging?.();
      // No planner settings here: the statement's LATERAL lookups fix its join order (confirmStatement). Turning
      // seq scans off made every plan cost 10^10, which sent each chunk through JIT compilation at full optimisation
      // (~620 ms of a ~680 ms statement for 2,000 results).
      const scope: ConfirmScope = {
        schema: this.#schema,
        sync,
        object,
        system,
        now: run.now,
        runId: run.id,
        recordEvents: this.#recordEvents,
        clearFailed: options.clearFailed,
      };
      const confirmed = await confirmStatement(scope).execute(trx);
      const keys = new Set(confirmed.rows.map((r) => r.key));
      await updateRunCounts(trx, run.id, run.countsAfter(keys));
      return keys;
    });
  }
}

interface ConfirmScope {
  readonly schema: string;
  readonly sync: string;
  readonly object: string;
  readonly system: SystemId;
  readonly now: Date;
  readonly runId: string;
  readonly recordEvents: boolean;
  readonly clearFailed: boolean;
}

/**
 * Whether a field value is one SQL stores and prints exactly as JavaScript does: a string, a boolean, null, or a
 * number whose Postgres text is JavaScript's (a float8 prints its shortest round-trip digits, as JavaScript does, in
 * the plain range both share; any other number, e.g. 1e-7 or a 20-digit integer, goes to the JS path).
 */
function plainValue(value: RawBuilder<unknown>): RawBuilder<boolean> {
  return sql<boolean>`(case jsonb_typeof(${value})
    when 'number' then case when length(${value}::text) > 30 then false
                            else ${value}::text = (${value}::text::float8)::text end
    when 'string' then true when 'boolean' then true when 'null' then true else false end)`;
}

/** Whether a jsonb value is a flat object of plain values (see plainValue). */
function plainRecord(record: RawBuilder<unknown>): RawBuilder<boolean> {
  return sql<boolean>`(jsonb_typeof(${record}) = 'object' and not exists (
    select 1 from jsonb_each(${record}) f where not ${plainValue(sql`f.value`)}))`;
}

/**
 * The statement that confirms the staged results whose transition is plain, returning their keys. Its parts read the
 * same snapshot: `candidate` picks the plain results and computes what `confirmWrite` would; `confirmed` updates
 * their record states; the others delete the outbox (and failed) entries and append the events of those keys.
 *
 * Each staged key is looked up by primary key in a LATERAL subquery with `limit 1`, which the planner cannot flatten
 * into a join it would reorder: the staged rows always drive the lookups. As plain joins, a selectivity guess on the
 * outbox filter (250 rows estimated, 100,000 there) made the planner scan the side's whole outbox and compare it with
 * every staged row (4 million comparisons per chunk of 2,000: a 100,000-record first load spent 590 s confirming).
 */
function confirmStatement(at: ConfirmScope): RawBuilder<{ key: string }> {
  const t = (name: keyof StateTables) => sql.id(at.schema, name);
  const side = (system: SystemId, column: 'fields' | 'exists' | 'id') => sql.ref(`rs.${system}_${column}`);
  const other: SystemId = at.system === 'erp' ? 'crm' : 'erp';
  const col = (system: SystemId, column: 'fields' | 'exists' | 'id') => sql.id(`${system}_${column}`);
  const written = sql`coalesce(o.after, '{}'::jsonb)`;
  // The other side as the JS path loads it (stateOf): its own fields, else the base's, else empty; null when absent.
  const otherSide = sql`case when ${side(other, 'exists')} then coalesce(${side(other, 'fields')}, rs.base, '{}'::jsonb) end`;
  // A side equal to the new base (canonically: absent = null) is stored as null, as apply-write-set's `stored`.
  const storedAgainstPending = (fields: RawBuilder<unknown>) =>
    sql`case when ${fields} is null or jsonb_strip_nulls(${fields}) = jsonb_strip_nulls(c.pending) then null else ${fields} end`;
  const events = at.recordEvents
    ? sql`, event as (
        insert into ${t('record_event')} (sync_name, object, run_id, key, kind, system, native_id, job_id, detail)
        select ${at.sync}, ${at.object}, ${at.runId}::bigint, c.key, 'written', ${at.system},
               nullif(coalesce(c.result_native_id, c.entry_native_id, c.old_id), ''), c.job_id,
               case when coalesce(c.reason, '') = '' then jsonb_build_object('status', c.status)
                    else jsonb_build_object('status', c.status, 'note', c.reason) end
        from confirmed c
        order by c.ord)`
    : sql``;
  const failed = at.clearFailed
    ? sql`, cleared as (
        delete from ${t('failed_record')} f using confirmed u
        where f.sync_name = ${at.sync} and f.object = ${at.object} and f.system = ${at.system} and f.key = u.key)`
    : sql``;
  return sql<{ key: string }>`
    with candidate as (
      select s.ord, s.key, s.status, s.native_id as result_native_id, s.job_id, s.reason,
             o.native_id as entry_native_id, ${side(at.system, 'id')} as old_id, rs.pending,
             ${written} as written, ${otherSide} as other_side
      from ${sql.id('pg_temp', STAGE)} s
      cross join lateral (
        select * from ${t('outbox')} o
        where o.sync_name = ${at.sync} and o.object = ${at.object} and o.system = ${at.system} and o.key = s.key
        limit 1) o
      cross join lateral (
        select * from ${t('record_state')} rs
        where rs.sync_name = ${at.sync} and rs.object = ${at.object} and rs.key = s.key
        limit 1) rs
      left join lateral (
        select true as busy from ${t('outbox')} o2
        where o2.sync_name = ${at.sync} and o2.object = ${at.object} and o2.system = ${other} and o2.key = s.key
        limit 1) o2 on true
      where s.status in ('created', 'updated') and o.op = 'upsert'
        and not rs.pending_delete and ${plainRecord(sql`rs.pending`)}
        and o2.busy is null
        and ${plainRecord(written)}
        and (not ${side(other, 'exists')} or ${plainRecord(otherSide)})
    ), confirmed as (
      update ${t('record_state')} rs set
        base = c.pending,
        ${col(at.system, 'fields')} = ${storedAgainstPending(sql`c.written`)},
        ${col(at.system, 'exists')} = true,
        ${col(at.system, 'id')} = coalesce(c.result_native_id, c.old_id),
        ${col(other, 'fields')} = ${storedAgainstPending(sql`c.other_side`)},
        pending = null,
        pending_delete = false,
        updated_at = ${at.now}::timestamptz
      from candidate c
      where rs.sync_name = ${at.sync} and rs.object = ${at.object} and rs.key = c.key
      returning rs.key, c.ord, c.status, c.result_native_id, c.entry_native_id, c.old_id, c.job_id, c.reason
    ), consumed as (
      delete from ${t('outbox')} o using confirmed u
      where o.sync_name = ${at.sync} and o.object = ${at.object} and o.system = ${at.system} and o.key = u.key
    )${failed}${events}
    select key from confirmed`;
}
