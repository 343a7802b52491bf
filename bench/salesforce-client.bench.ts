import { request } from 'undici';
import { pathToFileURL } from 'node:url';
import { SalesforceConnector } from '../src/connectors/salesforce/salesforce-connector.js';
import type { HttpClient } from '../src/connectors/salesforce/http-client.js';
import type { OutboundRecord } from '../src/connectors/connector.js';
import type { JobLedger, JobLedgerEntry } from '../src/model/job-ledger.js';
import type { StreamRef } from '../src/model/stream.js';

export interface SalesforceClientBenchOptions {
  readonly records: number;
  readonly emulatorUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface SalesforceClientBenchResult {
  readonly upsertMs: number;
  readonly queryMs: number;
  /** HTTP calls made by the upsert (token, create, upload, close, polls, results); the query's are not counted. */
  readonly httpCalls: number;
  readonly queryHttpCalls: number;
  readonly peakRssMb: number;
  /** Peak RSS up to the end of the upsert. */
  readonly upsertPeakRssMb: number;
  /** The process's peak RSS as the kernel counts it (`process.resourceUsage().maxRSS`): catches spikes between samples. */
  readonly maxRssMb: number;
}

const stream: StreamRef = {
  name: 'bench_account',
  entity: 'Account',
  keyField: 'External_Id__c',
  fields: ['Name', 'Phone', 'NumberOfEmployees'],
  options: { deletes: 'ignore' },
};

/**
 * Upserts `records` Accounts through the Salesforce connector into a running emulator, then reads them all back,
 * measuring time, HTTP calls and the peak RSS of this process (sampled every 25 ms).
 */
export async function benchSalesforceClient(opts: SalesforceClientBenchOptions): Promise<SalesforceClientBenchResult> {
  let calls = 0;
  const http: HttpClient = (url, options) => {
    calls += 1;
    return request(url, options);
  };
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 25);
  const crm = new SalesforceConnector(
    {
      loginUrl: opts.emulatorUrl,
      auth: { flow: 'client_credentials', clientId: opts.clientId, clientSecret: opts.clientSecret },
      pollIntervalMs: 500,
      pollMaxIntervalMs: 500, // a fixed interval, as the jsforce baseline polls (bench/scenarios/salesforce-client.ts)
      pollTimeoutMs: 1_800_000,
      apiReserveShare: 0,
    },
    { http },
  );
  try {
    const ledger = new BenchLedger();
    const started = Date.now();
    let results = 0;
    for await (const page of crm.createSink().write(stream, generate(opts.records), { ledger })) results += page.length;
    const upsertMs = Date.now() - started;
    if (results !== opts.records) throw new Error(`expected ${opts.records} results, got ${results}`);
    const httpCalls = calls;
    const upsertPeakRssMb = Math.round(Math.max(peak, process.memoryUsage().rss) / 1024 / 1024);

    const queryStarted = Date.now();
    let read = 0;
    for await (const batch of crm.createSource().readChanges(stream, undefined, { batchSize: 10_000 }))
      read += batch.records.length;
    const queryMs = Date.now() - queryStarted;
    if (read < opts.records) throw new Error(`expected at least ${opts.records} records read back, got ${read}`);
    peak = Math.max(peak, process.memoryUsage().rss);
    return {
      upsertMs,
      queryMs,
      httpCalls,
      queryHttpCalls: calls - httpCalls,
      peakRssMb: Math.round(peak / 1024 / 1024),
      upsertPeakRssMb,
      maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    clearInterval(sampler);
    await crm.close();
  }
}

async function* generate(n: number): AsyncGenerator<readonly OutboundRecord[]> {
  const size = 5_000;
  for (let i = 0; i < n; i += size) {
    const batch: OutboundRecord[] = [];
    for (let k = i; k < Math.min(n, i + size); k += 1) {
      batch.push({
        key: `BENCH-${k.toString().padStart(8, '0')}`,
        op: 'upsert',
        fields: { Name: `Bench account ${k}`, Phone: `+1 555 ${k % 10_000}`, NumberOfEmployees: k % 5_000 },
      });
    }
    yield batch;
  }
}

class BenchLedger implements JobLedger {
  readonly #entries = new Map<string, JobLedgerEntry>();
  async record(e: Pick<JobLedgerEntry, 'jobId' | 'system' | 'object' | 'operation' | 'detail'>): Promise<void> {
    const now = new Date().toISOString();
    this.#entries.set(e.jobId, { ...e, status: 'open', createdAt: now, updatedAt: now });
  }
  async update(): Promise<void> {}
  async finish(jobId: string, status: 'done' | 'abandoned'): Promise<void> {
    const e = this.#entries.get(jobId);
    if (e) this.#entries.set(jobId, { ...e, status });
  }
  async listOpen(): Promise<readonly JobLedgerEntry[]> {
    return [...this.#entries.values()].filter((e) => e.status === 'open');
  }
}

// `npx tsx bench/salesforce-client.bench.ts <emulatorUrl> [records]` against an emulator in another process.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [url, records = '100000'] = process.argv.slice(2);
  if (!url) {
    console.error('usage: tsx bench/salesforce-client.bench.ts <emulatorUrl> [records]');
    process.exit(2);
  }
  const result = await benchSalesforceClient({
    records: Number(records),
    emulatorUrl: url,
    clientId: process.env['SF_CLIENT_ID'] ?? 'tandem-emulator',
    clientSecret: process.env['SF_CLIENT_SECRET'] ?? 'tandem-emulator-secret',
  });
  console.log(JSON.stringify(result));
}
