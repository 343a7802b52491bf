import jsforce from 'jsforce';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { BENCH_POLL_INTERVAL_MS } from '../harness/bench-engine.js';
import { runInChild } from '../harness/child-process.js';
import { startEmulatorProcess } from '../harness/emulator-process.js';
import type { BenchSettings } from '../harness/bench-settings.js';
import { measureRun, runApplicationName, type RunCpu } from '../harness/measured-run.js';
import { withApplicationName } from '../harness/pg-backend-cpu.js';

export interface JsforceLoadInput {
  readonly databaseUrl: string;
  readonly table: string;
  readonly emulatorUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly applicationName: string;
}

export interface JsforceLoadResult {
  /** From before the Postgres connect to the last result row: the script's whole work (its start-up of a sort). */
  readonly loadMs: number;
  readonly successful: number;
  readonly failed: number;
}

/**
 * Child, scenario 3: the initial load done the way a user would without tandem: `COPY (select ... mapped columns ...)
 * TO STDOUT CSV HEADER` streamed straight into jsforce 3.10.16 `bulk2.loadAndWaitForResults` (one upsert job on the
 * external ID), which returns every result row. The same transforms as tandem's mapping are done in SQL.
 */
export async function jsforceLoadChild(input: JsforceLoadInput): Promise<JsforceLoadResult> {
  const conn = new jsforce.Connection({
    oauth2: { loginUrl: input.emulatorUrl, clientId: input.clientId, clientSecret: input.clientSecret },
    version: '62.0',
  });
  const started = performance.now();
  const client = new pg.Client({ connectionString: withApplicationName(input.databaseUrl, input.applicationName) });
  await client.connect();
  try {
    await conn.authorize({ grant_type: 'client_credentials' });
    const csv = client.query(
      copyTo(`COPY (
      SELECT customer_no AS "External_Id__c", trim(name) AS "Name", phone AS "Phone", lower(trim(website)) AS "Website",
             industry AS "Industry", city AS "BillingCity", country AS "BillingCountry", employees AS "NumberOfEmployees"
        FROM ${input.table}) TO STDOUT WITH (FORMAT csv, HEADER)`),
    );
    const results = await conn.bulk2.loadAndWaitForResults({
      object: 'Account',
      operation: 'upsert',
      externalIdFieldName: 'External_Id__c',
      input: csv,
      pollInterval: BENCH_POLL_INTERVAL_MS,
      pollTimeout: 1_800_000,
    });
    return {
      loadMs: performance.now() - started,
      successful: results.successfulResults.length,
      failed: results.failedResults.length,
    };
  } finally {
    await client.end();
  }
}

export interface JsforceLoadRun extends JsforceLoadResult {
  readonly maxRssMb: number;
  readonly httpCalls: number;
  /** The child process from spawn to exit. */
  readonly wallMs: number;
  readonly cpuMs: RunCpu;
  /** The emulator's own processing time of the job, ms. */
  readonly remoteMs: number;
}

/** One run of the baseline script in a child process, against a fresh emulator. */
export async function jsforceLoadOnce(
  settings: BenchSettings,
  table: string,
  rows: number,
  tag: string,
): Promise<JsforceLoadRun> {
  const sf = await startEmulatorProcess();
  try {
    const applicationName = runApplicationName(tag);
    const run = await measureRun(sf, settings.databaseUrl, applicationName, () =>
      runInChild<JsforceLoadResult>(new URL(import.meta.url), 'jsforceLoadChild', {
        databaseUrl: settings.databaseUrl,
        table,
        emulatorUrl: sf.url,
        clientId: sf.clientId,
        clientSecret: sf.clientSecret,
        applicationName,
      } satisfies JsforceLoadInput),
    );
    const child = run.child;
    if (child.result.successful !== rows)
      throw new Error(`jsforce baseline loaded ${child.result.successful} of ${rows} (${child.result.failed} failed)`);
    console.error(
      `  jsforce load ${tag}: script ${(child.result.loadMs / 1000).toFixed(1)} s, process ${(child.wallMs / 1000).toFixed(1)} s, ${child.maxRssMb} MB, ${run.httpCalls} HTTP calls, CPU s script ${(run.cpuMs.client / 1000).toFixed(1)} postgres ${(run.cpuMs.postgres / 1000).toFixed(1)} emulator ${(run.cpuMs.emulator / 1000).toFixed(1)}`,
    );
    return {
      ...child.result,
      maxRssMb: child.maxRssMb,
      httpCalls: run.httpCalls,
      wallMs: child.wallMs,
      cpuMs: run.cpuMs,
      remoteMs: run.remoteMs,
    };
  } finally {
    await sf.close();
  }
}
