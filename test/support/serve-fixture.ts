import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../../src/emulator/salesforce/index.js';
import { packageRoot } from '../../src/state/package-root.js';
import { uniqueSchemaName } from './test-databases.js';
import { textOf } from '../../src/util/text-of.js';

/**
 * A complete tandem deployment for `serve` tests: the sample ERP (customers, contacts) in an embedded PGlite or in a
 * database of its own on the real server, the Salesforce emulator over a real socket, and a tandem.yaml.
 */
export interface ServeFixture {
  readonly dir: string;
  readonly configFile: string;
  /** The environment the config's \${VAR} references need. */
  readonly env: Readonly<Record<string, string>>;
  readonly emulator: RunningSalesforceEmulator;
  /** The ERP database's URL (real server), or its PGlite folder. */
  readonly erp: { readonly url: string | null; readonly dataDir: string | null };
  /** Runs SQL on the ERP (opens and closes a connection; PGlite ERPs only while no engine has them open). */
  erpQuery<R extends Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

export interface ServeFixtureOptions {
  /** The real server's URL: the ERP gets a database of its own there, and the state store a schema. */
  readonly serverUrl?: string;
  readonly customers?: number;
  readonly contacts?: number;
  /** Extra top-level YAML (schedule:, serve:, notify:, retention:). */
  readonly extraYaml?: string;
  /** crm: overrides (e.g. a small maxUploadBytes to make runs take many bulk jobs). */
  readonly crmYaml?: string;
  readonly erpBatchSize?: number;
}

export const API_TOKEN = 'test-token-0123456789abcdef';

function customerRows(n: number, offset = 0): unknown[][] {
  const rows: unknown[][] = [[], [], [], []];
  for (let i = 1 + offset; i <= n + offset; i++) {
    rows[0]!.push(`C${String(i).padStart(6, '0')}`);
    rows[1]!.push(`Customer ${i}`);
    rows[2]!.push(`+1415555${String(i % 10000).padStart(4, '0')}`);
    rows[3]!.push(`City ${i % 17}`);
  }
  return rows;
}

function contactRows(n: number): unknown[][] {
  const rows: unknown[][] = [[], [], []];
  for (let i = 1; i <= n; i++) {
    rows[0]!.push(`P${String(i).padStart(6, '0')}`);
    rows[1]!.push(`First${i}`);
    rows[2]!.push(`Last${i}`);
  }
  return rows;
}

const SEED_CUSTOMERS =
  'insert into public.customers (customer_no, name, phone, city) select * from unnest($1::text[], $2::text[], $3::text[], $4::text[])';
const SEED_CONTACTS =
  'insert into public.contacts (contact_no, first_name, last_name) select * from unnest($1::text[], $2::text[], $3::text[])';

export async function createServeFixture(options: ServeFixtureOptions = {}): Promise<ServeFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-serve-'));
  const schemaSql = await readFile(join(packageRoot(), 'examples', 'erp-schema.sql'), 'utf8');
  const emulator = await startSalesforceEmulator({ clientId: 'serve-test', clientSecret: 'serve-test-secret' });
  const customers = options.customers ?? 20;
  const contacts = options.contacts ?? 0;
  let erp: { url: string | null; dataDir: string | null };
  let dropDatabase: () => Promise<void> = async () => {};
  const stateSchema = uniqueSchemaName('serve');
  if (options.serverUrl) {
    const database = uniqueSchemaName('erp');
    const admin = new pg.Client({ connectionString: options.serverUrl });
    await admin.connect();
    await admin.query(`create database ${database}`);
    await admin.end();
    const url = new URL(options.serverUrl);
    url.pathname = `/${database}`;
    erp = { url: url.toString(), dataDir: null };
    const client = new pg.Client({ connectionString: erp.url! });
    await client.connect();
    await client.query(schemaSql);
    await client.query(SEED_CUSTOMERS, customerRows(customers));
    if (contacts > 0) await client.query(SEED_CONTACTS, contactRows(contacts));
    await client.end();
    dropDatabase = async () => {
      const c = new pg.Client({ connectionString: options.serverUrl });
      await c.connect();
      await c.query(`drop database if exists ${database} with (force)`);
      await c.query(`drop schema if exists ${stateSchema} cascade`);
      await c.query(`drop schema if exists ${stateSchema}_jobs cascade`);
      await c.end();
    };
  } else {
    const dataDir = join(dir, 'erp');
    const { PGlite } = await import('@electric-sql/pglite');
    const pglite = new PGlite(dataDir);
    await pglite.exec(schemaSql);
    await pglite.query(SEED_CUSTOMERS, customerRows(customers));
    if (contacts > 0) await pglite.query(SEED_CONTACTS, contactRows(contacts));
    await pglite.close();
    erp = { url: null, dataDir };
  }
  const stateYaml = options.serverUrl
    ? `state:\n  url: ${options.serverUrl}\n  schema: ${stateSchema}\n`
    : `state:\n  dataDir: ./state\n  schema: ${stateSchema}\n`;
  const erpYaml = erp.url ? `  url: ${erp.url}\n` : `  dataDir: ./erp\n`;
  const config = `sync: servetest
${stateYaml}
erp:
  type: postgres
${erpYaml}  batchSize: ${options.erpBatchSize ?? 5000}

crm:
  type: salesforce
  loginUrl: ${emulator.url}
  pollIntervalMs: 100
  auth: { flow: client_credentials, clientId: serve-test, clientSecret: '\${SERVE_TEST_SF_SECRET}' }
${options.crmYaml ?? ''}
${options.extraYaml ?? ''}
objects:
  account:
    erp: { table: public.customers, key: customer_no, primaryKey: customer_no, updatedAt: updated_at }
    crm: { object: Account, externalId: External_Id__c }
    fields:
      name:  { erp: name, crm: Name }
      phone: { erp: phone, crm: Phone }
      city:  { erp: city, crm: BillingCity }
${
  contacts > 0
    ? `  contact:
    erp: { table: public.contacts, key: contact_no, primaryKey: contact_no, updatedAt: updated_at }
    crm: { object: Contact, externalId: External_Id__c }
    fields:
      first_name: { erp: first_name, crm: FirstName }
      last_name:  { erp: last_name, crm: LastName }
`
    : ''
}`;
  const configFile = join(dir, 'tandem.yaml');
  await writeFile(configFile, config, 'utf8');
  return {
    dir,
    configFile,
    env: { SERVE_TEST_SF_SECRET: 'serve-test-secret', SERVE_TEST_WEBHOOK_SECRET: 'webhook-secret-0123456789' },
    emulator,
    erp,
    async erpQuery<R extends Record<string, unknown>>(text: string, values: unknown[] = []): Promise<R[]> {
      if (erp.url) {
        const client = new pg.Client({ connectionString: erp.url });
        await client.connect();
        try {
          return (await client.query<R>(text, values)).rows;
        } finally {
          await client.end();
        }
      }
      const { PGlite } = await import('@electric-sql/pglite');
      const pglite = new PGlite(erp.dataDir!);
      try {
        return (await pglite.query<R>(text, values)).rows;
      } finally {
        await pglite.close();
      }
    },
    async close() {
      await emulator.close();
      await dropDatabase().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs` with `what`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 120_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${textOf(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export { customerRows };
