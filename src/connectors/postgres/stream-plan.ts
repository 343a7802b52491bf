import type { StreamRef } from '../../model/stream.js';
import { quoteIdent, quoteQualified } from './identifiers.js';
import type { PostgresStreamSettings } from './postgres-connector-config.js';
import { readExpression, type ColumnInfo, type TableShape } from './table-shape.js';

/** A stream's validated settings and its table's shape: everything the source and sink need to build SQL. */
export interface StreamPlan {
  readonly settings: PostgresStreamSettings;
  readonly shape: TableShape;
  /** `"schema"."table"` */
  readonly table: string;
  readonly key: ColumnInfo;
  readonly pk: ColumnInfo;
  readonly fields: readonly ColumnInfo[];
  /** The modification column when the table has one (always in watermark mode). */
  readonly updatedAt: ColumnInfo | undefined;
  readonly softDelete: ColumnInfo | undefined;
}

/** Resolves a stream to its plan (validated and introspected once, then cached by the connector). */
export type PlanResolver = (stream: StreamRef) => Promise<StreamPlan>;

export function buildPlan(settings: PostgresStreamSettings, shape: TableShape): StreamPlan {
  const col = (name: string): ColumnInfo => {
    const info = shape.columns.get(name);
    if (info === undefined) throw new Error(`bug: column ${name} missing after the schema check`);
    return info;
  };
  return Object.freeze({
    settings,
    shape,
    table: quoteQualified(settings.table),
    key: col(settings.keyColumn),
    pk: col(settings.primaryKey),
    fields: Object.freeze(settings.fields.map(col)),
    updatedAt: shape.columns.get(settings.updatedAt),
    softDelete: settings.softDeleteColumn === undefined ? undefined : col(settings.softDeleteColumn),
  });
}

const TS_FORMAT = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

/**
 * An instant column as ISO-8601 UTC text. A `timestamp` without zone is local time in the session's TimeZone (the
 * database's, or erp.timeZone): see naive-timestamps.ts.
 */
export function instantExpression(column: ColumnInfo, ref: string): string {
  return column.kind === 'timestamptz'
    ? `to_char(${ref} AT TIME ZONE 'UTC', ${TS_FORMAT})`
    : `to_char(${ref}::timestamptz AT TIME ZONE 'UTC', ${TS_FORMAT})`;
}

/** `now()` as ISO-8601 UTC text. */
export const NOW_EXPRESSION = `to_char(now() AT TIME ZONE 'UTC', ${TS_FORMAT})`;

/**
 * The select list of a record read, with fixed aliases: `__pk`, `__key`, `__ts` (null without an updatedAt column),
 * `__tsk` (a naive updatedAt's own value),
 * `__del` (soft-deleted), `c0..cN` (mapped fields, in plan order). `alias` qualifies the columns (e.g. `t`).
 */
export function recordSelectList(plan: StreamPlan, alias = 't'): string {
  const ref = (c: ColumnInfo): string => `${alias}.${quoteIdent(c.name)}`;
  const parts = [
    `${ref(plan.pk)}::text AS __pk`,
    `${ref(plan.key)}::text AS __key`,
    plan.updatedAt === undefined
      ? `NULL::text AS __ts`
      : `${instantExpression(plan.updatedAt, ref(plan.updatedAt))} AS __ts`,
    // A naive column's own value, for keyset paging in its own (local) order.
    plan.updatedAt?.kind === 'timestamp'
      ? `${readExpression('timestamp', ref(plan.updatedAt))} AS __tsk`
      : `NULL::text AS __tsk`,
    plan.softDelete === undefined ? `false AS __del` : `(${ref(plan.softDelete)} IS NOT NULL) AS __del`,
    ...plan.fields.map((f, i) => `${readExpression(f.kind, ref(f))} AS c${i}`),
  ];
  return parts.join(', ');
}

/** One row as recordSelectList returns it. */
export interface RecordRow {
  readonly __pk: string;
  readonly __key: string | null;
  readonly __ts: string | null;
  /** The naive updatedAt value as written (null unless updatedAt is `timestamp` without zone). */
  readonly __tsk: string | null;
  readonly __del: boolean | string;
  readonly [column: `c${number}`]: string | null;
}
