import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import type { PostgresConnectorConfigInput } from '../../../src/connectors/postgres/postgres-connector-config.js';
import { uniqueSchemaName, type TestBackend } from '../../support/test-databases.js';

/**
 * The ERP database of an end-to-end test, as an ERP user and as tandem reach it: PGlite in memory, or a schema of its
 * own on the real server. One per test file and backend; every property run gets its own table in it.
 *
 * @example
 * ```ts
 * const erp = await openErpDatabase(backend)
 * await erp.query(`insert into ${erp.schema}.customers_1 (customer_no, name) values ($1, $2)`, ['K1', 'Acme'])
 * const connector = new PostgresConnector(erp.connectorConfig)
 * ```
 */
export interface ErpDatabase {
  readonly schema: string;
  /** Where tandem keeps its change log on this database (unique per file, so parallel files never share one). */
  readonly tandemSchema: string;
  /** Runs SQL as an ERP user would (its own session, autocommit). */
  query<R extends Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** What a PostgresConnector needs to reach the same database. */
  readonly connectorConfig: PostgresConnectorConfigInput;
  /**
   * Resolves once every transaction that had started on the server before the call has ended. Changelog capture
   * reads only below the xid horizon `pg_snapshot_xmin(pg_current_snapshot())`, which is cluster-wide: another test
   * file's open transaction holds it back, so an ERP user's committed write may not be readable by the next run yet
   * (tandem is right to wait; a test that expects the write in that run must wait too). Immediate on PGlite.
   */
  settled(): Promise<void>;
  /** Drops the schemas (real server) and closes the connection. */
  close(): Promise<void>;
}

export async function openErpDatabase(backend: TestBackend): Promise<ErpDatabase> {
  const schema = uniqueSchemaName('e2e_erp');
  const tandemSchema = uniqueSchemaName('e2e_tandem');
  let erp: ErpDatabase;
  if (backend.url === undefined) {
    const { PGlite } = await import('@electric-sql/pglite');
    const pglite: PGlite = new PGlite();
    await pglite.waitReady;
    erp = {
      schema,
      tandemSchema,
      connectorConfig: { pglite, tandemSchema, batchSize: 3 },
      async query<R extends Record<string, unknown>>(sql: string, params: readonly unknown[] = []) {
        return (await pglite.query<R>(sql, [...params])).rows;
      },
      settled: async () => undefined,
      async close() {
        if (!pglite.closed) await pglite.close();
      },
    };
  } else {
    const pool = new pg.Pool({ connectionString: backend.url, max: 2 });
    erp = {
      schema,
      tandemSchema,
      connectorConfig: { url: backend.url, tandemSchema, batchSize: 3 },
      async query<R extends Record<string, unknown>>(sql: string, params: readonly unknown[] = []) {
        return (await pool.query<R>(sql, [...params])).rows;
      },
      async settled() {
        const { rows } = await pool.query<{ next: string }>(
          `select pg_snapshot_xmax(pg_current_snapshot())::text as next`,
        );
        const next = rows[0]?.next ?? '0';
        for (let waited = 0; ; waited += 20) {
          const passed = await pool.query<{ ok: boolean }>(
            `select pg_snapshot_xmin(pg_current_snapshot()) >= $1::xid8 as ok`,
            [next],
          );
          if (passed.rows[0]?.ok === true) return;
          if (waited > 300_000) throw new Error(`the xid horizon stayed below ${next} for 5 minutes`);
          await new Promise((r) => setTimeout(r, 20));
        }
      },
      async close() {
        await pool
          .query(`drop schema if exists ${schema} cascade; drop schema if exists ${tandemSchema} cascade`)
          .catch(() => {});
        await pool.end();
      },
    };
  }
  // updated_at is the ERP's own business: a trigger keeps it, as in most ERPs (and the demo).
  await erp.query(`create schema ${schema}`);
  await erp.query(`create function ${schema}.touch_updated_at() returns trigger language plpgsql as $$
    begin new.updated_at := clock_timestamp(); return new; end $$`);
  return erp;
}

/**
 * A fresh customers table: a surrogate primary key (the native id), a nullable unique sync key (rows an ERP user
 * creates without one are keyed by tandem), the mapped columns, and updated_at kept by a trigger.
 */
export async function createCustomersTable(erp: ErpDatabase, table: string): Promise<string> {
  const qualified = `${erp.schema}.${table}`;
  await erp.query(`create table ${qualified} (
    id          bigserial primary key,
    customer_no text unique,
    name        text not null,
    phone       text,
    city        text,
    employees   integer,
    updated_at  timestamptz not null default clock_timestamp()
  )`);
  await erp.query(`create index ${table}_updated on ${qualified} (updated_at, id)`);
  await erp.query(
    `create trigger ${table}_touch before update on ${qualified} for each row execute function ${erp.schema}.touch_updated_at()`,
  );
  return qualified;
}
