import { createReadStream } from 'node:fs';
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import type { Logger } from 'pino';
import { formatFieldValue, parseFieldValue, RowError, type StoredValue } from './field-codec.js';
import { type EmulatorStore, ID, type ObjectTable } from './emulator-store.js';
import { normaliseSalesforceId } from './salesforce-id.js';
import { removeFile } from './upload-spool.js';

export const INGEST_OPERATIONS = ['insert', 'update', 'upsert', 'delete', 'hardDelete'] as const;
export type IngestOperation = (typeof INGEST_OPERATIONS)[number];
export type JobState = 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';

/** Column delimiters of Bulk API 2.0 and the characters they stand for. */
export const COLUMN_DELIMITERS = {
  COMMA: ',',
  BACKQUOTE: '`',
  CARET: '^',
  PIPE: '|',
  SEMICOLON: ';',
  TAB: '\t',
} as const;
export type ColumnDelimiter = keyof typeof COLUMN_DELIMITERS;
export type LineEnding = 'LF' | 'CRLF';

/** Settings shared by ingest and query jobs. */
export interface JobBase {
  readonly id: string;
  readonly object: string;
  readonly createdById: string;
  readonly createdDate: number;
  readonly apiVersion: string;
  readonly lineEnding: LineEnding;
  readonly columnDelimiter: ColumnDelimiter;
  state: JobState;
  systemModstamp: number;
}

/** One Bulk API 2.0 ingest job and everything it accumulates (upload, results). */
export interface IngestJob extends JobBase {
  readonly kind: 'ingest';
  readonly operation: IngestOperation;
  readonly externalIdFieldName: string | undefined;
  /** A small upload (multipart create) kept in memory... */
  upload: Buffer[];
  /** ...or a PUT upload spooled to a temp file (see UploadSpool); removed once the job has read it. */
  uploadFile: string | undefined;
  uploadBytes: number;
  uploaded: boolean;
  numberRecordsProcessed: number;
  numberRecordsFailed: number;
  errorMessage: string | undefined;
  totalProcessingTime: number;
  /** Header line of the result files (the uploaded column names, as sent). */
  columns: string[];
  /** How each column maps to the object (set once the header is read). */
  columnPlan: readonly Column[];
  /**
   * Successful rows as ids + created flags only: the CSV is rendered from the stored records when downloaded
   * (Salesforce echoes stored values too), which keeps a 1M-record job to a few MB.
   */
  successIds: string[];
  successCreated: boolean[];
  /** Failed and unprocessed rows as ready CSV chunks (their original values must be echoed as sent). */
  failed: string[];
  unprocessed: string[];
}

/** What a running ingest job needs from the emulator. */
export interface IngestContext {
  readonly store: EmulatorStore;
  readonly batchSize: number;
  readonly logger: Logger;
  /** Read before every internal batch, so faults set while a job runs apply to it. */
  readonly jobDelayMs: () => number;
  readonly failJobAfterRecords: () => number | undefined;
  readonly onBatch: (records: number) => void;
}

/** How one uploaded column maps to the object. */
export type Column =
  | { readonly kind: 'field'; readonly index: number }
  | { readonly kind: 'id' }
  | {
      readonly kind: 'relationship';
      readonly index: number;
      readonly parent: ObjectTable;
      readonly parentField: number;
    }
  | { readonly kind: 'ignored' };

/** Drops a job's upload (memory or temp file); the job can no longer be processed. */
export function discardUpload(job: IngestJob): void {
  job.upload = [];
  if (job.uploadFile !== undefined) removeFile(job.uploadFile);
  job.uploadFile = undefined;
}

/** The whole job fails (Salesforce: `InvalidBatch : ...`), e.g. on an unknown header column. */
class JobFailure extends Error {}

function planColumns(job: IngestJob, table: ObjectTable, store: EmulatorStore, header: readonly string[]): Column[] {
  const seen = new Set<string>();
  return header.map((name) => {
    const lower = name.toLowerCase();
    if (seen.has(lower)) throw new JobFailure(`InvalidBatch : Duplicate field name: ${name}`);
    seen.add(lower);
    if (lower === 'id') return { kind: 'id' };
    if (job.operation === 'delete' || job.operation === 'hardDelete') return { kind: 'ignored' };
    const dot = name.indexOf('.');
    if (dot < 0) {
      const index = table.fieldIndex(name);
      if (index === undefined) throw new JobFailure(`InvalidBatch : Field name not found : ${name}`);
      return { kind: 'field', index };
    }
    // Relationship column: Account.External_Id__c, or polymorphic Type:Rel.Field.
    let relationship = name.slice(0, dot);
    let parentName: string | undefined;
    const colon = relationship.indexOf(':');
    if (colon >= 0) {
      parentName = relationship.slice(0, colon);
      relationship = relationship.slice(colon + 1);
    }
    const index = table.definition.fields.findIndex(
      (f) => f.relationshipName?.toLowerCase() === relationship.toLowerCase(),
    );
    const field = table.definition.fields[index];
    const parent = store.table(parentName ?? field?.referenceTo[0] ?? '');
    const parentField = parent?.fieldIndex(name.slice(dot + 1));
    if (!field || !parent || parentField === undefined) {
      throw new JobFailure(`InvalidBatch : Field name not found : ${name}`);
    }
    const pf = parent.field(parentField);
    if (!pf.externalId && !pf.idLookup) {
      throw new JobFailure(
        `InvalidBatch : Field name not found : ${name} (${parent.definition.name}.${pf.name} is neither an External ID nor an idLookup field)`,
      );
    }
    return { kind: 'relationship', index, parent, parentField };
  });
}

interface Parsed {
  readonly values: Map<number, StoredValue>;
}

/** Turns one CSV row into field values; empty = leave alone, `#N/A` = null. */
function parseRow(
  row: readonly string[],
  columns: readonly Column[],
  table: ObjectTable,
  forInsert: boolean,
): Parsed | RowError {
  const values = new Map<number, StoredValue>();
  for (let c = 0; c < columns.length; c++) {
    const col = columns[c]!;
    const raw = row[c] ?? '';
    if (raw === '' || col.kind === 'id' || col.kind === 'ignored') continue;
    if (raw === '#N/A') {
      if (col.kind === 'field' && !forInsert && !table.field(col.index).updateable) {
        return notWritable(table, col.index);
      }
      values.set(col.index, null);
      continue;
    }
    if (col.kind === 'relationship') {
      const found = col.parent.findBy(col.parentField, raw);
      const pf = col.parent.field(col.parentField);
      if (found === undefined) {
        return new RowError(
          'INVALID_FIELD',
          `Foreign key external ID: ${raw} not found for field ${pf.name} in entity ${col.parent.definition.name}`,
        );
      }
      if (found === 'ambiguous') {
        return new RowError(
          'INVALID_FIELD',
          `Foreign key external ID: ${raw} matches more than one record for field ${pf.name} in entity ${col.parent.definition.name}`,
        );
      }
      values.set(col.index, found);
      continue;
    }
    const field = table.field(col.index);
    if (forInsert ? !field.createable : !field.updateable) return notWritable(table, col.index);
    let v = parseFieldValue(field, raw);
    if (v instanceof RowError) return v;
    if (field.type === 'reference') {
      const id = normaliseSalesforceId(raw);
      if (!id) return new RowError('MALFORMED_ID', `${field.label}: id value of incorrect type: ${raw}`, [field.name]);
      v = id;
    }
    values.set(col.index, v);
  }
  return { values };
}

function notWritable(table: ObjectTable, index: number): RowError {
  const f = table.field(index);
  return new RowError(
    'INVALID_FIELD_FOR_INSERT_UPDATE',
    `Unable to create/update fields: ${f.name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
    [f.name],
  );
}

/**
 * Runs an UploadComplete job to its end: InProgress, then internal batches of `batchSize` records (yielding to the
 * event loop between them), then JobComplete or Failed. Never throws; problems end up in the job.
 */
export async function runIngestJob(job: IngestJob, ctx: IngestContext): Promise<void> {
  const started = Date.now();
  const table = ctx.store.table(job.object);
  const delimiter = COLUMN_DELIMITERS[job.columnDelimiter];
  const recordDelimiter = job.lineEnding === 'CRLF' ? '\r\n' : '\n';
  const csv = (rows: string[][]) =>
    stringify(rows, { delimiter, record_delimiter: recordDelimiter, quoted: true, quoted_empty: true });
  await yieldToEventLoop();
  if (job.state !== 'UploadComplete') {
    discardUpload(job);
    return;
  }
  job.state = 'InProgress';
  job.systemModstamp = Date.now();
  // The job takes its upload over: read from the temp file in 1 MiB chunks, parsed as they come.
  const uploadFile = job.uploadFile;
  const upload: AsyncIterable<Buffer> | Iterable<Buffer> =
    uploadFile === undefined ? job.upload : createReadStream(uploadFile, { highWaterMark: 1 << 20 });
  job.upload = [];
  job.uploadFile = undefined;
  // The parser is driven by hand (write a chunk, read its records synchronously): a for-await over the stream
  // costs a promise per record, a third of the parse time at 1M records.
  const parser = parse({ delimiter, record_delimiter: recordDelimiter, bom: true, skip_empty_lines: true });
  let parseError: Error | undefined;
  parser.on('error', (error: Error) => {
    parseError = error;
  });
  let columns: Column[] | undefined;
  let pending: string[][] = [];
  let failing = false;
  const seenKeys = new Set<string>();
  let keyColumn = -1;

  const take = (): void => {
    let record: string[] | null;
    while ((record = parser.read() as string[] | null) !== null) {
      if (columns === undefined) {
        job.columns = record;
        columns = planColumns(job, table!, ctx.store, record);
        job.columnPlan = columns;
        const keyName = job.operation === 'upsert' ? (job.externalIdFieldName ?? 'Id') : 'Id';
        keyColumn = record.findIndex((h) => h.toLowerCase() === keyName.toLowerCase());
        if (job.operation !== 'insert' && keyColumn < 0) {
          throw new JobFailure(`InvalidBatch : Field name not found : ${keyName}`);
        }
        continue;
      }
      pending.push(record);
    }
    if (parseError) throw parseError;
  };

  const flush = async (rows: string[][]): Promise<void> => {
    const delay = ctx.jobDelayMs();
    if (delay > 0) await sleep(delay);
    if (job.state === 'Aborted') return;
    const failed: string[][] = [];
    const unprocessed: string[][] = [];
    const limit = ctx.failJobAfterRecords();
    // Duplicate external ids within one internal batch all fail, as on Salesforce; across batches the later fail.
    const batchKeys = new Map<string, number>();
    if (job.operation === 'upsert' && keyColumn >= 0) {
      for (const r of rows) {
        const k = (r[keyColumn] ?? '').toLowerCase();
        if (k !== '') batchKeys.set(k, (batchKeys.get(k) ?? 0) + 1);
      }
    }
    for (const row of rows) {
      if (failing || (limit !== undefined && job.numberRecordsProcessed >= limit)) {
        failing = true;
        unprocessed.push(row);
        continue;
      }
      job.numberRecordsProcessed++;
      const outcome = applyRow(job, table!, ctx.store, columns!, row, keyColumn, batchKeys, seenKeys);
      if (outcome instanceof RowError) {
        job.numberRecordsFailed++;
        failed.push(['', outcome.toString(), ...row]);
      } else {
        job.successIds.push(outcome.id);
        job.successCreated.push(outcome.created);
      }
    }
    if (failed.length) job.failed.push(csv(failed));
    if (unprocessed.length) job.unprocessed.push(csv(unprocessed));
    ctx.onBatch(rows.length);
    await yieldToEventLoop();
  };

  const flushFull = async (): Promise<void> => {
    while (pending.length >= ctx.batchSize && job.state !== 'Aborted') {
      const rows = pending.slice(0, ctx.batchSize);
      pending = pending.slice(ctx.batchSize);
      await flush(rows);
    }
  };

  try {
    for await (const chunk of upload) {
      if ((job.state as JobState) === 'Aborted') break;
      parser.write(chunk);
      take();
      await flushFull();
    }
    if ((job.state as JobState) !== 'Aborted') {
      parser.end();
      while (!parser.readableEnded) {
        take();
        if (parser.destroyed) throw parseError ?? new Error('the CSV parser stopped unexpectedly');
        await yieldToEventLoop();
      }
      take();
      await flushFull();
      if (pending.length > 0 && (job.state as JobState) !== 'Aborted') await flush(pending);
    }
    if ((job.state as JobState) !== 'Aborted') {
      if (failing) {
        job.state = 'Failed';
        job.errorMessage = `Failed : job stopped after ${job.numberRecordsProcessed} records (fault failJobAfterRecords); the rest are in unprocessedrecords`;
      } else {
        job.state = 'JobComplete';
      }
    }
  } catch (error) {
    job.state = 'Failed';
    job.errorMessage = error instanceof JobFailure ? error.message : `InvalidBatch : ${(error as Error).message}`;
    ctx.logger.debug({ jobId: job.id, err: error }, 'ingest job failed');
  } finally {
    parser.destroy();
    if (uploadFile !== undefined) removeFile(uploadFile);
  }
  job.totalProcessingTime = Date.now() - started;
  job.systemModstamp = Date.now();
  ctx.logger.debug(
    { jobId: job.id, state: job.state, processed: job.numberRecordsProcessed, failed: job.numberRecordsFailed },
    'ingest job finished',
  );
}

/**
 * CSV chunks of `successfulResults` (header first), rendered from the stored records: `sf__Id`, `sf__Created`, then
 * each uploaded column with the value the record holds (relationship columns show the parent's field).
 */
export function* successfulResultChunks(job: IngestJob, store: EmulatorStore): Generator<string> {
  const delimiter = COLUMN_DELIMITERS[job.columnDelimiter];
  const recordDelimiter = job.lineEnding === 'CRLF' ? '\r\n' : '\n';
  const original = job.columns.map((c) =>
    c.includes(delimiter) || c.includes('"') ? `"${c.replace(/"/g, '""')}"` : c,
  );
  yield `${['"sf__Id"', '"sf__Created"', ...original].join(delimiter)}${recordDelimiter}`;
  const table = store.table(job.object);
  if (!table) return;
  const plan = job.columnPlan;
  const CHUNK = 2000;
  for (let start = 0; start < job.successIds.length; start += CHUNK) {
    const out: string[][] = [];
    const stop = Math.min(job.successIds.length, start + CHUNK);
    for (let i = start; i < stop; i++) {
      const id = job.successIds[i]!;
      const row = table.rows.get(id);
      const line = [id, job.successCreated[i] ? 'true' : 'false'];
      for (const col of plan) {
        if (col.kind === 'id') line.push(id);
        else if (!row || col.kind === 'ignored') line.push('');
        else if (col.kind === 'field') line.push(formatFieldValue(table.field(col.index), row[col.index] ?? null));
        else {
          const parentId = row[col.index];
          const parent = typeof parentId === 'string' ? col.parent.rows.get(parentId) : undefined;
          line.push(parent ? formatFieldValue(col.parent.field(col.parentField), parent[col.parentField] ?? null) : '');
        }
      }
      out.push(line);
    }
    yield stringify(out, { delimiter, record_delimiter: recordDelimiter, quoted: true, quoted_empty: true });
  }
}

function applyRow(
  job: IngestJob,
  table: ObjectTable,
  store: EmulatorStore,
  columns: readonly Column[],
  row: readonly string[],
  keyColumn: number,
  batchKeys: ReadonlyMap<string, number>,
  seenKeys: Set<string>,
): { id: string; created: boolean } | RowError {
  if (row.length !== columns.length) {
    return new RowError('INVALID_FIELD', `Row has ${row.length} columns but the header has ${columns.length}`);
  }
  switch (job.operation) {
    case 'insert': {
      const parsed = parseRow(row, columns, table, true);
      if (parsed instanceof RowError) return parsed;
      const id = store.insertRow(table, parsed.values);
      return id instanceof RowError ? id : { id, created: true };
    }
    case 'update':
    case 'delete':
    case 'hardDelete': {
      const raw = row[keyColumn] ?? '';
      if (raw === '') {
        return new RowError(
          'MISSING_ARGUMENT',
          `Id not specified in an ${job.operation === 'update' ? 'update' : 'delete'} call`,
        );
      }
      const id = normaliseSalesforceId(raw);
      if (!id || !id.startsWith(table.definition.keyPrefix)) {
        return new RowError('MALFORMED_ID', `${table.definition.name} ID: id value of incorrect type: ${raw}`, ['Id']);
      }
      if (job.operation !== 'update') {
        const problem = store.deleteRow(table, id, job.operation === 'hardDelete');
        return problem ?? { id, created: false };
      }
      const parsed = parseRow(row, columns, table, false);
      if (parsed instanceof RowError) return parsed;
      const problem = store.updateRow(table, id, parsed.values);
      return problem ?? { id, created: false };
    }
    case 'upsert': {
      const keyName = job.externalIdFieldName ?? 'Id';
      const raw = row[keyColumn] ?? '';
      const byId = keyName.toLowerCase() === 'id';
      let existing: string | undefined;
      if (raw === '') {
        if (!byId) return new RowError('MISSING_ARGUMENT', `${keyName} not specified`);
      } else {
        const k = raw.toLowerCase();
        if ((batchKeys.get(k) ?? 0) > 1 || seenKeys.has(k)) {
          return new RowError('DUPLICATE_VALUE', `Duplicate external id specified: ${raw}`, [keyName]);
        }
        seenKeys.add(k);
        const keyIndex = byId ? ID : table.fieldIndex(keyName)!;
        const found = table.findBy(keyIndex, raw);
        if (found === 'ambiguous') {
          return new RowError(
            'DUPLICATE_EXTERNAL_ID',
            `${keyName}: more than one record found for external id field: ${raw}`,
            [keyName],
          );
        }
        if (byId && found === undefined) {
          return new RowError('INVALID_CROSS_REFERENCE_KEY', `invalid cross reference id`, ['Id']);
        }
        existing = found;
      }
      const parsed = parseRow(row, columns, table, existing === undefined);
      if (parsed instanceof RowError) return parsed;
      if (existing === undefined) {
        const id = store.insertRow(table, parsed.values);
        return id instanceof RowError ? id : { id, created: true };
      }
      // The key field itself is not rewritten on a match (it may be non-updateable, e.g. Id).
      if (!byId) parsed.values.delete(table.fieldIndex(keyName)!);
      const problem = store.updateRow(table, existing, parsed.values);
      return problem ?? { id: existing, created: false };
    }
  }
}
