import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PGlite } from '@electric-sql/pglite';
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';
import pgCopyStreams from 'pg-copy-streams';

/**
 * COPY FROM through Kysely, on the connection (and so in the transaction) the query runs on. Kysely has no COPY and
 * does not expose its connections, so a COPY travels as an ordinary query whose only parameter is a `CopyFromRequest`;
 * the state database's connections (opened by state-database.ts through `copyingPool` or `copyingPglite`) recognise
 * it and run the COPY themselves, feeding it the request's text: COPY FROM STDIN (pg-copy-streams) on a Postgres
 * server, COPY FROM '/dev/blob' (a `Blob` query option) on PGlite.
 */
export class CopyFromRequest {
  #taken = false;
  #rowCount: number | null = null;

  /**
   * @param target the quoted, qualified table and its column list: `"tandem"."record_event" ("key", "kind")`
   * @param chunks the rows in COPY's text format (copy-text.ts), whole lines per chunk
   */
  constructor(
    readonly target: string,
    readonly chunks: readonly string[],
  ) {}

  /** The statement a backend runs: `source` is `stdin` on a server, `'/dev/blob'` on PGlite. */
  statement(source: string): string {
    return `copy ${this.target} from ${source}`;
  }

  /** Whether a connection took the request to run it (a connection without the hook never does). */
  get taken(): boolean {
    return this.#taken;
  }

  /** Rows the COPY loaded; null until it finished. */
  get rowCount(): number | null {
    return this.#rowCount;
  }

  /** Called by the connection that runs the COPY, before it starts. */
  take(): void {
    this.#taken = true;
  }

  /** Called by the connection that ran the COPY, once it finished. */
  loaded(rowCount: number): void {
    this.#rowCount = rowCount;
  }
}

function copyRequestIn(parameters: readonly unknown[] | undefined): CopyFromRequest | undefined {
  const first = parameters?.[0];
  return parameters?.length === 1 && first instanceof CopyFromRequest ? first : undefined;
}

/** A COPY has no rows and no command kysely knows: it is reported as a statement that returned nothing. */
const COPY_RESULT = { command: 'SELECT', rowCount: 0, rows: [] } as const;

class CopyingPoolClient implements PostgresPoolClient {
  readonly #client: pg.PoolClient;

  constructor(client: pg.PoolClient) {
    this.#client = client;
  }

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(
    sqlOrCursor: string | PostgresCursor<R>,
    parameters?: ReadonlyArray<unknown>,
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    // The state database's dialect has no `cursor` option, so Kysely never passes one.
    if (typeof sqlOrCursor !== 'string') throw new Error('the state database streams no query through a cursor');
    const request = copyRequestIn(parameters);
    if (request !== undefined) return this.#copy(request);
    return this.#query<R>(sqlOrCursor, parameters === undefined ? [] : [...parameters]);
  }

  release(): void {
    this.#client.release();
  }

  /** Kysely reads `command`, `rowCount` and `rows` (typed by the caller, as pg's own are). */
  async #query<R>(text: string, parameters: unknown[]): Promise<PostgresQueryResult<R>> {
    const result = await this.#client.query(text, parameters);
    return {
      command: result.command as PostgresQueryResult<R>['command'],
      rowCount: result.rowCount ?? 0,
      rows: result.rows as R[],
    };
  }

  async #copy<R>(request: CopyFromRequest): Promise<PostgresQueryResult<R>> {
    request.take();
    const stream = this.#client.query(pgCopyStreams.from(request.statement('stdin')));
    await pipeline(Readable.from(request.chunks), stream);
    request.loaded(stream.rowCount);
    return { ...COPY_RESULT, rows: [] };
  }
}

/**
 * `pool` as Kysely's PostgresDialect sees it, with clients that run a `CopyFromRequest` through COPY FROM STDIN on
 * their own connection (one wrapper per pooled client, so Kysely keeps one connection object per client).
 */
export function copyingPool(pool: pg.Pool): PostgresPool {
  const wrappers = new WeakMap<pg.PoolClient, CopyingPoolClient>();
  return {
    async connect() {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (wrapper === undefined) {
        wrapper = new CopyingPoolClient(client);
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}

/**
 * `pglite` with a `query` that runs a `CopyFromRequest` through COPY FROM '/dev/blob'. PGlite is one connection, and
 * Kysely's PGlite driver hands it to one transaction at a time, so the COPY runs inside the caller's transaction.
 * Every other property is the instance's own (methods bound to it: PGlite keeps private fields).
 */
export function copyingPglite(pglite: PGlite): PGlite {
  const query: PGlite['query'] = async (text, parameters, options) => {
    const request = copyRequestIn(parameters);
    if (request === undefined) return pglite.query(text, parameters, options);
    request.take();
    const result = await pglite.query(request.statement("'/dev/blob'"), [], {
      ...options,
      blob: new Blob([...request.chunks]),
    });
    request.loaded(result.affectedRows ?? 0);
    return { ...result, rows: [] };
  };
  return new Proxy(pglite, {
    get(target, property) {
      if (property === 'query') return query;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
