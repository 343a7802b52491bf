import { storableText } from '../util/storable-text.js';
import { sql, type Kysely } from 'kysely';
import { nextRetryDelayMs } from '../model/failed-queue.js';
import type { Fields } from '../model/record.js';
import type {
  DecisionRow,
  FailedEntry,
  OutboxEntry,
  QueuedConflictRow,
  RecordState,
  WriteSet,
} from '../model/record-rows.js';
import type { SystemId } from '../model/system.js';
import { appendRows, rowSource, type CopyColumn, type CopyValue } from './copy-rows.js';
import { recordJson, toJson, toJsonOrNull, type RecordJson } from './json.js';
import { eventsOfWriteSet, insertRecordEvents } from './record-events.js';
import { KEYS_PER_LIST, ROWS_PER_STATEMENT } from './statement-sizes.js';
import type { StateTables } from './state-tables.js';

/** Where a write set is applied: its transaction, the sync and object, the time, and the run (null outside a run). */
export interface ApplyScope {
  readonly trx: Kysely<StateTables>;
  readonly sync: string;
  readonly object: string;
  readonly now: Date;
  readonly runId: string | null;
  /** Append the records' timeline events (`record_event`) in the same transaction. */
  readonly recordEvents: boolean;
}

/**
 * Applies a write set inside `at.trx`, one step per part, in this order: the new record states; the inbox, outbox
 * and failed entries the plan or the results consumed; the new planned writes; the failures (attempts counted up,
 * next retry scheduled); the conflicts queued, and those resolved; the decisions made; and, when kept, the records'
 * timeline events (record-events.ts).
 */
export async function applyWriteSet(at: ApplyScope, set: WriteSet): Promise<void> {
  await upsertRecordStates(at, set.states ?? []);
  await deleteConsumed(
    at,
    'inbox',
    (set.deleteInbox ?? []).map((key) => ({ key })),
  );
  await deleteConsumed(at, 'outbox', set.deleteOutbox ?? []);
  await deleteConsumed(at, 'failed_record', set.deleteFailed ?? []);
  await upsertOutbox(at, set.outbox ?? []);
  await recordFailures(at, set.failed ?? []);
  await queueConflicts(at, set.conflicts ?? []);
  await resolveConflicts(at, set.resolveConflicts ?? []);
  await insertDecisions(at, set.decisions ?? []);
  if (at.recordEvents) await insertRecordEvents(at, eventsOfWriteSet(set));
}

const RECORD_STATE_COLUMNS: readonly CopyColumn[] = [
  { name: 'key', type: 'text' },
  { name: 'base', type: 'jsonb' },
  { name: 'erp_fields', type: 'jsonb' },
  { name: 'crm_fields', type: 'jsonb' },
  { name: 'erp_exists', type: 'boolean' },
  { name: 'crm_exists', type: 'boolean' },
  { name: 'erp_id', type: 'text' },
  { name: 'crm_id', type: 'text' },
  { name: 'erp_modified_at', type: 'text' },
  { name: 'crm_modified_at', type: 'text' },
  { name: 'pending', type: 'jsonb' },
  { name: 'pending_delete', type: 'boolean' },
];

/**
 * A record state as a row of RECORD_STATE_COLUMNS. Each record is serialised once: the base's canonical JSON is
 * compared with each side's, and is (most often) the jsonb text itself (json.ts, recordJson).
 */
function recordStateRow(s: RecordState): CopyValue[] {
  const base = s.base === null ? null : recordJson(s.base);
  return [
    s.key,
    base?.stored ?? null,
    stored(s.erp, base),
    stored(s.crm, base),
    s.erp !== null,
    s.crm !== null,
    s.erpId,
    s.crmId,
    s.erpModifiedAt,
    s.crmModifiedAt,
    toJsonOrNull(s.pending),
    s.pendingDelete,
  ];
}

/** A side's fields as stored: null when the side holds exactly the base ("same as the base"). */
function stored(side: Fields | null, base: RecordJson | null): string | null {
  if (side === null) return null;
  const json = recordJson(side);
  return base !== null && json.canonical === base.canonical ? null : json.stored;
}

/** Upserts record states; a side equal to the base is stored as null ("same as the base"). */
async function upsertRecordStates(at: ApplyScope, states: readonly RecordState[]): Promise<void> {
  if (states.length === 0) return;
  const source = await rowSource(at.trx, RECORD_STATE_COLUMNS, states.map(recordStateRow));
  await at.trx
    .insertInto('record_state')
    .columns([
      'sync_name',
      'object',
      'key',
      'base',
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
    .expression(sql`select ${at.sync}::text, ${at.object}::text, u.*, ${at.now}::timestamptz from ${source}`)
    .onConflict((oc) =>
      oc.columns(['sync_name', 'object', 'key']).doUpdateSet((eb) => ({
        base: eb.ref('excluded.base'),
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

/** Deletes the entries of `table` for these keys (per side when a side is given). */
async function deleteConsumed(
  at: ApplyScope,
  table: 'inbox' | 'outbox' | 'failed_record',
  keys: readonly { system?: SystemId; key: string }[],
): Promise<void> {
  if (keys.length === 0) return;
  const bySystem = new Map<SystemId | undefined, string[]>();
  for (const { system, key } of keys) {
    const list = bySystem.get(system) ?? [];
    list.push(key);
    bySystem.set(system, list);
  }
  for (const [system, list] of bySystem) {
    for (let i = 0; i < list.length; i += KEYS_PER_LIST) {
      let query = at.trx
        .deleteFrom(table)
        .where('sync_name', '=', at.sync)
        .where('object', '=', at.object)
        .where('key', 'in', list.slice(i, i + KEYS_PER_LIST));
      if (system) query = query.where('system', '=', system);
      await query.execute();
    }
  }
}

const OUTBOX_COLUMNS: readonly CopyColumn[] = [
  { name: 'system', type: 'text' },
  { name: 'key', type: 'text' },
  { name: 'op', type: 'text' },
  { name: 'payload', type: 'jsonb' },
  { name: 'after', type: 'jsonb' },
  { name: 'native_id', type: 'text' },
  { name: 'set_key', type: 'boolean' },
];

/** Upserts planned writes (a newer plan of a key replaces the older one, and frees it from any remote job). */
async function upsertOutbox(at: ApplyScope, outbox: readonly OutboxEntry[]): Promise<void> {
  if (outbox.length === 0) return;
  const source = await rowSource(
    at.trx,
    OUTBOX_COLUMNS,
    outbox.map((o) => [o.system, o.key, o.op, toJson(o.payload), toJsonOrNull(o.after), o.nativeId, o.setKey]),
  );
  await at.trx
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
      sql`select ${at.sync}::text, ${at.object}::text, u.*, ${at.runId}::bigint, null::text, ${at.now}::timestamptz from ${source}`,
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

/** Records failures, counting attempts on from the stored ones and scheduling the next retry. */
async function recordFailures(at: ApplyScope, failed: readonly FailedEntry[]): Promise<void> {
  for (let i = 0; i < failed.length; i += ROWS_PER_STATEMENT) {
    const chunk = failed.slice(i, i + ROWS_PER_STATEMENT);
    const existing = await at.trx
      .selectFrom('failed_record')
      .select(['system', 'key', 'attempts'])
      .where('sync_name', '=', at.sync)
      .where('object', '=', at.object)
      .where(
        'key',
        'in',
        chunk.map((f) => f.key),
      )
      .execute();
    const attemptsOf = new Map(existing.map((e) => [`${e.system}\u0000${e.key}`, e.attempts]));
    await at.trx
      .insertInto('failed_record')
      .values(
        chunk.map((f) => {
          const attempts = (attemptsOf.get(`${f.system}\u0000${f.key}`) ?? 0) + 1;
          return {
            sync_name: at.sync,
            object: at.object,
            system: f.system,
            key: f.key,
            status: f.status,
            reason: storableText(f.reason),
            attempts,
            payload: toJsonOrNull(f.payload),
            last_failed_at: at.now,
            next_retry_at: new Date(at.now.getTime() + nextRetryDelayMs(f.status, attempts)),
            run_id: at.runId,
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
          // A write that fails anew (the record changed since `tandem failed skip`) is back in the retry cycle.
          skipped_at: null,
          skipped_by: null,
        })),
      )
      .execute();
  }
}

/** Queues conflicts for a person; a conflict queued again reopens, without its old answer. */
async function queueConflicts(at: ApplyScope, conflicts: readonly QueuedConflictRow[]): Promise<void> {
  for (let i = 0; i < conflicts.length; i += ROWS_PER_STATEMENT) {
    await at.trx
      .insertInto('conflict')
      .values(
        conflicts.slice(i, i + ROWS_PER_STATEMENT).map((c) => ({
          sync_name: at.sync,
          object: at.object,
          key: c.key,
          fields: toJson(c.fields),
          existence: c.existence,
          erp_modified_at: c.erpModifiedAt,
          crm_modified_at: c.crmModifiedAt,
          rule: storableText(c.rule),
          reason: storableText(c.reason),
          policy_version: c.policyVersion,
          status: 'open' as const,
          resolution: null,
          updated_at: at.now,
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
}

/** Marks open conflicts of these keys resolved (the plan no longer waits for a person). */
async function resolveConflicts(at: ApplyScope, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += KEYS_PER_LIST) {
    await at.trx
      .updateTable('conflict')
      .set({ status: 'resolved', updated_at: at.now })
      .where('sync_name', '=', at.sync)
      .where('object', '=', at.object)
      .where('status', '=', 'open')
      .where('key', 'in', keys.slice(i, i + KEYS_PER_LIST))
      .execute();
  }
}

const DECISION_COLUMNS: readonly CopyColumn[] = [
  { name: 'sync_name', type: 'text' },
  { name: 'object', type: 'text' },
  { name: 'key', type: 'text' },
  { name: 'run_id', type: 'bigint' },
  { name: 'kind', type: 'text' },
  { name: 'decisions', type: 'jsonb' },
  { name: 'policy_version', type: 'text' },
];

/** Appends the decisions (COPY when many: decision has no conflict to handle). */
async function insertDecisions(at: ApplyScope, decisions: readonly DecisionRow[]): Promise<void> {
  await appendRows(
    at.trx,
    'decision',
    DECISION_COLUMNS,
    decisions.map((d) => [at.sync, at.object, d.key, at.runId, d.kind, toJson(d.decisions), d.policyVersion]),
  );
}
