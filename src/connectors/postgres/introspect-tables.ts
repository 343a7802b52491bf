import type { CatalogEntity, CatalogField, CatalogFieldKind, EntityCatalog } from '../entity-catalog.js';
import type { SqlSession } from './sql-client.js';

const KIND_BY_UDT: Readonly<Record<string, CatalogFieldKind>> = {
  int2: 'integer',
  int4: 'integer',
  int8: 'integer',
  float4: 'number',
  float8: 'number',
  numeric: 'number',
  money: 'number',
  bool: 'boolean',
  date: 'date',
  timestamp: 'datetime',
  timestamptz: 'datetime',
  text: 'string',
  varchar: 'string',
  bpchar: 'string',
  citext: 'string',
  name: 'string',
  uuid: 'string',
};

/** Names of columns that conventionally hold a row's modification time. */
const MODIFICATION_COLUMN =
  /^(updated_at|updatedat|modified_at|modifiedat|last_modified|last_modified_at|changed_at|mtime)$/i;

/**
 * Every ordinary table the session can see outside the system schemas and `excludeSchemas` (tandem's own), with
 * its columns (information_schema.columns), types, primary key and single-column unique indexes. A pure read.
 */
export async function introspectTables(db: SqlSession, excludeSchemas: readonly string[]): Promise<EntityCatalog> {
  const excluded = ['pg_catalog', 'information_schema', 'pg_toast', ...excludeSchemas];
  const { rows: columns } = await db.query<{
    table_schema: string;
    table_name: string;
    column_name: string;
    data_type: string;
    udt_name: string;
    is_nullable: string;
    is_generated: string | null;
    is_identity: string | null;
  }>(
    `SELECT c.table_schema, c.table_name, c.column_name, c.data_type, c.udt_name, c.is_nullable, c.is_generated,
            c.is_identity
       FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE t.table_type = 'BASE TABLE' AND NOT (c.table_schema = ANY($1::text[])) AND c.table_schema NOT LIKE 'pg_temp%'
      ORDER BY c.table_schema, c.table_name, c.ordinal_position`,
    [excluded],
  );
  const { rows: keys } = await db.query<{ schema: string; table: string; cols: string; is_primary: boolean | string }>(
    `SELECT n.nspname AS schema, c.relname AS table, i.indisprimary AS is_primary,
            (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
              WHERE k.ord <= i.indnkeyatts) AS cols
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL AND NOT (n.nspname = ANY($1::text[]))`,
    [excluded],
  );
  const isTrue = (v: boolean | string): boolean => v === true || v === 't' || v === 'true';
  const byTable = new Map<string, { fields: CatalogField[]; primaryKey: string[]; unique: Set<string> }>();
  for (const k of keys) {
    const name = `${k.schema}.${k.table}`;
    const entry = byTable.get(name) ?? { fields: [], primaryKey: [], unique: new Set<string>() };
    byTable.set(name, entry);
    const cols = (k.cols ?? '').split(',').filter((c) => c !== '');
    if (isTrue(k.is_primary)) entry.primaryKey.push(...cols);
    if (cols.length === 1 && cols[0] !== undefined) entry.unique.add(cols[0]);
  }
  const entities: CatalogEntity[] = [];
  const order: string[] = [];
  const fieldsOf = new Map<string, CatalogField[]>();
  for (const c of columns) {
    const name = `${c.table_schema}.${c.table_name}`;
    if (!fieldsOf.has(name)) {
      fieldsOf.set(name, []);
      order.push(name);
    }
    const unique = byTable.get(name)?.unique.has(c.column_name) ?? false;
    const kind = KIND_BY_UDT[c.udt_name] ?? 'other';
    fieldsOf.get(name)?.push(
      Object.freeze({
        name: c.column_name,
        label: c.column_name,
        kind,
        nativeType: c.data_type === 'USER-DEFINED' ? c.udt_name : c.data_type,
        unique,
        externalId: unique,
        writable: c.is_generated !== 'ALWAYS' && c.is_identity !== 'YES',
        nullable: c.is_nullable === 'YES',
        modificationTime: kind === 'datetime' && MODIFICATION_COLUMN.test(c.column_name),
      }),
    );
  }
  for (const name of order) {
    entities.push(
      Object.freeze({
        name,
        label: name,
        fields: Object.freeze(fieldsOf.get(name) ?? []),
        primaryKey: Object.freeze([...(byTable.get(name)?.primaryKey ?? [])]),
      }),
    );
  }
  return Object.freeze({ entities: Object.freeze(entities) });
}
