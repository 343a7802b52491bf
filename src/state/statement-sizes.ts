/** Rows per multi-row statement (Postgres allows 65535 parameters; record_state has 16 columns). */
export const ROWS_PER_STATEMENT = 1000;
/**
 * Rows per `insert ... select from unnest(arrays)` where a statement still binds arrays (the state store's own writes
 * go through copy-rows.ts, below ROWS_FOR_COPY rows only): one array parameter per column instead of one parameter per cell,
 * so Postgres parses and binds a short statement (bench: 5000 rows in ~25% less time than five 1000-row VALUES lists).
 */
export const ROWS_PER_UNNEST = 5000;
/** Keys per `where key in (...)` list of a delete or an update. */
export const KEYS_PER_LIST = 5000;
/**
 * Rows from which a write goes through COPY (copy-rows.ts) instead of one `insert ... select from unnest(arrays)`:
 * below it, COPY's fixed cost (a temporary table, a second statement) is higher than parsing the arrays. Measured on
 * a Postgres server (record_state upsert, one transaction, median of 5): 20 rows 10 ms unnest / 18 ms COPY, 100 rows
 * 20 / 15, 1,000 rows 133 / 47, 5,000 rows 557 / 181.
 */
export const ROWS_FOR_COPY = 100;
