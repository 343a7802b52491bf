import type { Kysely } from 'kysely';
import type { ConflictAnswer } from '../model/conflict.js';
import type { QueuedConflict } from '../model/queued-conflict.js';
import type { OutboxEntry, RecordState } from '../model/record-rows.js';
import type { SystemId } from '../model/system.js';
import { asFields } from './json.js';
import type { StateTables } from './state-tables.js';

/** Rows of the state tables as the model sees them, shared by the Postgres stores. */

/** The record_state columns a query selects to build a RecordState (`stateOf`). */
export interface RecordStateColumns {
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
}

/** A record_state row as the pipeline sees it: full side states (a null side column means "same as the base"). */
export function stateOf(row: RecordStateColumns): RecordState {
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

export function outboxEntry(row: {
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

export function conflictView(row: {
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
  const parse = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);
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

/** The record states of `keys` (absent keys are not in the map). */
export async function loadStates(
  db: Kysely<StateTables>,
  sync: string,
  object: string,
  keys: readonly string[],
): Promise<Map<string, RecordState>> {
  const states = new Map<string, RecordState>();
  for (let i = 0; i < keys.length; i += 5000) {
    const rows = await db
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
