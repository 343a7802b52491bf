import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { MemoryConnector } from '../../src/connectors/memory/memory-connector.js';
import { MemorySystem } from '../../src/connectors/memory/memory-system.js';
import { PostgresConnector } from '../../src/connectors/postgres/postgres-connector.js';
import { SalesforceConnector } from '../../src/connectors/salesforce/salesforce-connector.js';
import { startSalesforceEmulator } from '../../src/emulator/salesforce/index.js';
import type { Fields, FieldValue } from '../../src/model/record.js';
import type { StreamRef } from '../../src/model/stream.js';
import { testBackends, uniqueSchemaName, type TestBackend } from '../support/test-databases.js';
import { connectorContract, type ConnectorFixture, type UserRow } from './connector-contract.js';

// ---- memory: the reference connector ----

connectorContract('memory', async () => {
  const data = new MemorySystem();
  const stream: StreamRef = {
    name: 'widget',
    entity: 'widgets',
    keyField: 'ext_id',
    fields: ['title', 'amount', 'active', 'born'],
    options: {},
  };
  const connector = new MemoryConnector({
    system: 'erp',
    data,
    // The "system" refuses what a real one would: a title longer than its 40-character column.
    reject: (_s, r) =>
      typeof r.fields['title'] === 'string' && r.fields['title'].length > 40
        ? 'title: at most 40 characters'
        : undefined,
  });
  await connector.init([stream]);
  return {
    connector,
    stream,
    fields: { text: 'title', number: 'amount', boolean: 'active', date: 'born' },
    refused: { title: 'x'.repeat(41) },
    insert: async (key, fields) => data.insert(stream.entity, key, fields).nativeId,
    insertSameTime: async (rows) => {
      const at = data.now();
      return rows.map((r) => data.insert(stream.entity, r.key, r.fields, at).nativeId);
    },
    update: async (id, fields) => void data.update(stream.entity, id, fields),
    delete: async (id) => data.delete(stream.entity, id),
    cleanup: () => connector.close(),
  } satisfies ConnectorFixture;
});

// ---- postgres: PGlite always, the real server when TANDEM_TEST_DATABASE_URL is set ----

/** One PGlite for the file (starting one costs seconds); every fixture still gets its own schema. */
let lite: Promise<PGlite> | undefined;
afterAll(async () => {
  if (lite !== undefined) await (await lite).close();
});

interface SqlExec {
  exec(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  end(): Promise<void>;
}

async function openSql(
  backend: TestBackend,
): Promise<{ sql: SqlExec; connectorConfig: { url: string } | { pglite: PGlite } }> {
  if (backend.url === undefined) {
    lite ??= PGlite.create();
    const db = await lite;
    return {
      sql: {
        exec: async (text, params) => (await db.query<Record<string, unknown>>(text, params ?? [])).rows,
        end: async () => undefined,
      },
      connectorConfig: { pglite: db },
    };
  }
  const client = new pg.Client({ connectionString: backend.url });
  await client.connect();
  return {
    sql: {
      exec: async (text, params) => (await client.query(text, params)).rows as Record<string, unknown>[],
      end: () => client.end(),
    },
    connectorConfig: { url: backend.url },
  };
}

/** Positional parameters and a VALUES list for user rows: (ext_id, title, amount, active, born). */
function valuesOf(rows: readonly UserRow[]): { text: string; params: unknown[] } {
  const params: unknown[] = [];
  const tuples = rows.map((r) => {
    params.push(
      r.key === '' ? null : r.key,
      r.fields['title'] ?? null,
      r.fields['amount'] ?? null,
      r.fields['active'] ?? null,
      r.fields['born'] ?? null,
    );
    const n = params.length;
    return `($${n - 4}, $${n - 3}, $${n - 2}::numeric, $${n - 1}::boolean, $${n}::date)`;
  });
  return { text: tuples.join(', '), params };
}

async function postgresFixture(backend: TestBackend, capture: 'watermark' | 'changelog'): Promise<ConnectorFixture> {
  const { sql, connectorConfig } = await openSql(backend);
  const schema = uniqueSchemaName('contract');
  const table = `${schema}.widgets`;
  // An ERP table as they come: serial id, unique external key, updated_at kept by a trigger.
  for (const statement of [
    `CREATE SCHEMA ${schema}`,
    `CREATE TABLE ${table} (id bigserial PRIMARY KEY, ext_id text UNIQUE, title varchar(40), amount numeric(12, 2),
       active boolean, born date, updated_at timestamptz NOT NULL DEFAULT now())`,
    `CREATE INDEX ON ${table} (updated_at, id)`,
    `CREATE FUNCTION ${schema}.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$`,
    `CREATE TRIGGER touch BEFORE UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${schema}.touch()`,
  ]) {
    await sql.exec(statement);
  }
  const stream: StreamRef = {
    name: 'widget',
    entity: table,
    keyField: 'ext_id',
    fields: ['title', 'amount', 'active', 'born'],
    options: { capture },
  };
  const connector = new PostgresConnector({ ...connectorConfig, tandemSchema: `${schema}_tandem`, batchSize: 1000 });
  if (capture === 'changelog') await connector.installCapture(stream);
  await connector.init([stream]);
  const insertRows = async (rows: readonly UserRow[]): Promise<string[]> => {
    // One statement: every row gets the same now(), i.e. one modification time.
    const { text, params } = valuesOf(rows);
    const out = await sql.exec(
      `INSERT INTO ${table} (ext_id, title, amount, active, born) VALUES ${text} RETURNING id::text AS id`,
      params,
    );
    return out.map((r) => String(r['id']));
  };
  return {
    connector,
    stream,
    fields: { text: 'title', number: 'amount', boolean: 'active', date: 'born' },
    refused: { title: 'x'.repeat(41) },
    suppressesOwnWrites: capture === 'changelog',
    insert: async (key, fields) => (await insertRows([{ key, fields }]))[0] ?? '',
    insertSameTime: insertRows,
    update: async (id, fields) => {
      const names = Object.keys(fields);
      const sets = names.map((n, i) => `${n} = $${i + 2}`);
      await sql.exec(`UPDATE ${table} SET ${sets.join(', ')} WHERE id = $1::bigint`, [
        id,
        ...names.map((n) => fields[n] ?? null),
      ]);
    },
    delete: async (id) => void (await sql.exec(`DELETE FROM ${table} WHERE id = $1::bigint`, [id])),
    cleanup: async () => {
      await connector.close();
      await sql.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await sql.exec(`DROP SCHEMA IF EXISTS ${schema}_tandem CASCADE`);
      await sql.end();
    },
  } satisfies ConnectorFixture;
}

for (const backend of testBackends()) {
  connectorContract(`postgres (${backend.name}, watermark capture)`, () => postgresFixture(backend, 'watermark'));
}
// Changelog capture on PGlite only: on a shared real server it waits for every other session's open transaction.
connectorContract('postgres (pglite, changelog capture)', () =>
  postgresFixture({ name: 'pglite', url: undefined }, 'changelog'),
);

// ---- salesforce: the in-process emulator, over real sockets ----

/** A custom object of its own, so the contract never depends on Account's required fields. */
const WIDGET_DEFINITIONS = {
  objects: [
    {
      name: 'Widget__c',
      fields: [
        { name: 'Ext__c', type: 'string', length: 80, externalId: true, unique: true },
        { name: 'Title__c', type: 'string', length: 40 },
        { name: 'Amount__c', type: 'double', precision: 12, scale: 2 },
        { name: 'Active__c', type: 'boolean' },
        { name: 'Start__c', type: 'date' },
      ],
    },
  ],
};

let definitionsDir: Promise<string> | undefined;
afterAll(async () => {
  if (definitionsDir !== undefined) await rm(await definitionsDir, { recursive: true, force: true });
});

async function salesforceFixture(options: Readonly<Record<string, unknown>>): Promise<ConnectorFixture> {
  definitionsDir ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tandem-contract-'));
    await writeFile(join(dir, 'widgets.json'), JSON.stringify(WIDGET_DEFINITIONS));
    return dir;
  })();
  const emu = await startSalesforceEmulator({ definitionsFile: join(await definitionsDir, 'widgets.json') });
  const stream: StreamRef = {
    name: 'widget',
    entity: 'Widget__c',
    keyField: 'Ext__c',
    fields: ['Title__c', 'Amount__c', 'Active__c', 'Start__c'],
    options,
  };
  const connector = new SalesforceConnector({
    loginUrl: emu.url,
    auth: { flow: 'client_credentials', clientId: emu.clientId, clientSecret: emu.clientSecret },
    pollIntervalMs: 5,
    pollMaxIntervalMs: 20,
    pollTimeoutMs: 10_000,
    retry: { initialDelayMs: 5, maxDelayMs: 40, maxRetries: 3 },
  });
  await connector.init([stream]);
  const asUser = (key: string, fields: Fields): Record<string, FieldValue> =>
    key === '' ? { ...fields } : { Ext__c: key, ...fields };
  return {
    connector,
    stream,
    fields: { text: 'Title__c', number: 'Amount__c', boolean: 'Active__c', date: 'Start__c' },
    refused: { Title__c: 'x'.repeat(41) },
    insert: async (key, fields) => String(emu.store.insert('Widget__c', asUser(key, fields))['Id']),
    // Synchronous inserts right after startOfClockTick: the store's clock (whole seconds) cannot move between them.
    insertSameTime: async (rows) =>
      rows.map((r) => String(emu.store.insert('Widget__c', asUser(r.key, r.fields))['Id'])),
    update: async (id, fields) => void emu.store.update('Widget__c', id, fields),
    delete: async (id) => emu.store.delete('Widget__c', id),
    startOfClockTick: async () => {
      const now = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 1000 - (now % 1000) + 5));
    },
    cleanup: async () => {
      await connector.close();
      await emu.close();
    },
  } satisfies ConnectorFixture;
}

// SystemModstamp has whole seconds: the source re-reads the watermark's whole second, so a change made later within
// that second is never skipped (this suite caught the strict (SystemModstamp, Id) cursor that did skip it).
connectorContract('salesforce (emulator)', () => salesforceFixture({}));
connectorContract('salesforce (emulator, lookbackSeconds: 1)', () => salesforceFixture({ lookbackSeconds: 1 }));
