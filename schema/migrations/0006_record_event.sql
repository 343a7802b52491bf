--! The record timeline: an append-only history of what happened to each record (`tandem history`).

-- One row per thing that happened to one record, written set-based by the stage that did it, in the same
-- transaction: captured (a side's change staged), decided (a conflict decision: rules, policy version), planned (a
-- write put in the outbox), written / rejected / unprocessed (a side's answer, with the bulk job), conflict-queued,
-- conflict-resolved, and operator actions. `detail` is small: field names, rule, policy version, a reason; never
-- field values. Kept for `retention.history` days (`tandem prune`); `tandem forget` erases a record's rows.
create table :SCHEMA.record_event (
  id          bigserial primary key,
  sync_name   text not null,
  object      text not null,
  key         text not null,
  kind        text not null check (kind in ('captured', 'decided', 'planned', 'written', 'rejected', 'unprocessed',
                                            'conflict-queued', 'conflict-resolved', 'operator-action')),
  -- The side the event happened on (null for a decision or a conflict, which concern both).
  system      text check (system in ('erp', 'crm')),
  -- The record's id on `system` when known (findable by it).
  native_id   text,
  run_id      bigint,
  -- The remote bulk job a write went through (bulk_job.job_id), when the sink used one.
  job_id      text,
  detail      jsonb,
  at          timestamptz not null default now()
);
create index record_event_by_key on :SCHEMA.record_event (sync_name, object, key, id);
create index record_event_by_native_id on :SCHEMA.record_event (sync_name, native_id) where native_id is not null;
