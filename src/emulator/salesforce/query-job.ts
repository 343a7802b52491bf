import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'csv-stringify/sync';
import type { Row } from './emulator-store.js';
import { COLUMN_DELIMITERS, type JobBase } from './ingest-job.js';
import { executeQuery, type QueryPlan } from './soql-query-plan.js';

/** One Bulk API 2.0 query job; `rows` is the result snapshot once JobComplete. */
export interface QueryJob extends JobBase {
  readonly kind: 'query';
  readonly operation: 'query' | 'queryAll';
  readonly query: string;
  readonly plan: QueryPlan;
  rows: Row[] | undefined;
  numberRecordsProcessed: number;
  totalProcessingTime: number;
}

/** Runs the query in the background: UploadComplete -> InProgress -> JobComplete (unless aborted meanwhile). */
export async function runQueryJob(job: QueryJob, delayMs: () => number): Promise<void> {
  const started = Date.now();
  await yieldToEventLoop();
  if (job.state !== 'UploadComplete') return;
  job.state = 'InProgress';
  job.systemModstamp = Date.now();
  // The configured delay is slept in short steps so an abort ends the job (and its timer) at once.
  const until = Date.now() + delayMs();
  while (job.state === 'InProgress' && Date.now() < until) await sleep(Math.min(50, until - Date.now()));
  if ((job.state as string) !== 'InProgress') return;
  job.rows = executeQuery(job.plan, job.operation === 'queryAll');
  job.numberRecordsProcessed = job.rows.length;
  job.totalProcessingTime = Date.now() - started;
  job.state = 'JobComplete';
  job.systemModstamp = Date.now();
}

/** Locators are opaque to clients; like Salesforce's (`MTAwMDA`) they are base64 of the offset. */
export function encodeLocator(offset: number): string {
  return Buffer.from(String(offset)).toString('base64').replace(/=+$/, '');
}

export function decodeLocator(locator: string): number | undefined {
  const text = Buffer.from(locator, 'base64').toString('utf8');
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/** CSV chunks of one results page (header first), produced lazily so a big page is never one string. */
export function* resultPageChunks(job: QueryJob, start: number, end: number): Generator<string> {
  const delimiter = COLUMN_DELIMITERS[job.columnDelimiter];
  const options = {
    delimiter,
    record_delimiter: job.lineEnding === 'CRLF' ? '\r\n' : '\n',
    quoted: true,
    quoted_empty: true,
  } as const;
  const columns = job.plan.columns;
  yield stringify([columns.map((c) => c.header)], options);
  const rows = job.rows ?? [];
  const CHUNK = 2000;
  for (let i = start; i < end; i += CHUNK) {
    const slice: string[][] = [];
    const stop = Math.min(end, i + CHUNK);
    for (let j = i; j < stop; j++) {
      const row = rows[j]!;
      slice.push(columns.map((c) => c.format(row)));
    }
    yield stringify(slice, options);
  }
}
