--! A remote job id is unique within one remote org, not across the syncs that share a state store (two syncs may
--! talk to two orgs, or to an emulator restarted without its data). Key the ledger on (sync_name, job_id).

alter table :SCHEMA.bulk_job drop constraint bulk_job_pkey;
alter table :SCHEMA.bulk_job add primary key (sync_name, job_id);
