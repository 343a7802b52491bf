import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import {
  PostgresConnector,
  type PostgresConnectorOptions,
} from '../../../src/connectors/postgres/postgres-connector.js';
import type { PostgresConnectorConfigInput } from '../../../src/connectors/postgres/postgres-connector-config.js';
import type { ChangeBatch, WriteResult, OutboundRecord } from '../../../src/connectors/connector.js';
import type { NativeRecord } from '../../../src/model/record.js';
import type { StreamRef } from '../../../src/model/stream.js';
import type { Watermark } from '../../../src/model/watermark.js';
import type { JobLedger } from '../../../src/model/job-ledger.js';
import { realDatabaseUrl, testBackends, uniqueSchemaName, type TestBackend } from '../../support/test-databases.js';

/** One database to test against: a fresh schema, a connector on it, and raw SQL access. */
export interface Db {
  readonly backend: TestBackend['name'];
  readonly schema: string;
  /** Runs SQL outside the connector (as the ERP application would). */
  exec(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  connector(extra?: Partial<PostgresConnectorConfigInput>, options?: PostgresConnectorOptions): PostgresConnector;
  /** A separate real connection (pg only), for concurrent transactions. */
  connect(): Promise<pg.Client>;
  dispose(): Promise<void>;
}

let sharedLite: Promise<PGlite> | undefined;

export async function openDb(backend: TestBackend): Promise<Db> {
  const schema = uniqueSchemaName('pgc');
  const connectors: PostgresConnector[] = [];
  const clients: pg.Client[] = [];
  if (backend.url === undefined) {
    // One PGlite per test process (starting one costs seconds); each test still gets its own schemas.
    sharedLite ??= PGlite.create();
    const lite = await sharedLite;
    await lite.exec(`CREATE SCHEMA ${schema}`);
    return {
      backend: backend.name,
      schema,
      exec: async (sql, params) => {
        if (params === undefined) {
          const results = await lite.exec(sql);
          return results.at(-1)?.rows ?? [];
        }
        return (await lite.query<Record<string, unknown>>(sql, params)).rows;
      },
      connector: (extra = {}, options = {}) => {
        const c = new PostgresConnector({ pglite: lite, tandemSchema: `${schema}_tandem`, ...extra }, options);
        connectors.push(c);
        return c;
      },
      connect: () => Promise.reject(new Error('PGlite has one connection')),
      dispose: async () => {
        for (const c of connectors) await c.close();
        await lite.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE; DROP SCHEMA IF EXISTS ${schema}_tandem CASCADE;`);
      },
    };
  }
  const url = backend.url;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  return {
    backend: backend.name,
    schema,
    exec: async (sql, params) => {
      const r = await admin.query(sql, params);
      const last = Array.isArray(r) ? r.at(-1) : r;
      return (last?.rows ?? []) as Record<string, unknown>[];
    },
    connector: (extra = {}, options = {}) => {
      const c = new PostgresConnector({ url, tandemSchema: `${schema}_tandem`, ...extra }, options);
      connectors.push(c);
      return c;
    },
    connect: async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      clients.push(c);
      return c;
    },
    dispose: async () => {
      for (const c of connectors) await c.close();
      for (const c of clients) await c.end().catch(() => undefined);
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.query(`DROP SCHEMA IF EXISTS ${schema}_tandem CASCADE`);
      await admin.end();
    },
  };
}

export { testBackends, realDatabaseUrl };

/** A customers table like an ERP's: serial pk, unique external key, updated_at stamped by a trigger. */
export async function createCustomers(db: Db, table = 'customers'): Promise<void> {
  const t = `${db.schema}.${table}`;
  await db.exec(`
    CREATE TABLE ${t} (
      id bigserial PRIMARY KEY,
      ext_id text UNIQUE,
      name varchar(40) NOT NULL,
      credit numeric(12, 2) CHECK (credit >= 0),
      active boolean NOT NULL DEFAULT true,
      born date,
      deleted_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX ON ${t} (updated_at, id);
    CREATE FUNCTION ${db.schema}.touch_${table}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
    CREATE TRIGGER touch BEFORE UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION ${db.schema}.touch_${table}();
  `);
}

export function customersStream(db: Db, options: Record<string, unknown> = {}, table = 'customers'): StreamRef {
  return {
    name: 'account',
    entity: `${db.schema}.${table}`,
    keyField: 'ext_id',
    fields: ['name', 'credit', 'active', 'born'],
    options,
  };
}

/** Reads every batch of one readChanges call. */
export async function readAll(
  connector: PostgresConnector,
  stream: StreamRef,
  since: Watermark | undefined,
  batchSize?: number,
): Promise<{ batches: ChangeBatch[]; records: NativeRecord[]; watermark: Watermark | undefined }> {
  const batches: ChangeBatch[] = [];
  for await (const b of connector
    .createSource()
    .readChanges(stream, since, batchSize === undefined ? {} : { batchSize }))
    batches.push(b);
  return { batches, records: batches.flatMap((b) => [...b.records]), watermark: batches.at(-1)?.watermark ?? since };
}

const noLedger: JobLedger = {
  record: async () => undefined,
  update: async () => undefined,
  finish: async () => undefined,
  listOpen: async () => [],
};

export async function writeAll(
  connector: PostgresConnector,
  stream: StreamRef,
  ...batches: OutboundRecord[][]
): Promise<WriteResult[]> {
  async function* gen(): AsyncGenerator<readonly OutboundRecord[]> {
    yield* batches;
  }
  const out: WriteResult[] = [];
  for await (const results of connector.createSink().write(stream, gen(), { ledger: noLedger })) out.push(...results);
  return out;
}

/**
 * Reads repeatedly, from each read's watermark, until `done(records so far)` holds. Changelog capture waits for
 * the oldest transaction of the whole server to end (other tests share the server), so one read may come early.
 */
export async function readUntil(
  connector: PostgresConnector,
  stream: StreamRef,
  since: Watermark | undefined,
  done: (records: readonly NativeRecord[]) => boolean,
  timeoutMs = 15_000,
): Promise<{ records: NativeRecord[]; watermark: Watermark | undefined }> {
  const records: NativeRecord[] = [];
  let watermark = since;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await readAll(connector, stream, watermark);
    records.push(...r.records);
    watermark = r.watermark;
    if (done(records) || Date.now() > deadline) return { records, watermark };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
