import { CompiledQuery, sql, type Kysely, type RawBuilder } from 'kysely';
import { TandemError, EXIT } from '../util/errors.js';
import { CopyFromRequest } from './copy-connections.js';
import { copyText, type CopyValue } from './copy-text.js';
import { ROWS_FOR_COPY } from './statement-sizes.js';
import type { StateTables } from './state-tables.js';

export type { CopyValue } from './copy-text.js';

/**
 * Bulk loads through COPY inside the caller's transaction, on both backends (a Postgres server and PGlite; see
 * copy-connections.ts for how the COPY reaches the transaction's connection):
 *
 * - `copyRows(trx, table, columns, rows)`: COPY straight into a state table (appends: no conflict handling).
 * - `rowSource(trx, columns, rows)`: the rows as a relation `u` for one set-based statement (`insert ... select ...
 *   from ${source} on conflict ...`): a temporary table filled by COPY when there are many, an `unnest` of one array
 *   per column when there are few (COPY's fixed cost, a temporary table, is then higher).
 * - `appendRows(trx, table, columns, rows)`: `copyRows` when many, an `insert ... select from unnest` when few.
 *
 * Every value goes as text in COPY's text format (copy-text.ts): a jsonb value is its JSON text, parsed once by
 * Postgres, never wrapped in an array literal.
 */

/** A column of the rows: its name and the Postgres type its values are read as. */
export interface CopyColumn {
  readonly name: string;
  readonly type: 'text' | 'jsonb' | 'boolean' | 'bigint' | 'integer' | 'timestamptz';
}

/** The state database cannot run a COPY (its connections were not opened by openStateDatabase). */
export class CopyUnavailableError extends TandemError {
  constructor(table: string, cause?: unknown) {
    super(
      `COPY into ${table} did not run: the state database's connections have no COPY hook (see copy-connections.ts)`,
      {
        code: 'COPY_UNAVAILABLE',
        context: { table },
        cause,
        exitCode: EXIT.failure,
      },
    );
  }
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `table` as `db` qualifies it (its `withSchema`), quoted: `"tandem"."record_event"`. */
function qualified(db: Kysely<StateTables>, table: keyof StateTables): string {
  const text = db.selectFrom(table).selectAll().compile().sql;
  const prefix = 'select * from ';
  if (!text.startsWith(prefix)) throw new Error(`unexpected compiled select: ${text}`);
  return text.slice(prefix.length);
}

async function runCopy(
  db: Kysely<StateTables>,
  target: string,
  columns: readonly string[],
  rows: Iterable<readonly CopyValue[]>,
): Promise<number> {
  const { chunks, rowCount } = copyText(rows, columns.length);
  if (rowCount === 0) return 0;
  const request = new CopyFromRequest(`${target} (${columns.map(quoteIdent).join(', ')})`, chunks);
  try {
    await db.executeQuery(CompiledQuery.raw(request.statement('stdin'), [request]));
  } catch (error) {
    // Without the hook the driver sends the statement with a parameter it does not take, and the server refuses it.
    if (!request.taken) throw new CopyUnavailableError(target, error);
    throw error;
  }
  if (request.rowCount === null) throw new CopyUnavailableError(target);
  return request.rowCount;
}

/** COPYs `rows` into `table` (`columns` in row order) inside `db`'s transaction; returns the rows loaded. */
export async function copyRows(
  db: Kysely<StateTables>,
  table: keyof StateTables,
  columns: readonly string[],
  rows: Iterable<readonly CopyValue[]>,
): Promise<number> {
  return runCopy(db, qualified(db, table), columns, rows);
}

/** Temporary tables of this process get distinct names (several in one transaction are fine). */
let temporaryTables = 0;

/**
 * The rows as the relation `u` (columns named as given), for the one statement that reads them, in `db`'s transaction:
 * many rows are COPYed into a temporary table dropped at commit, a few are an `unnest` of one array per column.
 * `options.copy` forces one way (tests compare them).
 */
export async function rowSource(
  db: Kysely<StateTables>,
  columns: readonly CopyColumn[],
  rows: readonly (readonly CopyValue[])[],
  options: { readonly copy?: boolean } = {},
): Promise<RawBuilder<unknown>> {
  if (!(options.copy ?? rows.length >= ROWS_FOR_COPY)) return unnestSource(columns, rows);
  temporaryTables += 1;
  const name = `tandem_copy_${temporaryTables}`;
  const definition = columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ');
  await sql`create temporary table ${sql.id(name)} (${sql.raw(definition)}) on commit drop`.execute(db);
  await runCopy(
    db,
    quoteIdent(name),
    columns.map((c) => c.name),
    rows,
  );
  return sql`${sql.id(name)} as u`;
}

function unnestSource(columns: readonly CopyColumn[], rows: readonly (readonly CopyValue[])[]): RawBuilder<unknown> {
  const arrays = columns.map((c, i) => sql`${rows.map((r) => r[i] ?? null)}::${sql.raw(c.type)}[]`);
  return sql`unnest(${sql.join(arrays)}) as u(${sql.raw(columns.map((c) => quoteIdent(c.name)).join(', '))})`;
}

/**
 * Appends `rows` to `table` in `db`'s transaction: one COPY when they are many, one `insert ... select from unnest`
 * when they are few.
 */
export async function appendRows(
  db: Kysely<StateTables>,
  table: keyof StateTables,
  columns: readonly CopyColumn[],
  rows: readonly (readonly CopyValue[])[],
): Promise<void> {
  if (rows.length === 0) return;
  if (rows.length >= ROWS_FOR_COPY) {
    await copyRows(
      db,
      table,
      columns.map((c) => c.name),
      rows,
    );
    return;
  }
  const names = sql.raw(columns.map((c) => quoteIdent(c.name)).join(', '));
  await sql`insert into ${sql.raw(qualified(db, table))} (${names}) select * from ${unnestSource(columns, rows)}`.execute(
    db,
  );
}
