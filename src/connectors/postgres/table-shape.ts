import type { FieldValue } from '../../model/record.js';
import { quoteIdent, quoteQualified } from './identifiers.js';
import type { PostgresStreamSettings } from './postgres-connector-config.js';
import { PostgresSchemaError } from './postgres-errors.js';
import type { SqlSession } from './sql-client.js';
import { closestNames, type SchemaProblem } from '../schema-problem.js';

/**
 * How a column's values travel: read as text in SQL (so pg and PGlite agree), then turned into a FieldValue.
 * - `integer`/`float`: JS numbers; `decimal` (numeric, int8): a number when it has at most 15 significant digits,
 *   else the exact text; `boolean`; `timestamptz`: ISO-8601 UTC with microseconds and `Z`; `timestamp`: the same
 *   without zone; `date`: `YYYY-MM-DD`; `text`: everything else, as Postgres prints it.
 */
export type ValueKind = 'integer' | 'float' | 'decimal' | 'boolean' | 'timestamptz' | 'timestamp' | 'date' | 'text';

export interface ColumnInfo {
  readonly name: string;
  /** `format_type()` of the column, e.g. `character varying(40)`, for messages. */
  readonly type: string;
  /**
   * The type without modifier, e.g. `character varying`: the cast applied to parameters and staged values. An
   * explicit cast to `varchar(40)` would silently truncate; assigning to the column checks the length instead.
   */
  readonly castType: string;
  readonly kind: ValueKind;
  readonly notNull: boolean;
}

/** What the connector knows about one mapped table. */
export interface TableShape {
  readonly columns: ReadonlyMap<string, ColumnInfo>;
  /** Columns that alone carry a unique (or primary key) index without predicate: valid ON CONFLICT targets. */
  readonly uniqueColumns: ReadonlySet<string>;
  /** First column of each plain index, in index order, e.g. `updated_at,id`; for the watermark index hint. */
  readonly indexes: readonly (readonly string[])[];
}

const KIND_BY_TYPE: Readonly<Record<string, ValueKind>> = {
  int2: 'integer',
  int4: 'integer',
  oid: 'integer',
  float4: 'float',
  float8: 'float',
  int8: 'decimal',
  numeric: 'decimal',
  bool: 'boolean',
  timestamptz: 'timestamptz',
  timestamp: 'timestamp',
  date: 'date',
};

/** Reads a table's columns and single-column unique indexes; undefined when the table does not exist. */
export async function readTableShape(
  db: SqlSession,
  settings: PostgresStreamSettings,
): Promise<TableShape | undefined> {
  const { rows: tables } = await db.query<{ oid: string }>(
    `SELECT c.oid::text AS oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
    [settings.table.schema, settings.table.table],
  );
  const oid = tables[0]?.oid;
  if (oid === undefined) return undefined;
  const { rows: columns } = await db.query<{
    name: string;
    type: string;
    cast_type: string;
    base: string;
    not_null: boolean | string;
  }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, format_type(a.atttypid, NULL) AS cast_type,
            coalesce(bt.typname, t.typname) AS base, a.attnotnull AS not_null
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type bt ON bt.oid = nullif(t.typbasetype, 0)
      WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [oid],
  );
  const { rows: indexes } = await db.query<{ cols: string; is_unique: boolean | string; plain: boolean | string }>(
    `SELECT (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
              WHERE k.ord <= i.indnkeyatts) AS cols,
            i.indisunique AS is_unique, (i.indpred IS NULL AND i.indexprs IS NULL) AS plain
       FROM pg_index i WHERE i.indrelid = $1::oid`,
    [oid],
  );
  const unique = new Set<string>();
  const plainIndexes: string[][] = [];
  for (const ix of indexes) {
    if (!isTrue(ix.plain) || ix.cols === null) continue;
    const cols = ix.cols.split(',');
    plainIndexes.push(cols);
    if (isTrue(ix.is_unique) && cols.length === 1 && cols[0] !== undefined) unique.add(cols[0]);
  }
  return Object.freeze({
    columns: new Map(
      columns.map((c) => [
        c.name,
        Object.freeze({
          name: c.name,
          type: c.type,
          castType: c.cast_type,
          kind: KIND_BY_TYPE[c.base] ?? 'text',
          notNull: isTrue(c.not_null),
        }),
      ]),
    ),
    uniqueColumns: unique,
    indexes: plainIndexes,
  });
}

/** Whether a column of this kind can hold a mapped field's canonical values (text holds anything). */
function fits(type: string, kind: ValueKind): boolean {
  if (kind === 'text') return true;
  switch (type) {
    case 'number':
    case 'integer':
      return kind === 'integer' || kind === 'float' || kind === 'decimal';
    case 'boolean':
      return kind === 'boolean';
    case 'date':
      return kind === 'date' || kind === 'timestamp' || kind === 'timestamptz';
    case 'datetime':
      return kind === 'timestamp' || kind === 'timestamptz';
    default:
      return true;
  }
}

function isTrue(v: boolean | string): boolean {
  return v === true || v === 't' || v === 'true';
}

/**
 * Checks that a stream's table and columns exist and fit: the key and primary key columns unique, `updatedAt` a
 * timestamp (watermark mode), the soft-delete column present. Throws PostgresSchemaError with
 * `{ object, table, column }` and what exists.
 */
export function checkTableShape(
  shape: TableShape | undefined,
  settings: PostgresStreamSettings,
  existingTables: readonly string[],
): TableShape {
  const table = `${settings.table.schema}.${settings.table.table}`;
  const object = settings.object;
  if (shape === undefined) {
    throw new PostgresSchemaError(
      `object ${object}: table ${table} does not exist` +
        (existingTables.length > 0 ? `; tables in schema ${settings.table.schema}: ${existingTables.join(', ')}` : '') +
        `. Fix the table name in tandem.yaml (objects.${object}) or create the table.`,
      { object, table, column: undefined, existing: existingTables },
    );
  }
  const existing = [...shape.columns.keys()];
  // Every problem of the stream at once: a person fixes them all in one edit, not one per run.
  const problems: (SchemaProblem & { role: string })[] = [];
  const need = (column: string, role: string): ColumnInfo | undefined => {
    const info = shape.columns.get(column);
    if (info === undefined) {
      const closest = closestNames(column, existing);
      problems.push({
        kind: 'missing-field',
        field: column,
        role,
        closest,
        message:
          `table ${table} has no column ${JSON.stringify(column)} (${role}); closest: ${closest.join(', ')}; its columns are: ` +
          `${existing.join(', ')}. Fix the name in tandem.yaml (objects.${object}) or add the column.`,
      });
    }
    return info;
  };
  const needUnique = (column: string, role: string): void => {
    if (need(column, role) === undefined) return;
    if (!shape.uniqueColumns.has(column)) {
      problems.push({
        kind: 'not-unique',
        field: column,
        role,
        message:
          `column ${table}.${column} (${role}) has no unique index, so writes cannot be keyed on it. ` +
          `Fix: CREATE UNIQUE INDEX ON ${quoteQualified(settings.table)} (${quoteIdent(column)});`,
      });
    }
  };
  needUnique(settings.keyColumn, 'key field');
  if (settings.primaryKey !== settings.keyColumn) needUnique(settings.primaryKey, 'primaryKey');
  for (const f of settings.fields) {
    const info = need(f, 'mapped field');
    const type = settings.fieldTypes?.[f];
    if (info !== undefined && type !== undefined && !fits(type, info.kind)) {
      problems.push({
        kind: 'type-mismatch',
        field: f,
        role: 'mapped field',
        message: `column ${table}.${f} is ${info.type}, which cannot hold the mapping's type: ${type} values. Fix the field's type: in tandem.yaml, or map another column.`,
      });
    }
  }
  const timestampRole = settings.capture === 'watermark' ? 'updatedAt' : undefined;
  if (timestampRole !== undefined || shape.columns.has(settings.updatedAt)) {
    const info = need(settings.updatedAt, 'updatedAt');
    if (info !== undefined && info.kind !== 'timestamptz' && info.kind !== 'timestamp') {
      problems.push({
        kind: 'type-mismatch',
        field: settings.updatedAt,
        role: 'updatedAt',
        message:
          `column ${table}.${settings.updatedAt} (updatedAt) is ${info.type}; it must be timestamptz ` +
          `or timestamp. Point options.updatedAt at the modification timestamp column.`,
      });
    } else if (info !== undefined && settings.capture === 'watermark' && !info.notNull) {
      // A row whose timestamp is NULL never compares greater than a cursor: watermark reads would never see it.
      problems.push({
        kind: 'other',
        field: settings.updatedAt,
        role: 'updatedAt',
        message:
          `column ${table}.${settings.updatedAt} (updatedAt) allows NULL, and watermark capture never ` +
          `sees rows whose timestamp is NULL. Fix: ALTER TABLE ${quoteQualified(settings.table)} ALTER COLUMN ` +
          `${quoteIdent(settings.updatedAt)} SET NOT NULL (after filling it), or use capture: changelog.`,
      });
    }
  }
  if (settings.softDeleteColumn !== undefined) need(settings.softDeleteColumn, 'softDeleteColumn');
  const first = problems[0];
  if (first !== undefined) {
    const rest = problems.slice(1).map((p) => `\n  also: ${p.message}`);
    throw new PostgresSchemaError(`object ${object}: ${first.message}${rest.join('')}`, {
      object,
      table,
      column: first.field,
      role: first.role,
      existing,
      ...(first.kind === 'not-unique' ? { uniqueColumns: [...shape.uniqueColumns] } : {}),
      problems: problems.map(({ role: _role, ...problem }) => problem),
    });
  }
  return shape;
}

/** The SQL expression that reads a column as text in tandem's canonical form. `ref` is a quoted reference. */
export function readExpression(kind: ValueKind, ref: string): string {
  switch (kind) {
    case 'timestamptz':
      return `to_char(${ref} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
    case 'timestamp':
      return `to_char(${ref}, 'YYYY-MM-DD"T"HH24:MI:SS.US')`;
    case 'date':
      return `to_char(${ref}, 'YYYY-MM-DD')`;
    case 'decimal':
      // trim_scale: 12.50 and 12.5 are one value; print it the way JavaScript prints the number.
      return `trim_scale(${ref}::numeric)::text`;
    default:
      return `${ref}::text`;
  }
}

/** Turns a column's text (from readExpression) into a FieldValue. */
export function parseValue(kind: ValueKind, text: string | null): FieldValue {
  if (text === null) return null;
  switch (kind) {
    case 'integer':
      return Number(text);
    case 'float': {
      const n = Number(text);
      return Number.isFinite(n) ? n : text;
    }
    case 'decimal':
      return isSafeDecimal(text) ? Number(text) : text;
    case 'boolean':
      return text === 'true' || text === 't';
    default:
      return text;
  }
}

function isSafeDecimal(text: string): boolean {
  const m = /^-?(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return false;
  const digits = `${m[1] ?? ''}${(m[2] ?? '').replace(/0+$/, '')}`.replace(/^0+/, '');
  return digits.length <= 15;
}

/** Turns a FieldValue into the text written to a column (then cast to the column's type in SQL). */
export function formatValue(value: FieldValue): string | null {
  if (value === null) return null;
  return typeof value === 'string' ? value : String(value);
}
