import { createHash } from 'node:crypto';
import { stringify } from 'csv-stringify/sync';
import { strToU8, zipSync } from 'fflate';
import { z } from 'zod';
import { criteriaSchema, matchesCriteria, type BulkReadCriteria } from './zoho-criteria.js';
import { ZohoApiError } from './zoho-emulator-errors.js';
import type { ZohoModuleTable, ZohoStore } from './zoho-store.js';
import { valueToCsv } from './zoho-values.js';

export const createReadJobSchema = z
  .object({
    callback: z
      .object({ url: z.string().url(), method: z.literal('post') })
      .strict()
      .optional(),
    query: z
      .object({
        module: z.object({ api_name: z.string().min(1) }).passthrough(),
        cvid: z.string().optional(),
        fields: z.array(z.string().min(1)).optional(),
        criteria: criteriaSchema.optional(),
        page: z.number().int().min(1).optional(),
        page_token: z.string().optional(),
      })
      .strict(),
    file_type: z.enum(['csv', 'ics']).optional(),
  })
  .strict();

export type CreateReadJobBody = z.output<typeof createReadJobSchema>;

/** A bulk-read job: its query, timeline and (once processed) its page of rows as a zip. */
export interface BulkReadJob {
  readonly id: string;
  readonly table: ZohoModuleTable;
  readonly fields: readonly string[];
  readonly criteria: BulkReadCriteria | undefined;
  readonly offset: number;
  readonly page: number;
  readonly query: CreateReadJobBody['query'];
  readonly createdAtMs: number;
  readonly createdTime: number;
  readonly delayMs: number;
  processed?: {
    readonly count: number;
    readonly moreRecords: boolean;
    readonly nextPageToken: string | undefined;
    readonly zip: Uint8Array;
  };
}

/** The signature a page token is bound to: module, fields and criteria. */
export function querySignature(module: string, fields: readonly string[], criteria: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify([module.toLowerCase(), fields, criteria ?? null]))
    .digest('hex');
}

export function readJobState(job: BulkReadJob, nowMs: number, delayMs: number = job.delayMs): string {
  if (job.processed) return 'COMPLETED';
  const elapsed = nowMs - job.createdAtMs;
  if (elapsed < delayMs / 2) return 'ADDED';
  if (elapsed < delayMs) return 'QUEUED';
  if (elapsed < 2 * delayMs) return 'IN PROGRESS';
  return 'DUE';
}

/**
 * Runs the query over the live records: every match, in an order that is not sorted (a stable hash of the id), one
 * page of `pageSize` from the job's offset, as a zip holding `{job_id}.csv` (header: `id` then the fields).
 */
export function processReadJob(
  job: BulkReadJob,
  store: ZohoStore,
  pageSize: number,
  issueToken: (offset: number) => string,
): NonNullable<BulkReadJob['processed']> {
  const valueOf = (record: Parameters<ZohoStore['valueOf']>[0], apiName: string): unknown => {
    if (apiName === 'id') return record.id;
    const field = job.table.fields.get(apiName.toLowerCase());
    return field ? store.valueOf(record, field) : null;
  };
  const matches = [...job.table.records.values()].filter(
    (r) => job.criteria === undefined || matchesCriteria(job.table, r, job.criteria, valueOf),
  );
  const order = new Map(matches.map((r) => [r.id, scramble(r.id)]));
  matches.sort((a, b) => (order.get(a.id)! < order.get(b.id)! ? -1 : 1));
  const page = matches.slice(job.offset, job.offset + pageSize);
  const moreRecords = job.offset + pageSize < matches.length;
  const header = ['id', ...job.fields.filter((f) => f !== 'id')];
  const rows = page.map((record) =>
    header.map((name) => {
      if (name === 'id') return record.id;
      const field = job.table.fields.get(name.toLowerCase())!;
      if (field.api_name === 'Modified_Time' || field.api_name === 'Created_Time')
        return String(store.valueOf(record, field));
      return valueToCsv(field, record.values.get(field.api_name) ?? null, store.orgOffset);
    }),
  );
  const zip = zipSync({ [`${job.id}.csv`]: strToU8(stringify([header, ...rows])) });
  return {
    count: page.length,
    moreRecords,
    nextPageToken: moreRecords ? issueToken(job.offset + pageSize) : undefined,
    zip,
  };
}

/** Checks the requested fields exist; no fields means every field. */
export function readJobFields(table: ZohoModuleTable, fields: readonly string[] | undefined): string[] {
  if (fields === undefined || fields.length === 0) return table.definition.fields.map((f) => f.api_name);
  return fields.map((name) => {
    if (name === 'id') return 'id';
    const field = table.fields.get(name.toLowerCase());
    if (!field) throw new ZohoApiError(400, 'INVALID_DATA', 'invalid field in query', { api_name: name });
    return field.api_name;
  });
}

function scramble(id: string): string {
  return createHash('md5').update(id).digest('hex');
}
