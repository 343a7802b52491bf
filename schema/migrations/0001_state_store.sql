--! tandem state store: runs, watermarks, per-record state, inbox, outbox, queues, job ledger.
--! `:SCHEMA` is replaced by the configured schema name (default `tandem`) before the file runs.

create schema if not exists :SCHEMA;

-- One row per `tandem sync` run (all objects of one sync config).
create table :SCHEMA.sync_run (
  id              bigserial primary key,
  sync_name       text not null,
  started_at      timestamptz not null default now(),
  finished_at     timestamptz,
  status          text not null check (status in ('running', 'succeeded', 'partial', 'failed', 'interrupted')),
  dry_run         boolean not null default false,
  objects         text[] not null,
  -- { "<object>": { "erp": { "created": n, ... }, "crm": {...}, "plan": { "<kind>": n } } }
  counts          jsonb not null default '{}',
  -- { "<object>": "<policy version>" }
  policy_versions jsonb not null default '{}',
  error           jsonb
);
create index sync_run_by_sync on :SCHEMA.sync_run (sync_name, id desc);

-- How far each side of each object has been captured. Advanced only by compare-and-set on `version`.
create table :SCHEMA.watermark (
  sync_name  text not null,
  object     text not null,
  system     text not null check (system in ('erp', 'crm')),
  value      jsonb not null,
  version    integer not null,
  updated_at timestamptz not null default now(),
  primary key (sync_name, object, system)
);

-- Per record: the base (last agreed canonical fields) and what tandem knows each side holds.
-- erp_fields / crm_fields are null when that side holds exactly the base (the common case: stored once).
-- pending is the plan's target while writes are in flight; it becomes the base once every write is confirmed.
create table :SCHEMA.record_state (
  sync_name       text not null,
  object          text not null,
  key             text not null,
  base            jsonb,
  base_hash       text,
  erp_fields      jsonb,
  crm_fields      jsonb,
  erp_exists      boolean not null default false,
  crm_exists      boolean not null default false,
  erp_id          text,
  crm_id          text,
  erp_modified_at text,
  crm_modified_at text,
  pending         jsonb,
  pending_delete  boolean not null default false,
  updated_at      timestamptz not null default now(),
  primary key (sync_name, object, key)
);
create index record_state_by_crm_id on :SCHEMA.record_state (sync_name, object, crm_id);
create index record_state_by_erp_id on :SCHEMA.record_state (sync_name, object, erp_id);

-- Captured changes not yet planned. Staged in the same transaction that advances the watermark, so a capture is
-- never lost: a crash leaves them here for the next run.
create table :SCHEMA.inbox (
  sync_name   text not null,
  object      text not null,
  system      text not null check (system in ('erp', 'crm')),
  key         text not null,
  native_id   text not null,
  fields      jsonb not null,
  modified_at text not null,
  deleted     boolean not null,
  -- true when the side holds the record without the key (created there): tandem writes the key back
  key_missing boolean not null default false,
  captured_at timestamptz not null default now(),
  primary key (sync_name, object, key, system)
);

-- Planned writes not yet confirmed by their side. `after` is the side's full state once the write lands.
create table :SCHEMA.outbox (
  sync_name  text not null,
  object     text not null,
  system     text not null check (system in ('erp', 'crm')),
  key        text not null,
  op         text not null check (op in ('upsert', 'delete')),
  payload    jsonb not null,
  after      jsonb,
  native_id  text,
  set_key    boolean not null default false,
  run_id     bigint,
  job_id     text,
  planned_at timestamptz not null default now(),
  primary key (sync_name, object, system, key)
);

-- Records waiting for a person: fields both sides changed whose policy says manual.
create table :SCHEMA.conflict (
  sync_name       text not null,
  object          text not null,
  key             text not null,
  fields          jsonb not null,
  existence       text check (existence in ('erp-deleted', 'crm-deleted')),
  erp_modified_at text,
  crm_modified_at text,
  rule            text not null,
  reason          text not null,
  policy_version  text not null,
  status          text not null check (status in ('open', 'resolved')),
  resolution      jsonb,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  primary key (sync_name, object, key)
);

-- Records a side rejected (or did not process), with the reason, retried with backoff.
create table :SCHEMA.failed_record (
  sync_name       text not null,
  object          text not null,
  system          text not null check (system in ('erp', 'crm')),
  key             text not null,
  status          text not null check (status in ('rejected', 'unprocessed')),
  reason          text not null,
  attempts        integer not null default 1,
  payload         jsonb,
  first_failed_at timestamptz not null default now(),
  last_failed_at  timestamptz not null default now(),
  next_retry_at   timestamptz not null,
  run_id          bigint,
  primary key (sync_name, object, system, key)
);
create index failed_record_due on :SCHEMA.failed_record (sync_name, object, next_retry_at);

-- Remote bulk jobs, recorded before their upload so that a crash resumes them instead of resubmitting.
create table :SCHEMA.bulk_job (
  job_id     text primary key,
  sync_name  text not null,
  system     text not null check (system in ('erp', 'crm')),
  object     text not null,
  operation  text not null,
  status     text not null check (status in ('open', 'done', 'abandoned')),
  detail     jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index bulk_job_open on :SCHEMA.bulk_job (sync_name, system, object) where status = 'open';

-- Every conflict decision, with the rule and policy version that made it: the record's decision timeline.
create table :SCHEMA.decision (
  id             bigserial primary key,
  sync_name      text not null,
  object         text not null,
  key            text not null,
  run_id         bigint,
  kind           text not null,
  decisions      jsonb not null,
  policy_version text,
  created_at     timestamptz not null default now()
);
create index decision_by_key on :SCHEMA.decision (sync_name, object, key, id desc);
