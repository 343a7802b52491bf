--! `tandem failed retry|skip|discard`: skipped failed records, and the audit of what an operator did to the queue.

-- A skipped failed record is not retried until the record changes again (a new write fails and clears the skip).
alter table :SCHEMA.failed_record add column skipped_at timestamptz;
alter table :SCHEMA.failed_record add column skipped_by text;

-- One row per operator command on a queue (`failed retry`, `failed skip`, `failed discard`): who, when, what it chose.
create table :SCHEMA.operator_action (
  id          bigserial primary key,
  sync_name   text not null,
  action      text not null check (action in ('failed-retry', 'failed-skip', 'failed-discard')),
  -- { "object"?: text, "key"?: text } ({} for --all)
  selector    jsonb not null,
  affected    integer not null,
  actor       text not null,
  created_at  timestamptz not null default now()
);
create index operator_action_by_sync on :SCHEMA.operator_action (sync_name, id desc);

-- The records one operator action touched, with the failure they had (`tandem forget` clears the reason).
create table :SCHEMA.operator_action_record (
  action_id   bigint not null references :SCHEMA.operator_action (id) on delete cascade,
  sync_name   text not null,
  object      text not null,
  system      text not null check (system in ('erp', 'crm')),
  key         text not null,
  status      text not null,
  reason      text,
  attempts    integer not null,
  primary key (action_id, object, system, key)
);
create index operator_action_record_by_key on :SCHEMA.operator_action_record (sync_name, object, key);
