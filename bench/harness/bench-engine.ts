import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../src/config/load-config.js';
import { openEngine, type Engine } from '../../src/engine/open-engine.js';
import { createLogger } from '../../src/util/logger.js';
import { CUSTOMER_FIELDS } from './erp-fixture.js';
import { withApplicationName } from './pg-backend-cpu.js';

/**
 * How often both the engine and the jsforce baseline poll a Bulk API job, ms: the same fixed interval for both
 * (tandem's backoff is capped at it), so neither waits longer for the same job.
 */
export const BENCH_POLL_INTERVAL_MS = 200;

export interface BenchEngineOptions {
  readonly databaseUrl: string;
  /** `schema.table` of the ERP customers table. */
  readonly table: string;
  /** Schema of tandem's state (created by the migration, dropped by `dropStateSchema`). */
  readonly stateSchema: string;
  readonly emulatorUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Postgres `application_name` of every connection the engine opens, to find its backends (pg-backend-cpu.ts). */
  readonly applicationName?: string;
}

/**
 * Opens the real engine the way `tandem sync` does: a tandem.yaml (Postgres ERP, Postgres state store, Salesforce
 * connector against the emulator, one `account` mapping with trim/lowercase transforms and the built-in latest-wins
 * policy), loaded with loadConfig and opened with openEngine.
 */
export async function openBenchEngine(o: BenchEngineOptions): Promise<Engine> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-bench-'));
  const fields = CUSTOMER_FIELDS.map((f) => {
    const extra =
      f.erp === 'name'
        ? ', transforms: [trim]'
        : f.erp === 'website'
          ? ', transforms: [trim, lowercase]'
          : f.erp === 'employees'
            ? ', type: integer'
            : '';
    return `      ${f.erp}: { erp: ${f.erp}, crm: ${f.crm}${extra} }`;
  });
  const yaml = [
    'sync: bench',
    'state:',
    '  url: ${BENCH_DB_URL}',
    `  schema: ${o.stateSchema}`,
    'erp:',
    '  type: postgres',
    '  url: ${BENCH_DB_URL}',
    `  tandemSchema: ${o.stateSchema}_erp`,
    'crm:',
    '  type: salesforce',
    '  loginUrl: ${BENCH_SF_URL}',
    '  auth:',
    '    flow: client_credentials',
    '    clientId: ${BENCH_SF_CLIENT_ID}',
    '    clientSecret: ${BENCH_SF_CLIENT_SECRET}',
    `  pollIntervalMs: ${BENCH_POLL_INTERVAL_MS}`,
    `  pollMaxIntervalMs: ${BENCH_POLL_INTERVAL_MS}`,
    '  apiReserveShare: 0',
    'objects:',
    '  account:',
    `    erp: { table: ${o.table}, key: customer_no, primaryKey: customer_no, updatedAt: updated_at }`,
    '    crm: { object: Account, externalId: External_Id__c }',
    '    policy: latest-wins',
    '    fields:',
    ...fields,
    '',
  ].join('\n');
  const file = join(dir, 'tandem.yaml');
  await writeFile(file, yaml, 'utf8');
  try {
    const config = await loadConfig(file, {
      BENCH_DB_URL: o.applicationName ? withApplicationName(o.databaseUrl, o.applicationName) : o.databaseUrl,
      BENCH_SF_URL: o.emulatorUrl,
      BENCH_SF_CLIENT_ID: o.clientId,
      BENCH_SF_CLIENT_SECRET: o.clientSecret,
    });
    return await openEngine(config, { logger: createLogger({ level: process.env['BENCH_LOG_LEVEL'] ?? 'warn' }) });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function dropStateSchema(databaseUrl: string, stateSchema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${stateSchema} cascade`);
    await client.query(`drop schema if exists ${stateSchema}_erp cascade`);
  } finally {
    await client.end();
  }
}
