import type { ColumnType, Generated } from 'kysely';

/** JSON stored in a jsonb column. */
export type Json = ColumnType<unknown, string, string>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** The engine's own tables (schema/migrations), as Kysely sees them. */
export interface StateTables {
  sync_run: {
    id: Generated<string>;
    sync_name: string;
    started_at: Timestamp;
    finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
    status: 'running' | 'succeeded' | 'partial' | 'failed' | 'interrupted';
    dry_run: boolean;
    objects: string[];
    counts: Json;
    policy_versions: Json;
    error: ColumnType<unknown, string | null | undefined, string | null>;
  };
  watermark: {
    sync_name: string;
    object: string;
    system: 'erp' | 'crm';
    value: Json;
    version: number;
    updated_at: Timestamp;
  };
  record_state: {
    sync_name: string;
    object: string;
    key: string;
    base: ColumnType<unknown, string | null, string | null>;
    erp_fields: ColumnType<unknown, string | null, string | null>;
    crm_fields: ColumnType<unknown, string | null, string | null>;
    erp_exists: boolean;
    crm_exists: boolean;
    erp_id: string | null;
    crm_id: string | null;
    erp_modified_at: string | null;
    crm_modified_at: string | null;
    pending: ColumnType<unknown, string | null, string | null>;
    pending_delete: boolean;
    updated_at: Timestamp;
  };
  inbox: {
    sync_name: string;
    object: string;
    system: 'erp' | 'crm';
    key: string;
    native_id: string;
    fields: Json;
    modified_at: string;
    deleted: boolean;
    key_missing: boolean;
    captured_at: Timestamp;
  };
  outbox: {
    sync_name: string;
    object: string;
    system: 'erp' | 'crm';
    key: string;
    op: 'upsert' | 'delete';
    payload: Json;
    after: ColumnType<unknown, string | null, string | null>;
    native_id: string | null;
    set_key: boolean;
    run_id: string | null;
    job_id: string | null;
    planned_at: Timestamp;
  };
  conflict: {
    sync_name: string;
    object: string;
    key: string;
    fields: Json;
    existence: 'erp-deleted' | 'crm-deleted' | null;
    erp_modified_at: string | null;
    crm_modified_at: string | null;
    rule: string;
    reason: string;
    policy_version: string;
    status: 'open' | 'resolved';
    resolution: ColumnType<unknown, string | null, string | null>;
    created_at: Timestamp;
    updated_at: Timestamp;
  };
  failed_record: {
    sync_name: string;
    object: string;
    system: 'erp' | 'crm';
    key: string;
    status: 'rejected' | 'unprocessed';
    reason: string;
    attempts: number;
    payload: ColumnType<unknown, string | null, string | null>;
    first_failed_at: Timestamp;
    last_failed_at: Timestamp;
    next_retry_at: Timestamp;
    run_id: string | null;
    /** Set by `tandem failed skip` (migration 0005): not retried until the record fails anew. */
    skipped_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
    skipped_by: ColumnType<string | null, string | null | undefined, string | null>;
  };
  bulk_job: {
    job_id: string;
    sync_name: string;
    system: 'erp' | 'crm';
    object: string;
    operation: string;
    status: 'open' | 'done' | 'abandoned';
    detail: Json;
    created_at: Timestamp;
    updated_at: Timestamp;
  };
  decision: {
    id: Generated<string>;
    sync_name: string;
    object: string;
    key: string;
    run_id: string | null;
    kind: string;
    decisions: Json;
    policy_version: string | null;
    created_at: Timestamp;
  };
  /** `tandem serve`: which replica ran which run (migration 0004). */
  serve_run: {
    run_id: string;
    sync_name: string;
    objects: string[];
    full_run: boolean;
    trigger: 'increment' | 'full' | 'api' | 'retry';
    replica: string;
    job_id: string | null;
    started_at: Timestamp;
  };
  /** Every webhook delivery, without its payload (migration 0004). */
  notify_delivery: {
    id: Generated<string>;
    sync_name: string;
    event: string;
    run_id: string | null;
    target: string;
    status: 'delivered' | 'failed';
    attempts: number;
    last_status: number | null;
    last_error: string | null;
    created_at: Timestamp;
    finished_at: Timestamp;
  };
  /** `tandem forget`: what was erased, when and where; never the values (migration 0004). */
  erasure_audit: {
    id: Generated<string>;
    sync_name: string;
    object: string;
    key: string;
    erp_id: string | null;
    crm_id: string | null;
    removed: Json;
    erased_at: Timestamp;
  };
  /** One operator command on a queue: `tandem failed retry|skip|discard` (migration 0005). */
  operator_action: {
    id: Generated<string>;
    sync_name: string;
    action: 'failed-retry' | 'failed-skip' | 'failed-discard';
    selector: Json;
    affected: number;
    actor: string;
    created_at: Timestamp;
  };
  /** The records one operator action touched, with the failure they had (migration 0005). */
  operator_action_record: {
    action_id: string;
    sync_name: string;
    object: string;
    system: 'erp' | 'crm';
    key: string;
    status: string;
    reason: string | null;
    attempts: number;
  };
  /** The record timeline: one row per thing that happened to one record (migration 0006). */
  record_event: {
    id: Generated<string>;
    sync_name: string;
    object: string;
    key: string;
    kind:
      | 'captured'
      | 'decided'
      | 'planned'
      | 'written'
      | 'rejected'
      | 'unprocessed'
      | 'conflict-queued'
      | 'conflict-resolved'
      | 'operator-action';
    system: 'erp' | 'crm' | null;
    native_id: string | null;
    run_id: string | null;
    job_id: string | null;
    detail: ColumnType<unknown, string | null, string | null>;
    at: Timestamp;
  };
}
