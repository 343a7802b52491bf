import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import type { OutboundRecord, WriteResult } from '../connector.js';
import { UnavailableError } from '../../util/errors.js';
import { bulkFormat, toZohoCsv, type ZohoField } from './zoho-fields.js';

/** One mapped CSV column: the field API name and, for dates and datetimes, the format its cells use. */
export interface BulkColumn {
  readonly apiName: string;
  readonly format?: string;
}

/**
 * What the job ledger keeps about one Bulk Write job (`JobLedgerEntry.detail`). Recorded before the upload, so a
 * process that dies later resumes the job: `uploading` (nothing reached Zoho for sure: abandoned, the engine sends
 * the records again), `uploaded` (the file is on Zoho: the job is created from `fileId`, no second upload), `created`
 * (the job runs: polled and its results read).
 */
export interface BulkWriteDetail {
  readonly module: string;
  readonly keyField: string;
  readonly columns: readonly BulkColumn[];
  readonly records: number;
  readonly phase: 'uploading' | 'uploaded' | 'created';
  readonly fileId?: string;
  readonly zohoJobId?: string;
}

/** The columns of a stream's Bulk Write file: the key first (Zoho's result file echoes only the first three). */
export function bulkColumns(
  keyField: string,
  fields: readonly string[],
  types: ReadonlyMap<string, ZohoField>,
): BulkColumn[] {
  return [...new Set([keyField, ...fields])].map((apiName) => {
    const format = bulkFormat(types.get(apiName));
    return format === undefined ? { apiName } : { apiName, format };
  });
}

/** The CSV text of records (header row included) under `columns`; absent fields are empty cells (ignored by Zoho). */
export function bulkCsvRows(
  columns: readonly BulkColumn[],
  records: readonly OutboundRecord[],
  types: ReadonlyMap<string, ZohoField>,
): string[] {
  return records.map((r) =>
    stringify([
      columns.map((c, i) => {
        if (i === 0) return r.key;
        const value = r.fields[c.apiName];
        return value === undefined ? '' : toZohoCsv(types.get(c.apiName), value);
      }),
    ]),
  );
}

export function bulkCsvHeader(columns: readonly BulkColumn[]): string {
  return stringify([columns.map((c) => c.apiName)]);
}

export function zipCsv(name: string, header: string, rows: readonly string[]): Uint8Array {
  return zipSync({ [name]: strToU8(header + rows.join('')) });
}

/** The create-job request of a ledger detail that has a file id: upsert keyed by `find_by`, empty cells ignored. */
export function writeJobRequest(detail: BulkWriteDetail, fileId: string): unknown {
  return {
    operation: 'upsert',
    ignore_empty: true,
    resource: [
      {
        type: 'data',
        module: { api_name: detail.module },
        file_id: fileId,
        find_by: detail.keyField,
        field_mappings: detail.columns.map((c, index) => ({
          api_name: c.apiName,
          index,
          ...(c.format ? { format: c.format } : {}),
        })),
      },
    ],
  };
}

/**
 * The per-record results of a Bulk Write result zip. Rows are matched by the key the row echoes (the key is the
 * first mapped column), never by row order; `pending` (key -> true) loses every key matched, and what it still
 * holds afterwards had no row. STATUS is compared case-insensitively: added -> created, updated -> updated,
 * skipped -> rejected (ERRORS says why), unprocessed -> unprocessed. Each result names the job.
 */
export function resultsFromZip(
  zip: Uint8Array,
  keyField: string,
  jobId: string,
  pending: Set<string> | undefined,
): WriteResult[] {
  const files = unzipSync(zip);
  const csv = Object.entries(files).find(([name]) => name.toLowerCase().endsWith('.csv'))?.[1];
  if (csv === undefined) throw new UnavailableError(`Zoho bulk write result of job ${jobId} holds no CSV`, { jobId });
  const rows = parse<Record<string, string>>(strFromU8(csv), {
    columns: true,
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
  });
  const out: WriteResult[] = [];
  for (const row of rows) {
    if (!(keyField in row)) {
      throw new UnavailableError(
        `Zoho bulk write result of job ${jobId} does not echo the key column ${keyField} (it echoes only the first three mapped columns); cannot match results to records`,
        { jobId, columns: Object.keys(row) },
      );
    }
    const key = row[keyField] ?? '';
    if (pending) {
      if (!pending.has(key)) continue; // not a record of this write (a duplicate row): its result was taken already
      pending.delete(key);
    }
    const status = (row['STATUS'] ?? '').trim().toLowerCase();
    const recordId = row['RECORD_ID'] ?? '';
    const errors = row['ERRORS'] ?? '';
    const nativeId = recordId === '' ? {} : { nativeId: recordId };
    if (status === 'added' || status === 'inserted') out.push({ key, status: 'created', ...nativeId });
    else if (status === 'updated') out.push({ key, status: 'updated', ...nativeId });
    else if (status === 'skipped')
      out.push({
        key,
        status: 'rejected',
        reason: errors === '' ? 'skipped by Zoho without a reason' : `Zoho: ${errors}`,
        ...nativeId,
      });
    else
      out.push({
        key,
        status: 'unprocessed',
        reason: `Zoho job ${jobId} did not process this record (${status || 'no status'})`,
      });
  }
  return out.map((result) => ({ ...result, jobId }));
}
