--! Cheaper writes of record_state, the table every synced record passes through twice per run.
--! No query looks records up by native id (keys are derived deterministically), so the two indexes on erp_id and
--! crm_id only cost index maintenance on every write. Without them, and with room left on each page, the update that
--! confirms a write can be a HOT update (no index touched at all).

drop index if exists :SCHEMA.record_state_by_crm_id;
drop index if exists :SCHEMA.record_state_by_erp_id;
alter table :SCHEMA.record_state set (fillfactor = 80);
alter table :SCHEMA.outbox set (fillfactor = 90);
