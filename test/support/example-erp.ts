import { PGlite } from '@electric-sql/pglite';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { repoRoot } from './run-tandem-cli.js';

/** A database made from examples/erp-schema.sql with a few rows, for the newcomer's path tests. */
export interface ExampleErp {
  /** What `tandem init --erp-url` takes: a Postgres URL, or the folder of the embedded database. */
  readonly url: string;
  /** Drops the scratch database on the real server (nothing to do for an embedded one: its folder goes with `dir`). */
  drop(): Promise<void>;
}

const ROWS = `
  insert into public.customers (customer_no, name, phone, city, country, annual_revenue, employees, status)
    values ('C0001', 'Acme Tools', '+1 415 555 0100', 'Paris', 'France', 1200000, 40, 'Customer'),
           ('C0002', 'Globex', null, 'Berlin', 'Germany', null, 12, 'Prospect');
  insert into public.contacts (contact_no, first_name, last_name, email, customer_no)
    values ('P0001', 'Ada', 'Lovelace', 'ada@example.com', 'C0001');`;

/**
 * examples/erp-schema.sql plus two customers (C0001, C0002) and one contact (P0001): a scratch database on the real
 * server when `serverUrl` is given (TANDEM_TEST_DATABASE_URL), else an embedded one in `dir`/erp.
 */
export async function createExampleErp(dir: string, serverUrl: string | undefined, label: string): Promise<ExampleErp> {
  const schema = await readFile(join(repoRoot, 'examples', 'erp-schema.sql'), 'utf8');
  if (serverUrl === undefined || serverUrl === '') {
    const url = join(dir, 'erp');
    const erp = new PGlite(url);
    await erp.exec(schema + ROWS);
    await erp.close();
    return { url, drop: () => Promise.resolve() };
  }
  const name = `tandem_${label}_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  await client.query(schema + ROWS);
  await client.end();
  return {
    url: url.toString(),
    async drop() {
      const again = new pg.Client({ connectionString: serverUrl });
      await again.connect();
      await again.query(`drop database if exists ${name} with (force)`);
      await again.end();
    },
  };
}
