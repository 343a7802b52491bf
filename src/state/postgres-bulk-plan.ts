import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { BulkPlanner, InboxKeyRange, OneSidedCounts, OneSidedRun } from '../model/bulk-plan.js';
import { updateRunCounts } from './postgres-run-log.js';
import type { StateDatabase } from './state-database.js';
import type { StateStoreOptions } from './state-store-options.js';
import type { StateTables } from './state-tables.js';

/**
 * BulkPlanner in SQL: the one-sided new records of a key range are planned by one statement that copies their
 * captured values from `inbox` into `record_state`, `outbox` and `record_event` inside Postgres (no value passes
 * through Node, so none can change on the way), exactly as the normal planner would store them:
 *
 * - planRecord (diff/plan-record.ts) plans a record with no base that exists on one side as `<side>-created`: the
 *   target is the side's fields projected on the object's fields (absent ones null), and the write to the other side
 *   creates it with the target's non-null values. No resolver is asked and field directions play no part ("when a
 *   record is created on one side, all its fields go to the other side, whatever the direction"), so no policy can
 *   change this plan and no object needs to be excluded.
 * - planTransition (pipeline/record-transition.ts) stores the state with no base, the side's captured fields, native
 *   id and modification time, `pending` = the target (the write is in flight), and one outbox entry for the other
 *   side: payload = the creation fields, after = the target, no native id, no key write.
 * - applyWriteSet (apply-write-set.ts) stores a side equal to the base as null; the base is null here, so the side's
 *   fields are stored as they are. With history on, the write set's only event is the `planned` one of that entry.
 *
 * Only keys that nothing else speaks for take this path: one inbox entry (one side), not a tombstone, not missing
 * its key on that side, and no record state, outbox entry, failed record or conflict (of any status) for the key.
 * Everything else stays in the inbox for the normal planner.
 *
 * In SQL: `projected` = the captured fields that are the object's (the captured jsonb itself when it has no other);
 * target = the object's fields, all null, overlaid with the projected ones (`template || projected`); payload = the
 * projected fields without the null ones (`jsonb_strip_nulls`, exact because field values are scalars).
 *
 * outbox and failed_record are keyed (sync_name, object, system, key): each side is probed by the whole primary key.
 * Without `system` (or with `system in (...)`, which the planner applied as a filter), every probe scanned all of the
 * object's entries: 2.5 ms a probe once a first load had filled the outbox, 130 s for the second 50,000-key chunk
 * of 100,000.
 */
export class PostgresBulkPlanner implements BulkPlanner {
  readonly #db: Kysely<StateTables>;
  readonly #schema: string;
  readonly #recordEvents: boolean;

  constructor(database: StateDatabase, options: StateStoreOptions = {}) {
    this.#db = database.db;
    this.#schema = database.schema;
    this.#recordEvents = options.recordEvents ?? true;
  }

  async nextRange(sync: string, object: string, afterKey: string | null, limit: number): Promise<InboxKeyRange | null> {
    const bound = await sql<{ last: string | null }>`
      select max(key) as last from (
        select key from ${sql.id(this.#schema, 'inbox')} where sync_name = ${sync} and object = ${object}
          and key > ${afterKey ?? ''} order by key limit ${limit}) k`.execute(this.#db);
    const last = bound.rows[0]?.last ?? null;
    return last === null ? null : { afterKey, lastKey: last };
  }

  async planOneSidedRange(
    sync: string,
    object: string,
    range: InboxKeyRange,
    fields: readonly string[],
    run?: OneSidedRun,
  ): Promise<OneSidedCounts> {
    const t = (table: keyof StateTables): RawBuilder<unknown> => sql.id(this.#schema, table);
    const after = range.afterKey ?? '';
    const last = range.lastKey;
    // `detail.fields` of a planned event lists the payload's fields sorted as JavaScript sorts them (record-events.ts).
    const names = [...fields].sort();
    // Every field of the object, null: `template || fields` is the target (the fields projected on the object's).
    const template = JSON.stringify(Object.fromEntries(names.map((n) => [n, null])));
    const now = run?.now ?? new Date();
    const runId = run?.id ?? null;
    return this.#db.transaction().execute(async (trx) => {
      const events = this.#recordEvents
        ? sql`, events as (
            insert into ${t('record_event')} (sync_name, object, run_id, key, kind, system, native_id, job_id, detail)
            select ${sync}, ${object}, ${runId}::bigint, p.key, 'planned', p.other, null, null,
                   jsonb_build_object('op', 'upsert', 'fields', p.names)
            from planned p order by p.key
            returning 1)`
        : sql``;
      const result = await sql<{ system: 'erp' | 'crm'; n: string }>`
        with ranged as materialized (
          select i.sync_name, i.object, i.key, i.system, i.native_id, i.fields, i.modified_at, i.deleted,
                 i.key_missing, count(*) over (partition by i.key) as sides
          from ${t('inbox')} i
          where i.sync_name = ${sync} and i.object = ${object} and i.key > ${after} and i.key <= ${last}
        ),
        candidate as materialized (
          select i.key, i.system, i.native_id, i.fields, i.modified_at,
                 case i.system when 'erp' then 'crm' else 'erp' end as other,
                 case when (i.fields - ${names}::text[]) = '{}'::jsonb then i.fields
                      else (select coalesce(jsonb_object_agg(e.name, e.value), '{}'::jsonb)
                            from jsonb_each(i.fields) as e(name, value) where e.name = any(${names}::text[]))
                 end as projected
          from ranged i
          where i.sides = 1 and not i.deleted and not i.key_missing
            and not exists (select 1 from ${t('record_state')} s
                            where s.sync_name = i.sync_name and s.object = i.object and s.key = i.key)
            and not exists (select 1 from ${t('outbox')} w
                            where w.sync_name = i.sync_name and w.object = i.object and w.system = 'erp' and w.key = i.key)
            and not exists (select 1 from ${t('outbox')} w
                            where w.sync_name = i.sync_name and w.object = i.object and w.system = 'crm' and w.key = i.key)
            and not exists (select 1 from ${t('failed_record')} f
                            where f.sync_name = i.sync_name and f.object = i.object and f.system = 'erp' and f.key = i.key)
            and not exists (select 1 from ${t('failed_record')} f
                            where f.sync_name = i.sync_name and f.object = i.object and f.system = 'crm' and f.key = i.key)
            and not exists (select 1 from ${t('conflict')} c
                            where c.sync_name = i.sync_name and c.object = i.object and c.key = i.key)
        ),
        planned as materialized (
          select c.*, ${template}::jsonb || c.projected as target, jsonb_strip_nulls(c.projected) as payload,
                 (select coalesce(jsonb_agg(f.name order by f.ord), '[]'::jsonb)
                  from unnest(${names}::text[]) with ordinality as f(name, ord)
                  where jsonb_typeof(c.projected -> f.name) <> 'null') as names
          from candidate c
        ),
        states as (
          insert into ${t('record_state')} (sync_name, object, key, base, erp_fields, crm_fields,
            erp_exists, crm_exists, erp_id, crm_id, erp_modified_at, crm_modified_at, pending, pending_delete, updated_at)
          select ${sync}, ${object}, p.key, null,
                 case when p.system = 'erp' then p.fields end, case when p.system = 'crm' then p.fields end,
                 p.system = 'erp', p.system = 'crm',
                 case when p.system = 'erp' then p.native_id end, case when p.system = 'crm' then p.native_id end,
                 case when p.system = 'erp' then p.modified_at end, case when p.system = 'crm' then p.modified_at end,
                 p.target, false, ${now}::timestamptz
          from planned p
          returning 1
        ),
        writes as (
          insert into ${t('outbox')} (sync_name, object, system, key, op, payload, after, native_id, set_key, run_id,
            job_id, planned_at)
          select ${sync}, ${object}, p.other, p.key, 'upsert', p.payload, p.target, null, false, ${runId}::bigint,
                 null, ${now}::timestamptz
          from planned p
          returning 1
        ),
        consumed as (
          delete from ${t('inbox')} i using planned p
          where i.sync_name = ${sync} and i.object = ${object} and i.key = p.key and i.system = p.system
          returning i.system
        )${events}
        select system, count(*) as n from consumed group by system`.execute(trx);
      const planned: OneSidedCounts = {
        erp: Number(result.rows.find((r) => r.system === 'erp')?.n ?? 0),
        crm: Number(result.rows.find((r) => r.system === 'crm')?.n ?? 0),
      };
      if (run) await updateRunCounts(trx, run.id, run.counts(planned));
      return planned;
    });
  }
}
