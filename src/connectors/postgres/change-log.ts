import { quoteIdent, quoteQualified } from './identifiers.js';
import type { PostgresStreamSettings } from './postgres-connector-config.js';
import { PostgresConfigError } from './postgres-errors.js';
import type { SqlSession } from './sql-client.js';

/**
 * The change log of changelog capture: one table in tandem's schema, fed by row triggers on each mapped table.
 *
 * Entries are consumed in (xid, seq) order, and only entries of transactions older than the xid horizon
 * `pg_snapshot_xmin(pg_current_snapshot())`: every transaction below the horizon has ended, so its entries are all
 * visible and no new entry below it can ever appear. A log watermark therefore encodes a pair (xid, seq):
 * `position = xid * 2^64 + seq`, "every entry at or below (xid, seq) in (xid, seq) order was consumed". seq alone is
 * not commit order (a transaction may take seq 5, and commit after the transaction holding seq 6), which is why
 * it is only the tie-breaker inside one transaction.
 */
export const TRIGGER_NAME = 'tandem_capture';
export const TRIGGER_NAME_UPDATE = 'tandem_capture_update';
export const LOG_TABLE = 'change_log';
export const CAPTURE_FUNCTION = 'capture_change';
/** The setting tandem's sink sets in its transactions; the trigger skips rows written with it. */
export const ORIGIN_SETTING = 'tandem.origin';

const SHIFT = 64n;
const MASK = (1n << SHIFT) - 1n;

/** A consumption point in the change log. */
export interface LogPosition {
  readonly xid: bigint;
  readonly seq: bigint;
}

export function encodePosition(p: LogPosition): string {
  return ((p.xid << SHIFT) | p.seq).toString();
}

export function decodePosition(position: string): LogPosition {
  const n = BigInt(position);
  return { xid: n >> SHIFT, seq: n & MASK };
}

/** The qualified change-log table. */
export function logTable(tandemSchema: string): string {
  return `${quoteIdent(tandemSchema)}.${quoteIdent(LOG_TABLE)}`;
}

/** Statements that create the shared log table and trigger function (idempotent). */
export function installLogStatements(tandemSchema: string): readonly string[] {
  if (tandemSchema.includes('$')) {
    throw new PostgresConfigError(`tandemSchema ${JSON.stringify(tandemSchema)} must not contain "$"`, {
      tandemSchema,
    });
  }
  const schema = quoteIdent(tandemSchema);
  const log = logTable(tandemSchema);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${schema}`,
    `CREATE TABLE IF NOT EXISTS ${log} (
       seq bigserial PRIMARY KEY,
       table_name text NOT NULL,
       op char(1) NOT NULL CHECK (op IN ('I', 'U', 'D')),
       key text,
       pk text NOT NULL,
       xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
       captured_at timestamptz NOT NULL DEFAULT clock_timestamp()
     )`,
    `CREATE INDEX IF NOT EXISTS change_log_table_xid_seq ON ${log} (table_name, xid, seq)`,
    // Key and pk are read with EXECUTE ... ::text so they print exactly as the source prints them.
    `CREATE OR REPLACE FUNCTION ${schema}.${quoteIdent(CAPTURE_FUNCTION)}() RETURNS trigger
     LANGUAGE plpgsql AS $tandem_body$
     DECLARE
       tbl text := TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME;
       q text := format('SELECT ($1).%I::text, ($1).%I::text', TG_ARGV[0], TG_ARGV[1]);
       new_key text; new_pk text; old_key text; old_pk text;
     BEGIN
       IF current_setting('${ORIGIN_SETTING}', true) = 'tandem' THEN
         RETURN NULL;
       END IF;
       IF TG_OP IN ('UPDATE', 'DELETE') THEN
         EXECUTE q INTO old_key, old_pk USING OLD;
       END IF;
       IF TG_OP IN ('INSERT', 'UPDATE') THEN
         EXECUTE q INTO new_key, new_pk USING NEW;
       END IF;
       IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND (old_key IS DISTINCT FROM new_key OR old_pk IS DISTINCT FROM new_pk)) THEN
         INSERT INTO ${log} (table_name, op, key, pk) VALUES (tbl, 'D', old_key, old_pk);
       END IF;
       IF TG_OP <> 'DELETE' THEN
         INSERT INTO ${log} (table_name, op, key, pk) VALUES (tbl, left(TG_OP, 1), new_key, new_pk);
       END IF;
       RETURN NULL;
     END
     $tandem_body$`,
  ];
}

/** Statements that attach the capture triggers to one mapped table (idempotent). */
export function installTriggerStatements(tandemSchema: string, settings: PostgresStreamSettings): readonly string[] {
  const fn = `${quoteIdent(tandemSchema)}.${quoteIdent(CAPTURE_FUNCTION)}`;
  const table = quoteQualified(settings.table);
  const args = `'${settings.keyColumn}', '${settings.primaryKey}'`; // identifiers validated: no quotes inside
  const watched = [
    ...new Set([
      settings.keyColumn,
      settings.primaryKey,
      ...settings.fields,
      ...(settings.softDeleteColumn === undefined ? [] : [settings.softDeleteColumn]),
    ]),
  ].map(quoteIdent);
  return [
    `CREATE OR REPLACE TRIGGER ${TRIGGER_NAME} AFTER INSERT OR DELETE ON ${table}
       FOR EACH ROW EXECUTE FUNCTION ${fn}(${args})`,
    // Only an UPDATE of a column tandem maps is a change (re-run install-capture when the mapping changes).
    `CREATE OR REPLACE TRIGGER ${TRIGGER_NAME_UPDATE} AFTER UPDATE ON ${table}
       FOR EACH ROW WHEN ((${watched.map((c) => `OLD.${c}`).join(', ')}) IS DISTINCT FROM (${watched.map((c) => `NEW.${c}`).join(', ')}))
       EXECUTE FUNCTION ${fn}(${args})`,
  ];
}

/** Statements that detach the triggers from one table and drop its pending entries. Shared objects stay. */
export function uninstallTriggerStatements(tandemSchema: string, settings: PostgresStreamSettings): readonly string[] {
  const table = quoteQualified(settings.table);
  return [
    `DROP TRIGGER IF EXISTS ${TRIGGER_NAME} ON ${table}`,
    `DROP TRIGGER IF EXISTS ${TRIGGER_NAME_UPDATE} ON ${table}`,
  ];
}

/** The name entries of a table carry in `table_name`. */
export function logTableName(settings: PostgresStreamSettings): string {
  return `${settings.table.schema}.${settings.table.table}`;
}

/** Whether both capture triggers exist on the table and the log table exists. */
export async function isCaptureInstalled(
  db: SqlSession,
  tandemSchema: string,
  settings: PostgresStreamSettings,
): Promise<boolean> {
  const { rows } = await db.query<{ n: string; log: string | null }>(
    `SELECT count(*)::text AS n, to_regclass($4)::text AS log FROM pg_trigger t
       JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace ns ON ns.oid = c.relnamespace
      WHERE ns.nspname = $1 AND c.relname = $2 AND t.tgname = ANY($3::text[])`,
    [settings.table.schema, settings.table.table, [TRIGGER_NAME, TRIGGER_NAME_UPDATE], logTable(tandemSchema)],
  );
  return rows[0]?.n === '2' && rows[0].log !== null;
}
