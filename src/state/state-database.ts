import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Kysely, Migrator, PostgresDialect, type Dialect, type MigrationResultSet } from 'kysely';
import pg from 'pg';
import { lockDirectory } from '../util/directory-lock.js';
import { TandemError, UnavailableError, EXIT } from '../util/errors.js';
import { copyingPglite, copyingPool } from './copy-connections.js';
import { packageRoot } from './package-root.js';
import { SqlFileMigrationProvider } from './sql-file-migration-provider.js';
import type { StateTables } from './state-tables.js';

/** Where the state store lives: a real Postgres (a connection string) or the embedded one (PGlite, in a folder). */
export type StateTarget =
  | { readonly kind: 'postgres'; readonly url: string }
  /**
   * `dataDir` null keeps everything in memory (tests). `pglite` uses an instance the caller opened (and closes):
   * tests share one per file, each on its own schema, instead of paying PGlite's start-up per test.
   */
  | {
      readonly kind: 'embedded';
      readonly dataDir: string | null;
      readonly pglite?: import('@electric-sql/pglite').PGlite;
    };

export interface StateDatabase {
  readonly db: Kysely<StateTables>;
  readonly kind: StateTarget['kind'];
  readonly schema: string;
  /**
   * Takes the exclusive lock of one sync for the duration of a run, or returns null when another run holds it.
   * On a real server it is a session advisory lock (so it also excludes other processes, and dies with a crashed
   * one); the embedded store is single-process (its data directory is locked at open), so an in-process lock
   * suffices.
   */
  tryLock(name: string): Promise<(() => Promise<void>) | null>;
  /**
   * Whether some session holds the lock `tryLock(name)` takes, without taking it (a read of pg_locks on a real
   * server; the in-process locks on the embedded store, whose data directory this process holds). A lock dies with
   * its holder, so a run whose lock nobody holds was interrupted.
   */
  isLocked(name: string): Promise<boolean>;
  close(): Promise<void>;
}

const inProcessLocks = new Set<string>();

function inProcessLocked(scope: string) {
  return (name: string): Promise<boolean> => Promise.resolve(inProcessLocks.has(`${scope}\u0000${name}`));
}

function inProcessLock(scope: string) {
  return (name: string): Promise<(() => Promise<void>) | null> => {
    const id = `${scope}\u0000${name}`;
    if (inProcessLocks.has(id)) return Promise.resolve(null);
    inProcessLocks.add(id);
    return Promise.resolve(() => {
      inProcessLocks.delete(id);
      return Promise.resolve();
    });
  };
}

export class MigrationError extends TandemError {
  constructor(message: string, context: Record<string, unknown>, cause?: unknown) {
    super(message, { code: 'MIGRATION_FAILED', context, cause, exitCode: EXIT.failure });
  }
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** pg returns int8/numeric as strings by default; tandem keeps them that way (ids can exceed 2^53). */
export async function openStateDatabase(target: StateTarget, schema = 'tandem'): Promise<StateDatabase> {
  if (!SCHEMA_NAME.test(schema)) {
    throw new TandemError(
      `invalid state schema name '${schema}': use lower-case letters, digits and _ (at most 63), starting with a letter or _`,
      { code: 'CONFIG_INVALID', context: { schema }, exitCode: EXIT.usage },
    );
  }
  let dialect: Dialect;
  let closeExtra: () => Promise<void> = async () => {};
  let tryLock: StateDatabase['tryLock'];
  let isLocked: StateDatabase['isLocked'];
  if (target.kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: target.url, max: 4, application_name: 'tandem' });
    pool.on('error', () => {}); // idle-client errors surface on the next query instead of crashing the process
    try {
      const client = await pool.connect();
      client.release();
    } catch (error) {
      await pool.end().catch(() => {});
      throw new UnavailableError(
        `cannot connect to the state database: ${(error as Error).message}. Check state.url in tandem.yaml (or TANDEM_STATE_URL) and that the server accepts connections.`,
        { database: 'state' },
        error,
      );
    }
    // Through copyingPool / copyingPglite, a COPY can run inside a Kysely transaction (copy-rows.ts).
    dialect = new PostgresDialect({ pool: copyingPool(pool) });
    tryLock = async (name) => {
      const client = await pool.connect();
      try {
        const result = await client.query<{ locked: boolean }>('select pg_try_advisory_lock(hashtext($1)) as locked', [
          `tandem:${schema}:${name}`,
        ]);
        if (!result.rows[0]?.locked) {
          client.release();
          return null;
        }
      } catch (error) {
        client.release();
        throw error;
      }
      return async () => {
        try {
          await client.query('select pg_advisory_unlock(hashtext($1))', [`tandem:${schema}:${name}`]);
        } finally {
          client.release();
        }
      };
    };
    // pg_locks shows a one-key advisory lock as classid (high 32 bits) and objid (low 32 bits), objsubid 1.
    isLocked = async (name) => {
      const result = await pool.query<{ held: boolean }>(
        `select exists (
           select 1 from pg_locks
            where locktype = 'advisory' and objsubid = 1 and granted
              and database = (select oid from pg_database where datname = current_database())
              and classid::bigint = ((hashtext($1)::bigint >> 32) & 4294967295)
              and objid::bigint = (hashtext($1)::bigint & 4294967295)) as held`,
        [`tandem:${schema}:${name}`],
      );
      return result.rows[0]?.held ?? false;
    };
  } else {
    const [{ PGlite }, { PGliteDialect }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('kysely-pglite-dialect'),
    ]);
    // One process per data directory: two PGlite instances on one folder corrupt it.
    let unlockDir: () => Promise<void> = async () => {};
    if (target.dataDir && !target.pglite) {
      await mkdir(target.dataDir, { recursive: true });
      unlockDir = await lockDirectory(target.dataDir, {
        what: 'the embedded state store',
        alternative: 'keep the state in a Postgres server (state.url in tandem.yaml), which serves many processes',
      });
    }
    const owned = target.pglite === undefined;
    const pglite = target.pglite ?? (target.dataDir ? new PGlite(target.dataDir) : new PGlite());
    try {
      await pglite.waitReady;
    } catch (error) {
      await unlockDir();
      throw error;
    }
    dialect = new PGliteDialect(copyingPglite(pglite));
    const scope = `pglite:${target.dataDir ?? Math.random()}:${schema}`;
    tryLock = inProcessLock(scope);
    isLocked = inProcessLocked(scope);
    closeExtra = async () => {
      try {
        if (owned && !pglite.closed) await pglite.close();
      } finally {
        await unlockDir();
      }
    };
  }
  const db = new Kysely<StateTables>({ dialect }).withSchema(schema);
  let closed = false;
  const destroyDialect = target.kind === 'postgres' || target.pglite === undefined;
  return {
    db,
    kind: target.kind,
    schema,
    tryLock,
    isLocked,
    async close() {
      if (closed) return;
      closed = true;
      // A borrowed PGlite stays open for its owner: the Kysely driver would close it on destroy.
      if (destroyDialect) await db.destroy();
      await closeExtra();
    },
  };
}

/** Applies every pending migration from schema/migrations. Idempotent, and safe when two processes start at once. */
export async function migrateStateDatabase(database: StateDatabase): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db: database.db,
    provider: new SqlFileMigrationProvider(join(packageRoot(), 'schema', 'migrations'), database.schema),
    migrationTableSchema: database.schema,
  });
  // The migration table lives in our schema, which the first migration creates: create it first.
  await (database.db as unknown as Kysely<unknown>).schema
    .createSchema(database.schema)
    .ifNotExists()
    .execute()
    .catch(() => {});
  let result = await migrator.migrateToLatest();
  // Kysely's Migrator looks for its table by introspecting every schema of the database; another session dropping
  // a schema at that moment makes the lookup fail with "schema ... does not exist" (3F000) or an undefined table
  // (42P01). Nothing was applied then, so trying again is safe.
  // Test suites and busy databases drop schemas in bursts: up to 10 tries over about 5 s.
  for (let attempt = 1; attempt < 10 && result.error && isConcurrentDrop(result.error); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    result = await migrator.migrateToLatest();
  }
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    throw new MigrationError(
      `migration ${failed ?? '(unknown)'} failed in schema '${database.schema}': ${(result.error as Error).message}`,
      { schema: database.schema, migration: failed },
      result.error,
    );
  }
  return result;
}

function isConcurrentDrop(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '3F000' || code === '42P01';
}
