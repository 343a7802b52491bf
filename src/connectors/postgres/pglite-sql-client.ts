import type { SqlClient, SqlResult, SqlSession } from './sql-client.js';

/** The subset of a PGlite transaction this client uses. */
export interface PgliteTransactionLike {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[]; affectedRows?: number }>;
}

/** The subset of `@electric-sql/pglite`'s PGlite this client uses (typed structurally). */
export interface PgliteLike extends PgliteTransactionLike {
  transaction<T>(fn: (tx: PgliteTransactionLike) => Promise<T>): Promise<T>;
}

/**
 * SqlClient over a PGlite instance. PGlite is one connection: it queues queries and transactions itself, so this
 * class only adapts shapes. There is no COPY FROM STDIN and no cursor stream: callers use unnest() inserts and
 * keyset pages.
 */
export class PgliteSqlClient implements SqlClient {
  readonly dialect = 'pglite' as const;
  readonly #db: PgliteLike;

  constructor(db: PgliteLike) {
    this.#db = db;
  }

  async query<R extends object>(text: string, params: readonly unknown[] = []): Promise<SqlResult<R>> {
    return toResult(await this.#db.query<R>(text, [...params]));
  }

  async transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T> {
    return this.#db.transaction(async (tx) =>
      fn({
        query: async <R extends object>(text: string, params: readonly unknown[] = []) =>
          toResult(await tx.query<R>(text, [...params])),
      }),
    );
  }

  /** The caller owns the PGlite instance and closes it. */
  async close(): Promise<void> {}
}

function toResult<R>(raw: { rows: R[]; affectedRows?: number }): SqlResult<R> {
  return { rows: raw.rows, rowCount: raw.affectedRows ?? raw.rows.length };
}
