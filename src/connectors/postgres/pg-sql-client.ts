import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import pgCopyStreams from 'pg-copy-streams';
import Cursor from 'pg-cursor';
import { stringify } from 'csv-stringify';
import { UnavailableError } from '../../util/errors.js';
import { sqlState, type SqlClient, type SqlResult, type SqlSession } from './sql-client.js';

/**
 * The subset of `pg.Pool` this client uses (typed structurally, so tests or callers can pass their own pool).
 */
export interface PgPoolLike {
  connect(): Promise<PgPoolClientLike>;
  end(): Promise<void>;
}

/** The subset of a `pg.PoolClient` this client uses. `submittable` covers pg-copy-streams and pg-cursor objects. */
export interface PgPoolClientLike {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
  query<S>(submittable: S): S;
  release(error?: Error | boolean): void;
}

export interface PgSqlClientOptions {
  /** Sets `statement_timeout` on every connection. */
  readonly statementTimeoutMs?: number;
  /** Pool size; default 4. */
  readonly max?: number;
  /** Sets `TimeZone` on every connection (a time zone name, checked by the caller). */
  readonly timeZone?: string;
}

/** SqlClient over a `pg` pool: COPY through pg-copy-streams, streaming reads through pg-cursor. */
export class PgSqlClient implements SqlClient {
  readonly dialect = 'pg' as const;
  readonly #pool: PgPoolLike;
  /** Where the server is, for error messages: host and port only, never the password. */
  readonly #where: string;
  #closed = false;

  constructor(pool: PgPoolLike, where = 'postgres') {
    this.#pool = pool;
    this.#where = where;
  }

  /** A client with its own pool for a connection string. */
  static fromUrl(url: string, options: PgSqlClientOptions = {}): PgSqlClient {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.max ?? 4,
      ...(options.statementTimeoutMs === undefined ? {} : { statement_timeout: options.statementTimeoutMs }),
      ...(options.timeZone === undefined ? {} : { options: `-c TimeZone=${options.timeZone}` }),
    });
    // An idle client's socket error must not crash the process; the next query reports it.
    pool.on('error', () => undefined);
    return new PgSqlClient(pool, describeUrl(url));
  }

  async query<R extends object>(text: string, params: readonly unknown[] = []): Promise<SqlResult<R>> {
    const client = await this.#connect();
    try {
      return toResult<R>(await client.query(text, [...params]));
    } finally {
      client.release();
    }
  }

  async transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T> {
    const client = await this.#connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(sessionOf(client));
      await client.query('COMMIT');
      return result;
    } catch (thrown) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError as Error;
      }
      throw thrown;
    } finally {
      client.release(broken ?? false);
    }
  }

  readonly stream = <R extends object>(
    text: string,
    params: readonly unknown[],
    chunkSize: number,
  ): AsyncIterable<R[]> => {
    const connect = () => this.#connect();
    return {
      async *[Symbol.asyncIterator]() {
        const client = await connect();
        let broken: Error | undefined;
        let cursor: Cursor | undefined;
        try {
          // BEGIN first: pg runs submitted queries in order, and the cursor occupies the connection until closed.
          await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
          cursor = client.query(new Cursor(text, [...params]));
          for (;;) {
            const rows = (await cursor.read(chunkSize)) as R[];
            if (rows.length === 0) break;
            yield rows;
          }
        } catch (thrown) {
          broken = thrown as Error;
          throw thrown;
        } finally {
          try {
            await cursor?.close();
            await client.query('COMMIT');
          } catch (closeError) {
            broken ??= closeError as Error;
          }
          client.release(broken ?? false);
        }
      },
    };
  };

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }

  async #connect(): Promise<PgPoolClientLike> {
    try {
      return await this.#pool.connect();
    } catch (thrown) {
      const state = sqlState(thrown);
      // The server answered but refused this connection: the database named in the URL does not exist (3D000) or
      // the role may not log in (class 28). Both are a setting to fix, reported like any unreachable database.
      if (state === '3D000' || state?.startsWith('28')) {
        throw new UnavailableError(
          `Postgres at ${this.#where} refused the connection: ${(thrown as Error).message} (SQLSTATE ${state}). ` +
            (state === '3D000'
              ? 'Fix: create that database, or correct the database name in the connection string in tandem.yaml.'
              : 'Fix: check the user name and password in the connection string in tandem.yaml.'),
          { where: this.#where, sqlState: state },
          thrown,
        );
      }
      if (state !== undefined) throw thrown;
      throw new UnavailableError(
        `cannot connect to Postgres at ${this.#where}: ${(thrown as Error).message}. Check that the server runs and ` +
          `that the connection string in tandem.yaml is right.`,
        { where: this.#where },
        thrown,
      );
    }
  }
}

function toResult<R>(raw: { rows: unknown[]; rowCount: number | null }): SqlResult<R> {
  return { rows: raw.rows as R[], rowCount: raw.rowCount ?? raw.rows.length };
}

function sessionOf(client: PgPoolClientLike): SqlSession {
  return {
    query: async <R extends object>(text: string, params: readonly unknown[] = []) =>
      toResult<R>(await client.query(text, [...params])),
    copyRows: async (table, columns, rows) => {
      const copy = client.query(
        pgCopyStreams.from(`COPY ${table} (${columns.join(', ')}) FROM STDIN WITH (FORMAT csv)`),
      );
      // quoted_string: "" is an empty string, an unquoted empty field is NULL (COPY's csv rule).
      await pipeline(Readable.from(rows), stringify({ quoted_string: true }), copy);
    },
  };
}

function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'postgres (unparsable connection string)';
  }
}
