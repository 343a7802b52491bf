import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import type { BenchSettings } from '../harness/bench-settings.js';
import { bulkToken, startEmulatorProcess } from '../harness/emulator-process.js';
import type { ScenarioReport } from '../harness/scenario-report.js';

/** What one emulator ingest run measured (the emulator's own process, not the client's). */
export interface EmulatorIngestFigures {
  readonly rows: number;
  readonly uploadBytes: number;
  readonly uploadSeconds: number;
  /** From UploadComplete to JobComplete, as the job reports it (`totalProcessingTime`). */
  readonly processingSeconds: number;
  readonly recordsPerSecond: number;
  readonly failed: number;
  /** Bytes of successfulResults + failedResults + unprocessedrecords, and how long downloading them took. */
  readonly resultBytes: number;
  readonly resultSeconds: number;
  /** Peak resident memory of the emulator process (VmHWM), and its resident memory at the start and the end. */
  readonly peakRssMb: number;
  readonly startRssMb: number;
  /** Peak resident memory up to JobComplete (before any result download). */
  readonly peakRssAtCompleteMb: number;
  readonly endRssMb: number;
  readonly loadAverage: readonly number[];
}

const API = '/services/data/v62.0';
const INDUSTRIES = ['Agriculture', 'Banking', 'Chemicals', 'Energy', 'Retail', 'Technology'];
const CITIES = ['Lyon', 'Zürich', 'São Paulo', 'Osaka', 'Leeds'];

/** One generated upload row; every 1000th fails (NumberOfEmployees not a number) so failedResults has rows. */
function csvRow(i: number): string {
  const n = String(i).padStart(7, '0');
  const employees = i % 1000 === 999 ? 'many' : String(i % 5000);
  const name = i % 97 === 0 ? `"Account ${n}, ""Ltd"""` : `Account ${n}`;
  return `EXT-${n},${name},+44 20 7946 ${n.slice(3)},https://a${n}.example.com,${INDUSTRIES[i % 6]},${employees},${CITIES[i % 5]}\n`;
}

function* csvChunks(rows: number): Generator<Buffer> {
  yield Buffer.from('External_Id__c,Name,Phone,Website,Industry,NumberOfEmployees,BillingCity\n');
  for (let start = 0; start < rows; start += 2000) {
    let text = '';
    for (let i = start; i < Math.min(rows, start + 2000); i++) text += csvRow(i);
    yield Buffer.from(text);
  }
}

async function vmKb(pid: number, key: 'VmHWM' | 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) : Number.NaN;
}

/**
 * Starts the Salesforce emulator in its own process, runs one upsert job of `rows` Accounts (7 columns, external
 * id, uploaded as one streamed CSV as real clients do), waits for JobComplete, downloads the three result files
 * (streamed, counted, not kept) and reports the emulator's peak RSS and processing rate. Linux only (/proc).
 */
export async function benchEmulatorIngest(
  rows: number,
  options: { readonly nodeArgs?: readonly string[]; readonly onStdout?: (text: string) => void } = {},
): Promise<EmulatorIngestFigures> {
  const emulator = await startEmulatorProcess({
    nodeArgs: options.nodeArgs ?? [],
    ...(options.onStdout ? { onStdout: options.onStdout } : {}),
  });
  try {
    const { url, pid } = emulator;
    const startRss = await vmKb(pid, 'VmRSS');
    const token = await bulkToken(url, emulator.clientId, emulator.clientSecret);
    const auth = { authorization: `Bearer ${token}` };
    const call = async (method: 'GET' | 'POST' | 'PATCH' | 'PUT', path: string, body?: unknown): Promise<unknown> => {
      const res = await request(`${url}${API}${path}`, {
        method,
        headers: { ...auth, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.body.text();
      if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 500)}`);
      return text === '' ? undefined : JSON.parse(text);
    };
    const job = (await call('POST', '/jobs/ingest', {
      object: 'Account',
      operation: 'upsert',
      externalIdFieldName: 'External_Id__c',
      lineEnding: 'LF',
    })) as { id: string };

    let uploadBytes = 0;
    const counted = Readable.from(
      (function* () {
        for (const chunk of csvChunks(rows)) {
          uploadBytes += chunk.length;
          yield chunk;
        }
      })(),
    );
    const uploadStart = performance.now();
    const put = await request(`${url}${API}/jobs/ingest/${job.id}/batches`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'text/csv' },
      body: counted,
    });
    const putText = await put.body.text();
    if (put.statusCode !== 201) throw new Error(`upload: ${put.statusCode} ${putText.slice(0, 500)}`);
    const uploadSeconds = (performance.now() - uploadStart) / 1000;

    await call('PATCH', `/jobs/ingest/${job.id}`, { state: 'UploadComplete' });
    let info: { state: string; totalProcessingTime: number; numberRecordsFailed: number; errorMessage?: string };
    for (;;) {
      info = (await call('GET', `/jobs/ingest/${job.id}`)) as typeof info;
      if (info.state === 'JobComplete' || info.state === 'Failed' || info.state === 'Aborted') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    if (info.state !== 'JobComplete') throw new Error(`job ended ${info.state}: ${info.errorMessage ?? ''}`);
    const peakAtComplete = await vmKb(pid, 'VmHWM');

    let resultBytes = 0;
    const resultStart = performance.now();
    for (const which of ['successfulResults', 'failedResults', 'unprocessedrecords']) {
      const res = await request(`${url}${API}/jobs/ingest/${job.id}/${which}`, { headers: auth });
      if (res.statusCode !== 200) throw new Error(`${which}: ${res.statusCode} ${await res.body.text()}`);
      for await (const chunk of res.body) resultBytes += (chunk as Buffer).length;
    }
    const resultSeconds = (performance.now() - resultStart) / 1000;
    const processingSeconds = info.totalProcessingTime / 1000;
    return {
      rows,
      uploadBytes,
      uploadSeconds,
      processingSeconds,
      recordsPerSecond: processingSeconds > 0 ? rows / processingSeconds : Number.NaN,
      failed: info.numberRecordsFailed,
      resultBytes,
      resultSeconds,
      peakRssMb: (await vmKb(pid, 'VmHWM')) / 1024,
      startRssMb: startRss / 1024,
      peakRssAtCompleteMb: peakAtComplete / 1024,
      endRssMb: (await vmKb(pid, 'VmRSS')) / 1024,
      loadAverage: loadavg(),
    };
  } finally {
    await emulator.close();
  }
}

/** The figures as one line of text. */
export function describeEmulatorIngest(f: EmulatorIngestFigures): string {
  return [
    `${f.rows.toLocaleString('en-US')} rows (${(f.uploadBytes / 1e6).toFixed(1)} MB CSV, ${f.failed} failed)`,
    `upload ${f.uploadSeconds.toFixed(1)} s`,
    `processing ${f.processingSeconds.toFixed(1)} s = ${Math.round(f.recordsPerSecond).toLocaleString('en-US')} records/s`,
    `results ${(f.resultBytes / 1e6).toFixed(1)} MB in ${f.resultSeconds.toFixed(1)} s`,
    `emulator RSS peak ${f.peakRssMb.toFixed(0)} MB (start ${f.startRssMb.toFixed(0)} MB, at JobComplete ${f.peakRssAtCompleteMb.toFixed(0)} MB, end ${f.endRssMb.toFixed(0)} MB)`,
    `load ${f.loadAverage.map((l) => l.toFixed(1)).join(' ')}`,
  ].join('; ');
}

// `node --import tsx bench/scenarios/emulator-ingest.ts [rows]`: one run, figures on stdout.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = Number(process.argv[2] ?? '100000');
  // Further arguments go to the emulator's node (e.g. --trace-gc, whose lines are echoed to stderr).
  const nodeArgs = process.argv.slice(3);
  console.log(
    describeEmulatorIngest(await benchEmulatorIngest(rows, { nodeArgs, onStdout: (t) => process.stderr.write(t) })),
  );
}

/**
 * The bench scenario: `settings.runs` runs of one `rows`-record upsert job in a fresh emulator process each; the
 * emulator's peak RSS (target: 1M rows within 400 MB) and its processing rate.
 */
export async function benchEmulatorIngestScenario(settings: BenchSettings, rows: number): Promise<ScenarioReport> {
  const runs: EmulatorIngestFigures[] = [];
  for (let i = 0; i < settings.runs; i++) runs.push(await benchEmulatorIngest(rows));
  return {
    id: 'emulator-ingest',
    title: `Salesforce emulator: one upsert job of ${rows.toLocaleString('en-US')} Accounts (7 columns), in its own process`,
    baselineLabel: 'none',
    rows: [
      {
        name: 'emulator peak RSS',
        unit: 'MB',
        values: runs.map((r) => r.peakRssMb),
        ...(rows >= 1_000_000 ? { target: { op: '<=', value: 400 } as const } : {}),
      },
      { name: 'records processed per second', unit: '/s', values: runs.map((r) => r.recordsPerSecond) },
      { name: 'result files downloaded', unit: 's', values: runs.map((r) => r.resultSeconds) },
    ],
    facts: { 'last run': runs.length > 0 ? describeEmulatorIngest(runs[runs.length - 1]!) : '' },
  };
}
