import type { OutboundRecord, Sink, WriteOptions, WriteResult } from '../connector.js';
import type { JobLedger, JobLedgerEntry } from '../../model/job-ledger.js';
import type { StreamRef } from '../../model/stream.js';
import type { Logger } from '../../util/logger.js';
import { silentLogger } from '../../util/logger.js';
import type { BulkClient, IngestOperation, IngestResultFile, PollOptions } from './bulk-client.js';
import { RESUME_ACTIONS } from './bulk-job-state.js';
import { toCsvValue } from './field-types.js';
import { IngestUpload } from './ingest-upload.js';
import { nullMarkerRejection } from './null-marker.js';
import { PendingRecords } from './pending-records.js';
import { buildKeyLookupQuery } from './soql.js';

/** The three kinds of job a write may open. */
type JobKind = 'upsert' | 'update' | 'delete';

const OPERATION: Readonly<Record<JobKind, IngestOperation>> = { upsert: 'upsert', update: 'update', delete: 'delete' };

/** Up to this many Id -> key pairs of a delete job are kept in the ledger so that a resumed job reports keys. */
const LEDGER_KEYS_LIMIT = 10_000;
/** Results are yielded in arrays of at most this many (8,000: the write stage applies one array in two lanes of 2,000-result chunks). */
const RESULT_BATCH = 8_000;
/** Keys per lookup query when deletes come without a native id. */
const LOOKUP_CHUNK = 300;

export interface SalesforceSinkSettings {
  readonly maxUploadBytes: number;
  readonly poll: Omit<PollOptions, 'signal'>;
  readonly queryPageSize: number;
}

/** What the ledger keeps about a job (`JobLedgerEntry.detail`). */
type JobDetail = {
  readonly sfObject: string;
  readonly kind: JobKind;
  readonly keyField: string;
  readonly apiVersion: string;
  readonly state: string;
  readonly keysById?: Readonly<Record<string, string>>;
};

/** The job of one kind being uploaded right now (one job takes exactly one upload). */
interface OpenJob {
  readonly kind: JobKind;
  readonly jobId: string;
  readonly detail: JobDetail;
  readonly upload: IngestUpload;
  /** Column name -> cell index of `upload.columns`. */
  readonly index: ReadonlyMap<string, number>;
  readonly pending: PendingRecords;
  /** Id -> key for delete jobs (kept in the ledger when small, so a resumed job reports keys). */
  readonly idToKey?: Map<string, string>;
}

/** A job that was uploaded and closed and whose results are still to be read. */
interface SubmittedJob {
  readonly jobId: string;
  readonly kind: JobKind;
  readonly pending: PendingRecords;
  readonly keysById?: Readonly<Record<string, string>>;
}

/**
 * Writes to Salesforce with Bulk API 2.0. A `write` streams its batches into as few jobs as possible: upserts on
 * the external ID field, updates by Id (records that carry `nativeId`: created in Salesforce, never synced; the
 * update also sets the external ID), and deletes by Id. Each job is created and recorded in the ledger when its first
 * record arrives, and its CSV is PUT as a chunked body while the batches are read (nothing holds all rows); when the
 * next row would pass `maxUploadBytes` the upload ends, the job is closed and a new job takes the rest (Salesforce
 * takes exactly one upload per job). The header names every stream field (plus the key field, plus `Id` for updates),
 * known up front: a record fills the cells of the fields it sets, an empty cell leaves a field alone and `#N/A` sets
 * null. A record whose value is the literal text `#N/A` is not sent (Salesforce would erase the field): it is
 * rejected with a reason that says so (see null-marker.ts). Once the input is read, every job is polled and its three result files are matched to every record sent:
 * one WriteResult per record.
 *
 * @example
 * ```ts
 * for await (const results of sink.write(stream, batches, { ledger })) for (const r of results) console.log(r.key, r.status)
 * ```
 */
export class SalesforceSink implements Sink {
  readonly #bulk: BulkClient;
  readonly #settings: SalesforceSinkSettings;
  readonly #logger: Logger;

  constructor(bulk: BulkClient, settings: SalesforceSinkSettings, logger: Logger = silentLogger()) {
    this.#bulk = bulk;
    this.#settings = settings;
    this.#logger = logger;
  }

  async *write(
    stream: StreamRef,
    batches: AsyncIterable<readonly OutboundRecord[]>,
    options: WriteOptions,
  ): AsyncGenerator<readonly WriteResult[]> {
    const open = new Map<JobKind, OpenJob>();
    const submitted: SubmittedJob[] = [];
    const deletesByKey: string[] = [];
    // Records refused before upload (a literal `#N/A` would erase the field): one rejected result each.
    const refused: WriteResult[] = [];
    const signal = options.signal;
    const columns: Record<JobKind, string[]> = {
      upsert: unique([stream.keyField, ...stream.fields]),
      update: unique(['Id', stream.keyField, ...stream.fields]),
      delete: ['Id'],
    };
    const add = async (
      kind: JobKind,
      address: Readonly<Record<string, string>>,
      fields: OutboundRecord['fields'],
      match: string,
      key: string,
    ): Promise<void> => {
      let job = open.get(kind);
      // A field outside the stream's (the engine only sends stream fields, so this is a safety net): the header
      // cannot change mid-upload, so this job ends and the next one names the field too.
      const extra =
        kind === 'delete' ? [] : Object.keys(fields).filter((f) => !(f in address) && !columns[kind].includes(f));
      if (extra.length > 0) {
        this.#logger.warn(
          { stream: stream.name, fields: extra },
          'record sets fields outside the stream; starting a job whose header names them',
        );
        if (job) submitted.push(await this.#close(stream, job, options.ledger, signal));
        open.delete(kind);
        job = undefined;
        columns[kind] = unique([...columns[kind], ...extra]);
      }
      job ??= await this.#open(stream, kind, columns[kind], options.ledger, signal);
      open.set(kind, job);
      const cells = encodeCells(job.index, address, fields);
      if (!(await job.upload.add(cells))) {
        submitted.push(await this.#close(stream, job, options.ledger, signal));
        job = await this.#open(stream, kind, columns[kind], options.ledger, signal);
        open.set(kind, job);
        // A fresh upload takes any row that fits alone (or throws RecordTooLargeError).
        await job.upload.add(cells);
      }
      job.pending.add(match, key);
      if (job.idToKey && job.idToKey.size < LEDGER_KEYS_LIMIT) job.idToKey.set(match, key);
    };

    try {
      for await (const batch of batches) {
        for (const record of batch) {
          const refusal =
            record.op === 'delete' ? undefined : nullMarkerRejection(stream.keyField, record.key, record.fields);
          if (refusal !== undefined) {
            refused.push(
              Object.freeze({
                key: record.key,
                status: 'rejected' as const,
                reason: refusal,
                ...(record.nativeId ? { nativeId: record.nativeId } : {}),
              }),
            );
          } else if (record.op === 'delete') {
            if (record.nativeId) await add('delete', { Id: record.nativeId }, {}, record.nativeId, record.key);
            else deletesByKey.push(record.key);
          } else if (record.nativeId) {
            await add(
              'update',
              { Id: record.nativeId, [stream.keyField]: record.key },
              record.fields,
              record.nativeId,
              record.key,
            );
          } else {
            await add('upsert', { [stream.keyField]: record.key }, record.fields, record.key, record.key);
          }
        }
      }

      // Salesforce deletes by Id only: find the Ids of keys the engine could not name, in small lookup queries.
      const gone: WriteResult[] = [];
      for (let i = 0; i < deletesByKey.length; i += LOOKUP_CHUNK) {
        const keys = deletesByKey.slice(i, i + LOOKUP_CHUNK);
        const found = new Map<string, string>();
        const rows = this.#bulk.query(buildKeyLookupQuery(stream.entity, stream.keyField, keys), {
          operation: 'query',
          pageSize: this.#settings.queryPageSize,
          poll: { ...this.#settings.poll, ...(signal ? { signal } : {}) },
          object: stream.entity,
        });
        for await (const row of rows) found.set(row[stream.keyField] ?? '', row['Id'] ?? '');
        for (const key of keys) {
          const id = found.get(key);
          if (id) await add('delete', { Id: id }, {}, id, key);
          else
            gone.push({
              key,
              status: 'deleted',
              reason: `no ${stream.entity} has ${stream.keyField} = ${key}; nothing to delete`,
            });
        }
      }
      for (const job of [...open.values()]) {
        open.delete(job.kind);
        submitted.push(await this.#close(stream, job, options.ledger, signal));
      }
      if (gone.length > 0) yield gone;
      if (refused.length > 0) yield refused;
    } catch (error) {
      // Uploads still streaming are cut off: their jobs stay Open in the ledger and the next run's resume aborts them.
      const reason = error instanceof Error ? error : new Error(String(error));
      for (const job of open.values()) await job.upload.abort(reason);
      throw error;
    }
    for (const job of submitted) {
      yield* this.#finish(stream, job.jobId, job.kind, options.ledger, job.pending, job.keysById, signal);
    }
  }

  async *resume(stream: StreamRef, options: WriteOptions): AsyncGenerator<readonly WriteResult[]> {
    const signal = options.signal;
    const open: readonly JobLedgerEntry[] = await options.ledger.listOpen('crm', stream.name);
    for (const entry of open) {
      const detail = entry.detail as Partial<JobDetail>;
      const kind: JobKind =
        detail.kind ?? (entry.operation === 'delete' ? 'delete' : entry.operation === 'update' ? 'update' : 'upsert');
      const info = await this.#bulk.getJob('ingest', entry.jobId, signal);
      const action = RESUME_ACTIONS[info ? info.state : 'NotFound'];
      this.#logger.info(
        { stream: stream.name, jobId: entry.jobId, state: info?.state ?? 'NotFound', action },
        'resuming salesforce job',
      );
      if (action === 'abandon') {
        await options.ledger.finish(entry.jobId, 'abandoned');
        continue;
      }
      if (action === 'abort') {
        // Never closed: Salesforce processed nothing, and the engine sends these records again.
        await this.#bulk.abortIngestJob(entry.jobId, signal);
        await options.ledger.finish(entry.jobId, 'abandoned');
        continue;
      }
      yield* this.#finish(stream, entry.jobId, kind, options.ledger, undefined, detail.keysById, signal);
    }
  }

  /**
   * Starts a job: create, record in the ledger (before any data goes up, so a crash from here on resumes this job
   * instead of sending its data again), then open its streamed upload.
   */
  async #open(
    stream: StreamRef,
    kind: JobKind,
    columns: readonly string[],
    ledger: JobLedger,
    signal: AbortSignal | undefined,
  ): Promise<OpenJob> {
    const operation = OPERATION[kind];
    const info = await this.#bulk.createIngestJob(
      { object: stream.entity, operation, ...(kind === 'upsert' ? { externalIdFieldName: stream.keyField } : {}) },
      signal,
    );
    const detail: JobDetail = {
      sfObject: stream.entity,
      kind,
      keyField: stream.keyField,
      apiVersion: this.#bulk.apiVersion,
      state: 'Open',
    };
    await ledger.record({ jobId: info.id, system: 'crm', object: stream.name, operation, detail });
    const upload = new IngestUpload({
      columns,
      maxBytes: this.#settings.maxUploadBytes,
      send: (body) => this.#bulk.uploadJobStream(info.id, body, signal),
    });
    return {
      kind,
      jobId: info.id,
      detail,
      upload,
      index: new Map(columns.map((c, i) => [c, i])),
      pending: new PendingRecords(),
      ...(kind === 'delete' ? { idToKey: new Map<string, string>() } : {}),
    };
  }

  /** Ends a job's upload (waiting for Salesforce's answer) and closes the job. */
  async #close(
    stream: StreamRef,
    job: OpenJob,
    ledger: JobLedger,
    signal: AbortSignal | undefined,
  ): Promise<SubmittedJob> {
    await job.upload.finish();
    const keysById = job.idToKey && job.idToKey.size === job.pending.size ? Object.fromEntries(job.idToKey) : undefined;
    const detail: JobDetail = { ...job.detail, state: 'Closing', ...(keysById ? { keysById } : {}) };
    await ledger.update(job.jobId, detail);
    await this.#bulk.closeIngestJob(job.jobId, signal);
    await ledger.update(job.jobId, { ...detail, state: 'UploadComplete' });
    this.#logger.info(
      { stream: stream.name, jobId: job.jobId, operation: OPERATION[job.kind], records: job.upload.recordCount },
      'salesforce job uploaded and closed',
    );
    return { jobId: job.jobId, kind: job.kind, pending: job.pending, ...(keysById ? { keysById } : {}) };
  }

  /** Waits for a closed job and yields one result per record; leaves the job open in the ledger when the wait times out. */
  async *#finish(
    stream: StreamRef,
    jobId: string,
    kind: JobKind,
    ledger: JobLedger,
    pending: PendingRecords | undefined,
    keysById: Readonly<Record<string, string>> | undefined,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<readonly WriteResult[]> {
    const outcome = await this.#bulk.waitForJob('ingest', jobId, {
      ...this.#settings.poll,
      ...(signal ? { signal } : {}),
    });
    if (outcome.kind === 'unknown') {
      this.#logger.warn(
        { stream: stream.name, jobId, lastState: outcome.lastState },
        'salesforce job still running after pollTimeoutMs; its results come from resume on the next run',
      );
      return;
    }
    const keyOf = (row: Record<string, string>): { key: string; match: string } => {
      const id = row['Id'] ?? row['sf__Id'] ?? '';
      const match = kind === 'upsert' ? (row[stream.keyField] ?? '') : id;
      const settled = pending?.settle(match);
      const key = settled ?? (kind === 'delete' ? (keysById?.[match] ?? '') : (row[stream.keyField] ?? ''));
      return { key, match };
    };
    const unprocessedReason = `job ${jobId} ended ${outcome.state} before processing this record${outcome.errorMessage ? `: ${outcome.errorMessage}` : ''}`;
    let batch: WriteResult[] = [];
    const files: IngestResultFile[] = ['successfulResults', 'failedResults', 'unprocessedrecords'];
    const counts = { created: 0, updated: 0, deleted: 0, rejected: 0, unprocessed: 0 };
    for (const file of files) {
      for await (const row of this.#bulk.ingestResults(jobId, file, signal)) {
        const { key, match } = keyOf(row);
        const nativeId = row['sf__Id'] || (kind === 'upsert' ? '' : match);
        let result: WriteResult;
        if (file === 'successfulResults') {
          const status = kind === 'delete' ? 'deleted' : row['sf__Created'] === 'true' ? 'created' : 'updated';
          result = { key, status, ...(nativeId ? { nativeId } : {}) };
        } else if (
          kind === 'delete' &&
          file === 'failedResults' &&
          (row['sf__Error'] ?? '').startsWith('ENTITY_IS_DELETED')
        ) {
          // Already deleted (a retried delete, or a user deleted it meanwhile): what the delete asked for holds, as a
          // delete by key of a key that no longer exists does.
          result = {
            key,
            status: 'deleted',
            reason: `already deleted in Salesforce (${row['sf__Error']})`,
            ...(nativeId ? { nativeId } : {}),
          };
        } else if (file === 'failedResults') {
          result = {
            key,
            status: 'rejected',
            reason: row['sf__Error'] ?? 'rejected without a reason',
            ...(nativeId ? { nativeId } : {}),
          };
        } else {
          result = { key, status: 'unprocessed', reason: unprocessedReason, ...(nativeId ? { nativeId } : {}) };
        }
        counts[result.status] += 1;
        batch.push(Object.freeze({ ...result, jobId }));
        if (batch.length >= RESULT_BATCH) {
          yield batch;
          batch = [];
        }
      }
    }
    if (pending) {
      for (const { match, key } of pending.drain()) {
        counts.unprocessed += 1;
        batch.push(
          Object.freeze({
            key,
            status: 'unprocessed',
            reason: `job ${jobId} (${outcome.state}) reported no result for this record`,
            jobId,
            ...(kind === 'upsert' ? {} : { nativeId: match }),
          }),
        );
        if (batch.length >= RESULT_BATCH) {
          yield batch;
          batch = [];
        }
      }
    }
    if (batch.length > 0) yield batch;
    // Only now, with every result handed over, is the job done.
    await ledger.finish(jobId, 'done');
    this.#logger.info(
      { stream: stream.name, jobId, state: outcome.state, ...counts },
      'salesforce job results applied',
    );
  }
}

/** CSV cells of one record in header order: the addressing columns, then field values encoded (`#N/A` for null), '' elsewhere. */
function encodeCells(
  index: ReadonlyMap<string, number>,
  address: Readonly<Record<string, string>>,
  fields: OutboundRecord['fields'],
): string[] {
  const cells = new Array<string>(index.size).fill('');
  for (const [name, value] of Object.entries(address)) cells[index.get(name)!] = value;
  for (const [name, value] of Object.entries(fields)) {
    if (name in address) continue;
    const i = index.get(name);
    if (i !== undefined) cells[i] = toCsvValue(value);
  }
  return cells;
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}
