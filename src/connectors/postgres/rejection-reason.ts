import { sqlState, type SqlSession } from './sql-client.js';
import type { StreamPlan } from './stream-plan.js';

/** Postgres's `detail` of CHECK and NOT NULL violations: every column of the row, unmapped ones included. */
const ROW_DUMP = /^Failing row contains /;

interface DatabaseErrorFields {
  readonly message: string;
  readonly detail: string | undefined;
  readonly code: string | undefined;
  readonly constraint: string | undefined;
  readonly column: string | undefined;
}

function fieldsOf(thrown: unknown): DatabaseErrorFields {
  if (typeof thrown !== 'object' || thrown === null) {
    return { message: String(thrown), detail: undefined, code: undefined, constraint: undefined, column: undefined };
  }
  const e = thrown as Record<string, unknown>;
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
  return {
    message: text(e['message']) ?? 'database error',
    detail: text(e['detail']),
    code: sqlState(thrown),
    constraint: text(e['constraint']),
    column: text(e['column']),
  };
}

/**
 * A database error as text for a record's reason, without the row: Postgres's `Failing row contains (...)` detail
 * (CHECK and NOT NULL violations) lists every column of the row, unmapped ones included, and is left out. Other
 * details (a unique or foreign key violation's `Key (col)=(value)`) name only the columns involved and are kept.
 */
export function databaseErrorText(thrown: unknown): string {
  const e = fieldsOf(thrown);
  const detail = e.detail !== undefined && !ROW_DUMP.test(e.detail) ? ` (${e.detail})` : '';
  return `${e.message}${detail}${e.code === undefined ? '' : ` [${e.code}]`}`;
}

/**
 * Why the database refused one record, naming the constraint and the mapped fields it involves, never the row's
 * values: e.g. `new row for relation "customers" violates check constraint "customers_credit_check"; mapped
 * field(s) involved: credit [23514]`. Runs one catalogue query (in `tx`, which must be usable: after ROLLBACK TO
 * SAVEPOINT) for a table CHECK constraint, to find its columns.
 */
export async function rejectionReason(tx: SqlSession, plan: StreamPlan, thrown: unknown): Promise<string> {
  const e = fieldsOf(thrown);
  let columns: readonly string[] = [];
  if (e.column !== undefined) columns = [e.column];
  else if (e.constraint !== undefined && e.code === '23514') columns = await checkColumns(tx, plan, e.constraint);
  if (columns.length === 0) return databaseErrorText(thrown);
  const mapped = new Set(plan.settings.fields);
  const involved = columns.filter((c) => mapped.has(c));
  const others = columns.filter((c) => !mapped.has(c));
  const parts = [
    involved.length > 0 ? `mapped field(s) involved: ${involved.join(', ')}` : 'it involves no mapped field',
    ...(others.length > 0 ? [`unmapped column(s): ${others.join(', ')}`] : []),
  ];
  const detail = e.detail !== undefined && !ROW_DUMP.test(e.detail) ? ` (${e.detail})` : '';
  return `${e.message}${detail}; ${parts.join('; ')}${e.code === undefined ? '' : ` [${e.code}]`}`;
}

async function checkColumns(tx: SqlSession, plan: StreamPlan, constraint: string): Promise<string[]> {
  // Under a savepoint: a failing catalogue query must not abort the batch's transaction.
  await tx.query('SAVEPOINT tandem_reason');
  try {
    const { rows } = await tx.query<{ name: string }>(
      `SELECT a.attname AS name FROM pg_constraint c
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
        WHERE c.conrelid = $1::regclass AND c.conname = $2 ORDER BY a.attnum`,
      [plan.table, constraint],
    );
    await tx.query('RELEASE SAVEPOINT tandem_reason');
    return rows.map((r) => r.name);
  } catch {
    await tx.query('ROLLBACK TO SAVEPOINT tandem_reason');
    await tx.query('RELEASE SAVEPOINT tandem_reason');
    // Naming the columns is a courtesy: without catalogue access the reason still names the constraint.
    return [];
  }
}
