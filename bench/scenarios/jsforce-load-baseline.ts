import jsforce from 'jsforce';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { runInChild } from '../harness/child-process.js';
import { startEmulatorProcess } from '../harness/emulator-process.js';
import type { BenchSettings } from '../harness/bench-settings.js';

export interface JsforceLoadInput {
  readonly databaseUrl: string;
  readonly table: string;
  readonly emulatorUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface JsforceLoadResult {
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
  const client = new pg.Client({ connectionString: input.databaseUrl });
  await client.connect();
  try {
    const started = performance.now();
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
      pollInterval: 1000,
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
}

export async function benchJsforceLoad(
  settings: BenchSettings,
  table: string,
  rows: number,
): Promise<JsforceLoadRun[]> {
  const runs: JsforceLoadRun[] = [];
  for (let i = 0; i < settings.runs; i += 1) {
    const sf = await startEmulatorProcess();
    try {
      const before = await sf.httpRequests();
      const child = await runInChild<JsforceLoadResult>(new URL(import.meta.url), 'jsforceLoadChild', {
        databaseUrl: settings.databaseUrl,
        table,
        emulatorUrl: sf.url,
        clientId: sf.clientId,
        clientSecret: sf.clientSecret,
      } satisfies JsforceLoadInput);
      const httpCalls = (await sf.httpRequests()) - before - 1;
      if (child.result.successful !== rows)
        throw new Error(
          `jsforce baseline loaded ${child.result.successful} of ${rows} (${child.result.failed} failed)`,
        );
      runs.push({ ...child.result, maxRssMb: child.maxRssMb, httpCalls });
      console.error(
        `  jsforce load run ${i + 1}: ${(child.result.loadMs / 1000).toFixed(1)} s, ${child.maxRssMb} MB, ${httpCalls} HTTP calls`,
      );
    } finally {
      await sf.close();
    }
  }
  return runs;
}
