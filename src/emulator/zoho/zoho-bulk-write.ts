import { stringify } from 'csv-stringify/sync';
import { strToU8, zipSync } from 'fflate';
import { z } from 'zod';
import { ZohoApiError, ZohoRecordError } from './zoho-emulator-errors.js';
import type { ZohoModuleTable, ZohoRecord, ZohoStore } from './zoho-store.js';
import { valueFromCsv, type StoredValue } from './zoho-values.js';
import { SeededRandom } from './zoho-fault-config.js';
import { textOf } from '../../util/text-of.js';

/** One uploaded CSV (from the zip sent to the upload host). */
export interface UploadedFile {
  readonly id: string;
  readonly name: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly createdTime: number;
}

const mappingSchema = z
  .object({
    api_name: z.string().min(1),
    index: z.number().int().min(0).optional(),
    find_by: z.string().nullable().optional(),
    format: z.string().nullable().optional(),
    default_value: z.object({ value: z.unknown() }).nullable().optional(),
    module: z.unknown().optional(),
    parent_column_index: z.number().int().nullable().optional(),
  })
  .strict();

export const createWriteJobSchema = z
  .object({
    operation: z.enum(['insert', 'update', 'upsert']),
    ignore_empty: z.boolean().optional(),
    character_encoding: z.string().optional(),
    callback: z
      .object({ url: z.string().url(), method: z.literal('post') })
      .strict()
      .optional(),
    resource: z
      .array(
        z
          .object({
            type: z.literal('data'),
            module: z.object({ api_name: z.string().min(1) }).passthrough(),
            file_id: z.string().min(1),
            find_by: z.string().min(1).optional(),
            field_mappings: z.array(mappingSchema).optional(),
            file_names: z.array(z.string()).optional(),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();

export type CreateWriteJobBody = z.output<typeof createWriteJobSchema>;
type Mapping = z.output<typeof mappingSchema> & { readonly index: number };

export type WriteRowStatus = 'ADDED' | 'UPDATED' | 'SKIPPED' | 'UNPROCESSED';

/** A bulk-write job: its request, its timeline, and (once processed) its counts and result zip. */
export interface BulkWriteJob {
  readonly id: string;
  readonly serial: number;
  readonly operation: 'insert' | 'update' | 'upsert';
  readonly ignoreEmpty: boolean;
  readonly table: ZohoModuleTable;
  readonly findBy: string | undefined;
  readonly mappings: readonly Mapping[];
  readonly file: UploadedFile;
  readonly createdAtMs: number;
  readonly createdTime: number;
  readonly delayMs: number;
  readonly callback?: { readonly url: string } | undefined;
  processed?: {
    readonly state: 'COMPLETED' | 'FAILED';
    readonly counts: { added: number; updated: number; skipped: number; total: number };
    readonly zip: Uint8Array;
    readonly csvName: string;
  };
}

/** Validates a create-job request against the module and file; throws Zoho's 400 errors. */
export function checkWriteJob(
  body: CreateWriteJobBody,
  store: ZohoStore,
  files: ReadonlyMap<string, UploadedFile>,
): { table: ZohoModuleTable; file: UploadedFile; mappings: Mapping[]; findBy: string | undefined } {
  if (body.resource.length > 1) {
    throw new ZohoApiError(400, 'NOT_SUPPORTED', 'the emulator imports one resource (no parent-child) per job');
  }
  const resource = body.resource[0]!;
  const table = store.module(resource.module.api_name);
  if (!table) {
    throw new ZohoApiError(400, 'MODULE_NOT_AVAILABLE', 'the module is not available for bulk write', {
      api_name: resource.module.api_name,
    });
  }
  const file = files.get(resource.file_id);
  if (!file)
    throw new ZohoApiError(400, 'INVALID_FILE_ID', 'the file id given seems to be invalid', {
      file_id: resource.file_id,
    });
  if ((body.operation === 'update' || body.operation === 'upsert') && resource.find_by === undefined) {
    throw new ZohoApiError(400, 'MANDATORY_NOT_FOUND', 'Required key find_by is not available', {
      api_name: 'find_by',
    });
  }
  const mappings: Mapping[] = (resource.field_mappings ?? file.header.map((h, index) => ({ api_name: h, index }))).map(
    (m) => ({ ...m, index: m.index ?? -1 }),
  );
  if (mappings.length > 200) {
    throw new ZohoApiError(400, 'HEADER_LIMIT_EXCEEDED', 'more than 200 fields mapped', { limit: 200 });
  }
  for (const m of mappings) {
    const field = table.fields.get(m.api_name.toLowerCase());
    if (!field || field.read_only) {
      throw new ZohoApiError(400, 'INVALID_FIELD', 'the field given seems to be invalid or read-only', {
        api_name: m.api_name,
      });
    }
    if (m.index >= file.header.length || (m.index < 0 && m.default_value == null)) {
      throw new ZohoApiError(400, 'COLUMN_INDEX_NOT_FOUND', 'the column index given is not in the file', {
        api_name: m.api_name,
        index: m.index,
      });
    }
  }
  const findBy = resource.find_by;
  if (findBy !== undefined && findBy !== 'id') {
    const field = table.fields.get(findBy.toLowerCase());
    if (!field?.unique) {
      throw new ZohoApiError(400, 'INVALID_DATA', 'find_by must be id or a unique field', { api_name: findBy });
    }
    if (!mappings.some((m) => m.api_name.toLowerCase() === findBy.toLowerCase())) {
      throw new ZohoApiError(400, 'MANDATORY_FIELDS_NOT_MAPPED', 'the find_by field is not mapped', {
        api_name: findBy,
      });
    }
  }
  return { table, file, mappings, findBy };
}

/**
 * The job's state at `nowMs`: ADDED, then IN PROGRESS (spelled INPROGRESS on odd jobs, as some samples do), each for
 * `delayMs` (the emulator's current job delay, so a test can hold a job and then release it).
 */
export function writeJobState(job: BulkWriteJob, nowMs: number, delayMs: number = job.delayMs): string {
  if (job.processed) return job.processed.state;
  const elapsed = nowMs - job.createdAtMs;
  if (elapsed < delayMs) return 'ADDED';
  if (elapsed < 2 * delayMs) return job.serial % 2 === 1 ? 'INPROGRESS' : 'IN PROGRESS';
  return 'DUE';
}

/**
 * Applies every row of the job to the store and builds its result zip: the first three mapped columns as uploaded,
 * then STATUS, RECORD_ID and ERRORS (`CODE-Field`).
 */
export function processWriteJob(
  job: BulkWriteJob,
  store: ZohoStore,
  options: { failAfterRecords?: number | undefined; shuffle?: SeededRandom | undefined },
): NonNullable<BulkWriteJob['processed']> {
  const counts = { added: 0, updated: 0, skipped: 0, total: job.file.rows.length };
  const echo = [...job.mappings]
    .filter((m) => m.index >= 0)
    .sort((a, b) => a.index - b.index)
    .slice(0, 3);
  const out: string[][] = [];
  let failed = false;
  job.file.rows.forEach((row, n) => {
    const echoed = echo.map((m) => row[m.index] ?? '');
    if (options.failAfterRecords !== undefined && n >= options.failAfterRecords) {
      failed = true;
      out.push([...echoed, 'UNPROCESSED', '', '']);
      return;
    }
    try {
      const { status, record } = applyRow(job, store, row);
      if (status === 'ADDED') counts.added += 1;
      else counts.updated += 1;
      out.push([...echoed, status, record.id, '']);
    } catch (error) {
      if (!(error instanceof ZohoRecordError)) throw error;
      counts.skipped += 1;
      out.push([...echoed, 'SKIPPED', '', `${error.zohoCode}-${error.field || job.findBy || ''}`]);
    }
  });
  const rows = options.shuffle ? options.shuffle.shuffle(out) : out;
  const header = [...echo.map((m) => m.api_name), 'STATUS', 'RECORD_ID', 'ERRORS'];
  const csvName = `${job.table.definition.api_name}-${job.file.name}`;
  const csv = stringify([header, ...rows]);
  const zip = zipSync({ [csvName]: strToU8(csv) });
  return { state: failed ? 'FAILED' : 'COMPLETED', counts, zip, csvName };
}

function applyRow(
  job: BulkWriteJob,
  store: ZohoStore,
  row: readonly string[],
): { status: 'ADDED' | 'UPDATED'; record: ZohoRecord } {
  const values = new Map<string, StoredValue>();
  let findValue: StoredValue = null;
  for (const m of job.mappings) {
    const field = job.table.fields.get(m.api_name.toLowerCase())!;
    let cell = m.index >= 0 ? (row[m.index] ?? '') : '';
    if (cell === '' && m.default_value != null) cell = textOf(m.default_value.value ?? '');
    const value = valueFromCsv(field, cell, m.format, store.orgOffset);
    if (job.findBy !== undefined && field.api_name.toLowerCase() === job.findBy.toLowerCase()) findValue = value;
    if (value === null && job.ignoreEmpty) continue;
    values.set(field.api_name, value);
  }
  let existing: ZohoRecord | undefined;
  if (job.findBy === 'id') {
    const idCell = job.mappings.find((m) => m.api_name === 'id');
    existing = idCell ? job.table.records.get(row[idCell.index] ?? '') : undefined;
  } else if (job.findBy !== undefined) {
    if (findValue === null) {
      throw new ZohoRecordError('MANDATORY_NOT_FOUND', 'required field not found', { api_name: job.findBy });
    }
    existing = store.findBy(job.table, job.findBy, findValue);
  }
  if (job.operation === 'insert') {
    if (existing) throw new ZohoRecordError('DUPLICATE_DATA', 'duplicate data', { api_name: job.findBy ?? '' });
    return { status: 'ADDED', record: store.insertStored(job.table, values) };
  }
  if (existing) return { status: 'UPDATED', record: store.updateStored(job.table, existing.id, values) };
  if (job.operation === 'update') {
    throw new ZohoRecordError('RESOURCE_NOT_FOUND', 'record not found', { api_name: job.findBy ?? 'id' });
  }
  return { status: 'ADDED', record: store.insertStored(job.table, values) };
}
