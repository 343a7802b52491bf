import { sql } from 'kysely';
import type { StateDatabase } from '../state/state-database.js';
import { TandemError, EXIT } from '../util/errors.js';

/** Which record to forget: its sync key, or its native id on one side. */
export type ForgetTarget =
  | { readonly object: string; readonly key: string }
  | { readonly object: string; readonly nativeId: string; readonly system: 'erp' | 'crm' };

export interface ForgetReport {
  readonly object: string;
  readonly key: string;
  readonly erpId: string | null;
  readonly crmId: string | null;
  /** Rows deleted or cleared, per table. */
  readonly removed: Readonly<Record<string, number>>;
  /** The id of the erasure_audit row. */
  readonly auditId: string;
}

export class UnknownRecordError extends TandemError {
  constructor(target: ForgetTarget) {
    const what = 'key' in target ? `key '${target.key}'` : `${target.system} id '${target.nativeId}'`;
    super(
      `no record with ${what} in object '${target.object}' in the state store; nothing was erased. Fix: check the object and the ${'key' in target ? 'key' : 'id'} (tandem policy explain --object ${target.object} --key K shows what tandem knows of a key)`,
      { code: 'UNKNOWN_RECORD', context: { ...target }, exitCode: EXIT.usage },
    );
  }
}

/**
 * Erases every stored copy of one record's values from the state store, in one transaction: staged changes,
 * planned writes, conflicts, failed entries (with their payloads), decisions, the record's timeline events, the
 * rejection notes of run details,
 * and the base and side values of its record state. What stays is what keeps tandem from re-creating or re-syncing
 * it by mistake: the key, the native ids and whether each side holds it. The erasure is recorded in erasure_audit
 * (object, key, ids, rows removed: never a value).
 */
export async function forgetRecord(database: StateDatabase, sync: string, target: ForgetTarget): Promise<ForgetReport> {
  const t = (table: string) => sql.id(database.schema, table);
  return database.db.transaction().execute(async (trx) => {
    let key: string | undefined = 'key' in target ? target.key : undefined;
    if (key === undefined && 'nativeId' in target) {
      const column = target.system === 'erp' ? sql.ref('erp_id') : sql.ref('crm_id');
      const found = await sql<{ key: string }>`
        select key from ${t('record_state')} where sync_name = ${sync} and object = ${target.object} and ${column} = ${target.nativeId}
        union
        select key from ${t('inbox')} where sync_name = ${sync} and object = ${target.object} and system = ${target.system} and native_id = ${target.nativeId}
        limit 1`.execute(trx);
      key = found.rows[0]?.key;
    }
    if (key === undefined) throw new UnknownRecordError(target);
    const state = await sql<{ erp_id: string | null; crm_id: string | null }>`
      select erp_id, crm_id from ${t('record_state')} where sync_name = ${sync} and object = ${target.object} and key = ${key}`.execute(
      trx,
    );
    const known = await sql<{ n: string }>`
      select (select count(*) from ${t('inbox')} where sync_name = ${sync} and object = ${target.object} and key = ${key})
           + (select count(*) from ${t('record_state')} where sync_name = ${sync} and object = ${target.object} and key = ${key})
           + (select count(*) from ${t('failed_record')} where sync_name = ${sync} and object = ${target.object} and key = ${key})
           + (select count(*) from ${t('decision')} where sync_name = ${sync} and object = ${target.object} and key = ${key})
           + (select count(*) from ${t('record_event')} where sync_name = ${sync} and object = ${target.object} and key = ${key}) as n`.execute(
      trx,
    );
    if (Number(known.rows[0]?.n ?? 0) === 0) throw new UnknownRecordError(target);
    const removed: Record<string, number> = {};
    const run = async (table: string, query: ReturnType<typeof sql>) => {
      const result = await query.execute(trx);
      removed[table] = (removed[table] ?? 0) + Number(result.numAffectedRows ?? 0);
    };
    const where = sql`sync_name = ${sync} and object = ${target.object} and key = ${key}`;
    await run('inbox', sql`delete from ${t('inbox')} where ${where}`);
    await run('outbox', sql`delete from ${t('outbox')} where ${where}`);
    await run('conflict', sql`delete from ${t('conflict')} where ${where}`);
    await run('failed_record', sql`delete from ${t('failed_record')} where ${where}`);
    await run('decision', sql`delete from ${t('decision')} where ${where}`);
    // The record's timeline: its rejection reasons may quote values.
    await run('record_event', sql`delete from ${t('record_event')} where ${where}`);
    // The audit of `tandem failed retry|skip|discard` keeps the key, not the failure's reason (it may quote values).
    await run(
      'operator_action_record',
      sql`update ${t('operator_action_record')} set reason = null where ${where} and reason is not null`,
    );
    await run(
      'record_state',
      sql`update ${t('record_state')}
             set base = null, erp_fields = null, crm_fields = null, pending = null, updated_at = now()
           where ${where}`,
    );
    // Run details keep up to 20 rejections per object (key and reason, where a reason may quote a value).
    await run(
      'sync_run',
      sql`update ${t('sync_run')} r
             set counts = jsonb_set(r.counts, array[${target.object}, 'rejections'],
                   coalesce((select jsonb_agg(x) from jsonb_array_elements(r.counts -> ${target.object} -> 'rejections') x
                              where x ->> 'key' is distinct from ${key}), '[]'::jsonb))
           where r.sync_name = ${sync}
             and exists (select 1 from jsonb_array_elements(coalesce(r.counts -> ${target.object} -> 'rejections', '[]'::jsonb)) x
                          where x ->> 'key' = ${key})`,
    );
    const erpId = state.rows[0]?.erp_id ?? null;
    const crmId = state.rows[0]?.crm_id ?? null;
    const audit = await sql<{ id: string }>`
      insert into ${t('erasure_audit')} (sync_name, object, key, erp_id, crm_id, removed)
      values (${sync}, ${target.object}, ${key}, ${erpId}, ${crmId}, ${JSON.stringify(removed)}::jsonb)
      returning id::text as id`.execute(trx);
    return { object: target.object, key, erpId, crmId, removed, auditId: audit.rows[0]!.id };
  });
}
