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

interface ClientFigures {
  readonly upsert: number[];
  readonly query: number[];
  readonly rss: number[];
  readonly http: number[];
  readonly httpQuery: number[];
}

const figures = (): ClientFigures => ({ upsert: [], query: [], rss: [], http: [], httpQuery: [] });

/** One run of one client against a fresh emulator; the baseline's failure is returned, not thrown. */
async function clientRun(which: 'tandem' | 'jsforce', records: number, into: ClientFigures, label: string) {
  // jsforce's bulk2.query breaks on multi-page results (jsforce#1546): its emulator serves the whole result in one
  // page, as the reference says a jsforce user's server must.
  const sf = await startEmulatorProcess(which === 'jsforce' ? { queryPageSize: records + 1 } : {});
  try {
    const input: ClientInput = { records, emulatorUrl: sf.url, clientId: sf.clientId, clientSecret: sf.clientSecret };
    const before = await sf.httpRequests();
    if (which === 'tandem') {
      const run = await runInChild<SalesforceClientBenchResult>(new URL(import.meta.url), 'tandemClientChild', input);
      into.upsert.push(run.result.upsertMs / 1000);
      into.query.push(run.result.queryMs / 1000);
      into.rss.push(run.maxRssMb);
      into.http.push((run.result.httpCalls / records) * 1_000_000);
      into.httpQuery.push(run.result.queryHttpCalls);
      console.error(
        `  client ${label} tandem, ${records} records: upsert ${(run.result.upsertMs / 1000).toFixed(1)} s, peak ${run.maxRssMb} MB, ${run.result.httpCalls} calls`,
      );
      return undefined;
    }
    let run;
    try {
      run = await runInChild<JsforceClientResult>(new URL(import.meta.url), 'jsforceClientChild', input);
    } catch (error) {
      // The baseline failing is a finding about the baseline, not a reason to lose tandem's figures.
      const failure = (error as Error).message.split('\n')[0] ?? String(error);
      console.error(`  client ${label} jsforce, ${records} records: failed: ${failure}`);
      return failure;
    }
    if (run.result.successful !== records) throw new Error(`jsforce upserted ${run.result.successful} of ${records}`);
    const calls = (await sf.httpRequests()) - before - 1;
    into.upsert.push(run.result.upsertMs / 1000);
    into.query.push(run.result.queryMs / 1000);
    into.rss.push(run.maxRssMb);
    into.http.push((calls / records) * 1_000_000);
    console.error(
      `  client ${label} jsforce, ${records} records: upsert ${(run.result.upsertMs / 1000).toFixed(1)} s, peak ${run.maxRssMb} MB`,
    );
    return undefined;
  } finally {
    await sf.close();
  }
}

const median = (v: readonly number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];

/**
 * Scenario 1: N runs of tandem's client at `records` (the figures the targets are set for), and N interleaved pairs
 * (tandem, jsforce) at `compareRecords`, a size jsforce completes (it fails at 1,000,000: the child exits 13 with an
 * unsettled promise). When the sizes are equal, the pairs give both sets of figures.
 */
export async function benchSalesforceClientScenario(
  settings: BenchSettings,
  records: number,
  compareRecords: number,
): Promise<ScenarioReport> {
  const big = figures();
  const t = compareRecords === records ? big : figures();
  const b = figures();
  let baselineFailure: string | undefined;
  for (let i = 0; i < settings.runs; i += 1) {
    if (compareRecords !== records) await clientRun('tandem', records, big, `run ${i + 1}`);
    await clientRun('tandem', compareRecords, t, `run ${i + 1}`);
    baselineFailure = (await clientRun('jsforce', compareRecords, b, `run ${i + 1}`)) ?? baselineFailure;
  }
  const size = (n: number) => n.toLocaleString('en-US');
  const at = compareRecords === records ? '' : `, ${size(compareRecords)} records`;
  const rows: FigureRow[] = [
    {
      name: `peak RSS of the client process, ${size(records)} records`,
      unit: 'MB',
      values: big.rss,
      ...(compareRecords === records ? { baseline: b.rss } : {}),
      target: { op: '<', value: 300 },
    },
    {
      name: `HTTP calls per million upserted, ${size(records)} records`,
      unit: 'calls',
      values: big.http,
      ...(compareRecords === records ? { baseline: b.http } : {}),
      target: { op: '<=', value: 30 },
    },
    ...(compareRecords === records
      ? []
      : [
          { name: `peak RSS of the client process${at}`, unit: 'MB', values: t.rss, baseline: b.rss },
          { name: `upsert wall time, ${size(records)} records`, unit: 's', values: big.upsert },
        ]),
    { name: `upsert wall time${at}`, unit: 's', values: t.upsert, baseline: b.upsert },
    { name: `query-back wall time${at}`, unit: 's', values: t.query, baseline: b.query },
  ];
  return {
    id: 'salesforce-client',
    title: `Salesforce client: upsert ${size(records)} records, read them back${compareRecords === records ? '' : `; against jsforce at ${size(compareRecords)}`}`,
    baselineLabel: `jsforce 3.10.16 bulk2.loadAndWaitForResults + bulk2.query, at ${size(compareRecords)} records, run in turn with tandem's client`,
    rows,
    facts: {
      records: size(records),
      'records of the tandem / jsforce pairs': size(compareRecords),
      'HTTP calls of the query-back (tandem, median)': String(median(big.httpQuery) ?? ''),
      ...(baselineFailure ? { 'baseline (jsforce) did not complete': baselineFailure } : {}),
    },
  };
}
