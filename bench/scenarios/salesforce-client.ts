import jsforce from 'jsforce';
import { benchSalesforceClient, type SalesforceClientBenchResult } from '../salesforce-client.bench.js';
import { runInChild } from '../harness/child-process.js';
import { startEmulatorProcess } from '../harness/emulator-process.js';
import type { BenchSettings } from '../harness/bench-settings.js';
import type { FigureRow, ScenarioReport } from '../harness/scenario-report.js';

interface ClientInput {
  readonly records: number;
  readonly emulatorUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Child: tandem's Salesforce client (bench/salesforce-client.bench.ts) upserts `records` Accounts and reads them back. */
export function tandemClientChild(input: ClientInput): Promise<SalesforceClientBenchResult> {
  return benchSalesforceClient(input);
}

export interface JsforceClientResult {
  readonly upsertMs: number;
  readonly queryMs: number;
  readonly successful: number;
  readonly read: number;
}

/**
 * Child, the baseline: the same records through jsforce 3.10.16 as its users call it: `bulk2.loadAndWaitForResults`
 * with an array of records (jsforce encodes the CSV and returns every result row), then `bulk2.query` read back as
 * a stream.
 */
export async function jsforceClientChild(input: ClientInput): Promise<JsforceClientResult> {
  const conn = new jsforce.Connection({
    oauth2: { loginUrl: input.emulatorUrl, clientId: input.clientId, clientSecret: input.clientSecret },
    version: '62.0',
  });
  await conn.authorize({ grant_type: 'client_credentials' });
  const records = Array.from({ length: input.records }, (_, k) => ({
    External_Id__c: `BENCH-${k.toString().padStart(8, '0')}`,
    Name: `Bench account ${k}`,
    Phone: `+1 555 ${k % 10_000}`,
    NumberOfEmployees: k % 5_000,
  }));
  const started = performance.now();
  const results = await conn.bulk2.loadAndWaitForResults({
    object: 'Account',
    operation: 'upsert',
    externalIdFieldName: 'External_Id__c',
    input: records,
    pollInterval: 500,
    pollTimeout: 1_800_000,
  });
  const upsertMs = performance.now() - started;
  const queryStarted = performance.now();
  let read = 0;
  const stream = await conn.bulk2.query('SELECT Id, External_Id__c, Name, Phone, NumberOfEmployees FROM Account', {
    pollInterval: 500,
    pollTimeout: 1_800_000,
  });
  await new Promise<void>((resolve, reject) => {
    stream.on('record', () => (read += 1));
    stream.on('error', reject);
    stream.on('end', () => resolve());
  });
  return { upsertMs, queryMs: performance.now() - queryStarted, successful: results.successfulResults.length, read };
}

/** Scenario 1: N runs of each client, each against a fresh emulator process. */
export async function benchSalesforceClientScenario(settings: BenchSettings, records: number): Promise<ScenarioReport> {
  const t = {
    upsert: [] as number[],
    query: [] as number[],
    rss: [] as number[],
    http: [] as number[],
    httpQuery: [] as number[],
  };
  const b = { upsert: [] as number[], query: [] as number[], rss: [] as number[], http: [] as number[] };
  let baselineFailure: string | undefined;
  for (let i = 0; i < settings.runs; i += 1) {
    for (const which of ['tandem', 'jsforce'] as const) {
      // jsforce's bulk2.query breaks on multi-page results (jsforce#1546): its emulator serves the whole result in one
      // page, as the reference says a jsforce user's server must.
      const sf = await startEmulatorProcess(which === 'jsforce' ? { queryPageSize: records + 1 } : {});
      try {
        const input: ClientInput = {
          records,
          emulatorUrl: sf.url,
          clientId: sf.clientId,
          clientSecret: sf.clientSecret,
        };
        const before = await sf.httpRequests();
        if (which === 'tandem') {
          const run = await runInChild<SalesforceClientBenchResult>(
            new URL(import.meta.url),
            'tandemClientChild',
            input,
          );
          t.upsert.push(run.result.upsertMs / 1000);
          t.query.push(run.result.queryMs / 1000);
          t.rss.push(run.maxRssMb);
          t.http.push((run.result.httpCalls / records) * 1_000_000);
          t.httpQuery.push(run.result.queryHttpCalls);
          console.error(
            `  client run ${i + 1} tandem: upsert ${(run.result.upsertMs / 1000).toFixed(1)} s, peak ${run.maxRssMb} MB, ${run.result.httpCalls} calls`,
          );
        } else {
          let run;
          try {
            run = await runInChild<JsforceClientResult>(new URL(import.meta.url), 'jsforceClientChild', input);
          } catch (error) {
            // The baseline failing is a finding about the baseline, not a reason to lose tandem's figures.
            baselineFailure = (error as Error).message.split('\n')[0] ?? String(error);
            console.error(`  client run ${i + 1} jsforce: failed: ${baselineFailure}`);
            continue;
          }
          if (run.result.successful !== records)
            throw new Error(`jsforce upserted ${run.result.successful} of ${records}`);
          const calls = (await sf.httpRequests()) - before - 1;
          b.upsert.push(run.result.upsertMs / 1000);
          b.query.push(run.result.queryMs / 1000);
          b.rss.push(run.maxRssMb);
          b.http.push((calls / records) * 1_000_000);
          console.error(
            `  client run ${i + 1} jsforce: upsert ${(run.result.upsertMs / 1000).toFixed(1)} s, peak ${run.maxRssMb} MB`,
          );
        }
      } finally {
        await sf.close();
      }
    }
  }
  const rows: FigureRow[] = [
    {
      name: 'peak RSS of the client process',
      unit: 'MB',
      values: t.rss,
      baseline: b.rss,
      target: { op: '<', value: 300 },
    },
    {
      name: 'HTTP calls per million upserted',
      unit: 'calls',
      values: t.http,
      baseline: b.http,
      target: { op: '<=', value: 30 },
    },
    { name: 'upsert wall time', unit: 's', values: t.upsert, baseline: b.upsert },
    { name: 'query-back wall time', unit: 's', values: t.query, baseline: b.query },
  ];
  return {
    id: 'salesforce-client',
    title: `Salesforce client: upsert ${records.toLocaleString('en-US')} records, read them back`,
    baselineLabel: 'jsforce 3.10.16 bulk2.loadAndWaitForResults + bulk2.query',
    rows,
    facts: {
      records: records.toLocaleString('en-US'),
      'HTTP calls of the query-back (tandem, median)': String(
        t.httpQuery.sort((x, y) => x - y)[Math.floor(t.httpQuery.length / 2)] ?? '',
      ),
      ...(baselineFailure ? { 'baseline (jsforce) did not complete': baselineFailure } : {}),
    },
  };
}
