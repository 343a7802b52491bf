--! `tandem serve`: which replica ran which run, the webhook delivery log, and the audit of erasures.

-- One row per run started by `tandem serve` (scheduled, asked for over HTTP, or a retry), with the replica that ran it.
create table :SCHEMA.serve_run (
  run_id      bigint primary key,
  sync_name   text not null,
  objects     text[] not null,
  full_run    boolean not null,
  trigger     text not null check (trigger in ('increment', 'full', 'api', 'retry')),
  replica     text not null,
  job_id      text,
  started_at  timestamptz not null default now()
);
create index serve_run_by_sync on :SCHEMA.serve_run (sync_name, run_id desc);

-- Every webhook delivery: no payload is kept (it names records), only the event, the outcome and the attempts.
create table :SCHEMA.notify_delivery (
  id            bigserial primary key,
  sync_name     text not null,
  event         text not null,
  run_id        bigint,
  target        text not null,
  status        text not null check (status in ('delivered', 'failed')),
  attempts      integer not null,
  last_status   integer,
  last_error    text,
  created_at    timestamptz not null default now(),
  finished_at   timestamptz not null default now()
);
create index notify_delivery_by_sync on :SCHEMA.notify_delivery (sync_name, id desc);

-- `tandem forget`: what was erased, when and where; never the erased values.
create table :SCHEMA.erasure_audit (
  id          bigserial primary key,
  sync_name   text not null,
  object      text not null,
  key         text not null,
  erp_id      text,
  crm_id      text,
  -- { "<table>": rows changed }
  removed     jsonb not null,
  erased_at   timestamptz not null default now()
);
