/**
 * The part of a Postgres client the connector needs, so the connector runs on a `pg` pool (a real server) or on a
 * PGlite instance (embedded, in memory) alike. Rows always come back as plain objects; the connector casts every
 * value it reads to text in SQL, so the two drivers' type parsers never matter.
 *
 * @example
 * ```ts
 * const client: SqlClient = PgSqlClient.fromUrl('postgres://tandem@erp/erp')
 * const { rows } = await client.query<{ n: string }>('select count(*)::text as n from public.customers')
 * await client.transaction(async (tx) => { await tx.query('update ...', [42]) })
 * await client.close()
 * ```
 */
export interface SqlSession {
  /** Runs one statement; parameters are always bound, never interpolated. */
  query<R extends object = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<SqlResult<R>>;
  /**
   * Bulk-loads text rows into `table` (already quoted) with COPY FROM STDIN. Absent when the driver has no COPY;
   * callers then fall back to `INSERT ... SELECT FROM unnest(...)`.
   */
  readonly copyRows?: (
    table: string,
    columns: readonly string[],
    rows: Iterable<readonly (string | null)[]>,
  ) => Promise<void>;
}

export interface SqlResult<R> {
  readonly rows: R[];
  /** Rows affected (INSERT/UPDATE/DELETE) or returned. */
  readonly rowCount: number;
}

export interface SqlClient extends SqlSession {
  /** Which implementation this is; for logs and for choosing strategies that only one backend supports. */
  readonly dialect: 'pg' | 'pglite';
  /**
   * Runs `fn` in a transaction on one dedicated connection: COMMIT when it resolves, ROLLBACK when it throws.
   * PGlite has a single connection, so transactions (and other queries) are serialised.
   */
  transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T>;
  /**
   * Streams a query's rows in chunks through a server-side cursor (bounded memory), inside a read-only
   * REPEATABLE READ transaction, so the rows are one consistent snapshot. Absent on PGlite: use keyset pages.
   */
  readonly stream?: <R extends object>(
    text: string,
    params: readonly unknown[],
    chunkSize: number,
  ) => AsyncIterable<R[]>;
  /** Releases the pool (pg) or nothing (PGlite: the caller owns the instance). Safe to call twice. */
  close(): Promise<void>;
}

/** The SQLSTATE of a database error, or undefined when `thrown` is not one (a network failure, a bug). */
export function sqlState(thrown: unknown): string | undefined {
  if (typeof thrown !== 'object' || thrown === null) return undefined;
  const code = (thrown as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
