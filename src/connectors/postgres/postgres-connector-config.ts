import { z } from 'zod';
import type { StreamRef } from '../../model/stream.js';
import { assertIdentifier, parseEntity, type QualifiedName } from './identifiers.js';
import { PostgresConfigError } from './postgres-errors.js';
import type { PgliteLike } from './pglite-sql-client.js';

// A plain SQL identifier: what Postgres accepts unquoted (63 bytes at most).
const SQL_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const SQL_NAME_RULE =
  'a plain SQL name (letters, digits, _; not starting with a digit). Fix: rename it or use a view with a plain name';
/** A column name in tandem.yaml. Messages start with "must": tandem puts the setting's name before them. */
export const sqlColumnName = z.string().regex(SQL_NAME, { error: `must be ${SQL_NAME_RULE}` });
/** A plain SQL name whose message names the setting, e.g. `erp.primaryKey`. */
export const sqlName = (what: string) => z.string().regex(SQL_NAME, { error: `${what} must be ${SQL_NAME_RULE}` });
/** A table in tandem.yaml: `table` or `schema.table`; the schema defaults to `public`. */
export const sqlTableName = z
  .string()
  .regex(/^(?:[A-Za-z_][A-Za-z0-9_]{0,62}\.)?[A-Za-z_][A-Za-z0-9_]{0,62}$/, {
    error: 'must be `table` or `schema.table`, each a plain SQL name (letters, digits, _). Fix: e.g. public.customers',
  })
  .overwrite((table) => (table.includes('.') ? table : `public.${table}`))
  .describe('ERP table, `schema.table` (the schema defaults to public).');

/** Per-stream options (`StreamRef.options`, `objects.<name>.erp.*` in tandem.yaml). Unknown keys are refused. */
export const postgresStreamOptionsSchema = z.strictObject({
  primaryKey: sqlName('erp.primaryKey').default('id').describe('Primary key column (the native id). Default id.'),
  updatedAt: sqlName('erp.updatedAt')
    .default('updated_at')
    .describe('Modification timestamp column. Default updated_at.'),
  capture: z
    .enum(['watermark', 'changelog'])
    .default('watermark')
    .describe(
      "How ERP changes are captured: 'watermark' (updatedAt column, read-only access is enough) or 'changelog' (trigger + change-log table). Default watermark.",
    ),
  lookbackSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .default(300)
    .describe('How far back each ERP read re-reads, in seconds (late commits). Default 300.'),
  deletes: z
    .enum(['delete', 'soft-delete', 'ignore'])
    .default('delete')
    .describe('What a delete coming from the CRM does in the ERP. Default delete.'),
  softDeleteColumn: sqlName('erp.softDeleteColumn')
    .optional()
    .describe('Timestamp column marking a row deleted when not null (with deletes: soft-delete), e.g. deleted_at.'),
});

export type PostgresStreamOptionsInput = z.input<typeof postgresStreamOptionsSchema>;

/** A stream's validated settings, identifiers checked. */
export interface PostgresStreamSettings {
  readonly object: string;
  readonly table: QualifiedName;
  readonly keyColumn: string;
  readonly fields: readonly string[];
  readonly primaryKey: string;
  readonly updatedAt: string;
  readonly capture: 'watermark' | 'changelog';
  readonly lookbackSeconds: number;
  readonly deletes: 'delete' | 'soft-delete' | 'ignore';
  readonly softDeleteColumn: string | undefined;
  /** The mapping's canonical type per field, when the engine says (for the start-up type check). */
  readonly fieldTypes?: Readonly<Record<string, string>>;
}

const ALLOWED_STREAM_KEYS = Object.keys(postgresStreamOptionsSchema.shape).join(', ');

/** Validates a stream's entity, key field, fields and options. Throws PostgresConfigError listing every issue. */
export function parseStreamSettings(stream: StreamRef): PostgresStreamSettings {
  const context = { object: stream.name, table: stream.entity };
  const parsed = postgresStreamOptionsSchema.safeParse(stream.options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown option(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`
        : `${issue.path.join('.') || '(options)'}: ${issue.message}`,
    );
    throw new PostgresConfigError(
      `object ${JSON.stringify(stream.name)}: invalid Postgres options: ${issues.join('; ')}. Allowed options: ${ALLOWED_STREAM_KEYS}.`,
      { ...context, issues },
    );
  }
  const o = parsed.data;
  if (o.deletes === 'soft-delete' && o.softDeleteColumn === undefined) {
    throw new PostgresConfigError(
      `object ${JSON.stringify(stream.name)}: deletes: soft-delete needs softDeleteColumn (e.g. deleted_at)`,
      context,
    );
  }
  const table = parseEntity(stream.entity, context);
  const fields = stream.fields.map((f) => assertIdentifier(f, 'field', { ...context, column: f }));
  return Object.freeze({
    object: stream.name,
    table,
    keyColumn: assertIdentifier(stream.keyField, 'key field', { ...context, column: stream.keyField }),
    fields: Object.freeze([...fields]),
    ...(stream.fieldTypes ? { fieldTypes: stream.fieldTypes } : {}),
    primaryKey: assertIdentifier(o.primaryKey, 'primaryKey', { ...context, column: o.primaryKey }),
    updatedAt: assertIdentifier(o.updatedAt, 'updatedAt', { ...context, column: o.updatedAt }),
    capture: o.capture,
    lookbackSeconds: o.lookbackSeconds,
    deletes: o.deletes,
    softDeleteColumn:
      o.softDeleteColumn === undefined
        ? undefined
        : assertIdentifier(o.softDeleteColumn, 'softDeleteColumn', { ...context, column: o.softDeleteColumn }),
  });
}

const common = {
  /** Schema for tandem's own objects on the ERP (change log, trigger function). Default `tandem`. */
  tandemSchema: z.string().default('tandem'),
  /** Rows per page read and per write transaction. Default 5000. */
  batchSize: z.number().int().min(1).max(1_000_000).default(5000),
  /** `statement_timeout` for every statement tandem runs, in milliseconds. */
  statementTimeoutMs: z.number().int().min(1).optional(),
  /**
   * Time zone of the table's `timestamp without time zone` values (e.g. `America/New_York`), set as the TimeZone of
   * tandem's sessions. Default: the database's own TimeZone setting.
   */
  timeZone: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/, { message: 'expected a time zone name, e.g. America/New_York' })
    .optional(),
};

/** The connector's configuration: a connection string, or a PGlite instance (embedded, tests and demos). */
export const postgresConnectorConfigSchema = z.union([
  z.strictObject({ url: z.string().min(1), ...common }),
  z.strictObject({
    pglite: z.custom<PgliteLike>(
      (v) => typeof v === 'object' && v !== null && typeof (v as { query?: unknown }).query === 'function',
      { message: 'expected a PGlite instance' },
    ),
    ...common,
  }),
]);

export type PostgresConnectorConfigInput = z.input<typeof postgresConnectorConfigSchema>;
export type PostgresConnectorConfig = z.output<typeof postgresConnectorConfigSchema>;

/** Validates the connector config. The URL never appears in the error (it may hold a password). */
export function parseConnectorConfig(input: unknown): PostgresConnectorConfig {
  const parsed = postgresConnectorConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`);
    throw new PostgresConfigError(
      `invalid Postgres connector config: ${issues.join('; ')}. Give either { url } or { pglite }, plus optional ` +
        `tandemSchema, batchSize, statementTimeoutMs, timeZone.`,
      { issues },
    );
  }
  assertIdentifier(parsed.data.tandemSchema, 'tandemSchema');
  return parsed.data;
}
