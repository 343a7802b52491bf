import pg from 'pg';

/** The Postgres schema that holds the bench's ERP tables (one per bench run, dropped at the end). */
export const ERP_SCHEMA = `bench_erp_${process.pid}`;

/** Mapped ERP columns of the customers-like table, with their Salesforce Account fields. */
export const CUSTOMER_FIELDS = [
  { erp: 'name', crm: 'Name' },
  { erp: 'phone', crm: 'Phone' },
  { erp: 'website', crm: 'Website' },
  { erp: 'industry', crm: 'Industry' },
  { erp: 'city', crm: 'BillingCity' },
  { erp: 'country', crm: 'BillingCountry' },
  { erp: 'employees', crm: 'NumberOfEmployees' },
] as const;

/** The seeded rows are stamped from here on, one millisecond apart: far older than any capture lookback. */
export const SEED_EPOCH = '2024-01-01T00:00:00Z';

export function customerTable(rows: number): string {
  return `${ERP_SCHEMA}.customers_${rows}`;
}

/** Key of seeded row `i` (1-based), as the SQL below writes it. */
export function customerKey(i: number): string {
  return `C${String(i).padStart(9, '0')}`;
}

/**
 * Builds `customers_<rows>` with generate_series: key `C000000001`..., seven mapped columns, `updated_at` set by a
 * trigger on every update (as an ERP would), primary key and (updated_at, customer_no) index created after the
 * load. Returns the setup time in ms. Idempotent: an existing table of that size is kept.
 */
export async function createCustomerTable(
  databaseUrl: string,
  rows: number,
): Promise<{ ms: number; created: boolean }> {
  const started = Date.now();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const table = customerTable(rows);
    const exists = await client.query(`select to_regclass($1) as t`, [table]);
    if (exists.rows[0]?.t) return { ms: 0, created: false };
    await client.query(`create schema if not exists ${ERP_SCHEMA}`);
    await client.query(`create or replace function ${ERP_SCHEMA}.touch_updated_at() returns trigger language plpgsql as $$
      begin new.updated_at := clock_timestamp(); return new; end $$`);
    await client.query(`set maintenance_work_mem = '512MB'`);
    await client.query(`create unlogged table ${table} (
      customer_no text not null, name text not null, phone text, website text, industry text, city text, country text,
      employees integer, updated_at timestamptz not null)`);
    await client.query(`insert into ${table}
      select 'C' || lpad(i::text, 9, '0'), 'Customer ' || i, '+1555' || lpad((i % 10000000)::text, 7, '0'),
             'https://c' || i || '.example.com',
             (array['Banking','Energy','Retail','Shipping','Technology','Healthcare'])[1 + i % 6],
             (array['Oslo','Berlin','Lyon','Leeds','Utrecht','Bergen','Porto'])[1 + i % 7],
             (array['Norway','Germany','France','United Kingdom','Netherlands'])[1 + i % 5],
             i % 5000, timestamptz '${SEED_EPOCH}' + i * interval '1 millisecond'
        from generate_series(1, ${rows}) i`);
    await client.query(`alter table ${table} add primary key (customer_no)`);
    await client.query(`create index on ${table} (updated_at, customer_no)`);
    await client.query(
      `create trigger touch before update on ${table} for each row execute function ${ERP_SCHEMA}.touch_updated_at()`,
    );
    await client.query(`vacuum analyze ${table}`);
    return { ms: Date.now() - started, created: true };
  } finally {
    await client.end();
  }
}

/**
 * Drops `customers_<rows>` if it exists. A scenario that writes to the ERP table (the CRM scenarios write the CRM's
 * edits back) and whose edits must differ from what the table holds starts from a fresh table: a table left by the
 * previous CRM scenario of this run (or by a killed run of the same pid) already holds the values its edits set, so
 * those edits would change nothing and the scenario would measure (and report) zero CRM changes.
 */
export async function dropCustomerTable(databaseUrl: string, rows: number): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`drop table if exists ${customerTable(rows)}`);
  } finally {
    await client.end();
  }
}

export async function dropErpSchema(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${ERP_SCHEMA} cascade`);
  } finally {
    await client.end();
  }
}
