--! record_state.base_hash was written on every confirmed write (a SHA-256 of the base's canonical JSON) and read by
--! nothing: no query, no command, no comparison used it. Computing it cost a hash per record in Node and, in the
--! set-based confirmation, rebuilding each record's canonical JSON in SQL (about a third of that statement's time
--! in a first load). Comparisons of records use their canonical JSON in Node (canonical-json.ts) or jsonb equality.

alter table :SCHEMA.record_state drop column if exists base_hash;
