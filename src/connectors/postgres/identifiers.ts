import pg from 'pg';
import { PostgresConfigError } from './postgres-errors.js';

/**
 * Identifiers tandem accepts from configuration: a letter or underscore, then letters, digits, `_` or `$`,
 * at most 63 bytes (Postgres' NAMEDATALEN - 1). Anything else is refused before it reaches SQL; accepted names
 * are still always quoted, so mixed-case names keep their case.
 */
export const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/** Throws PostgresConfigError unless `name` matches IDENTIFIER_PATTERN. `what` names it in the message. */
export function assertIdentifier(name: string, what: string, context: Record<string, unknown> = {}): string {
  if (!IDENTIFIER_PATTERN.test(name)) {
    throw new PostgresConfigError(
      `${what} ${JSON.stringify(name)} is not an accepted Postgres identifier; allowed: a letter or "_" followed by ` +
        `up to 62 letters, digits, "_" or "$". Rename it in tandem.yaml or create a view with a plain name.`,
      { ...context, what, value: name },
    );
  }
  return name;
}

/** Quotes an identifier, doubling embedded quotes (pg's `escapeIdentifier`). */
export function quoteIdent(name: string): string {
  return pg.escapeIdentifier(name);
}

/** A table name split into schema and table. */
export interface QualifiedName {
  readonly schema: string;
  readonly table: string;
}

/** Parses `schema.table` or `table` (schema `public`), validating both parts. */
export function parseEntity(entity: string, context: Record<string, unknown> = {}): QualifiedName {
  const parts = entity.split('.');
  if (parts.length > 2 || parts.length === 0) {
    throw new PostgresConfigError(
      `table ${JSON.stringify(entity)} must be written "schema.table" or "table" (schema public)`,
      { ...context, value: entity },
    );
  }
  const [first, second] = parts as [string, string | undefined];
  const schema = second === undefined ? 'public' : first;
  const table = second ?? first;
  assertIdentifier(schema, 'schema', context);
  assertIdentifier(table, 'table', context);
  return Object.freeze({ schema, table });
}

/** `"schema"."table"`, quoted. */
export function quoteQualified(name: QualifiedName): string {
  return `${quoteIdent(name.schema)}.${quoteIdent(name.table)}`;
}
