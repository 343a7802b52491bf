import type { OutboundRecord, Sink, WriteOptions, WriteResult } from '../connector.js';
import type { JobLedger, JobLedgerEntry } from '../../model/job-ledger.js';
import type { StreamRef } from '../../model/stream.js';
import type { Logger } from '../../util/logger.js';
import { silentLogger } from '../../util/logger.js';
import type { BulkClient, IngestOperation, IngestResultFile, PollOptions } from './bulk-client.js';
import { RESUME_ACTIONS } from './bulk-job-state.js';
import { toCsvValue } from './field-types.js';
import { IngestCsvBuffer, type IngestRow } from './ingest-csv-buffer.js';
import { PendingRecords } from './pending-records.js';
import { buildKeyLookupQuery } from './soql.js';

/** The three kinds of job a write may open. */
type JobKind = 'upsert' | 'update' | 'delete';

const OPERATION: Readonly<Record<JobKind, IngestOperation>> = { upsert: 'upsert', update: 'update', delete: 'delete' };

/** Up to this many Id -> key pairs of a delete job are kept in the ledger so that a resumed job reports keys. */
const LEDGER_KEYS_LIMIT = 10_000;
/** Results are yielded in arrays of at most this many. */
const RESULT_BATCH = 2_000;
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

/** Records gathered for the next job of one kind (one job takes exactly one upload). */
interface Part {
  readonly kind: JobKind;
  readonly buffer: IngestCsvBuffer;
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
 * Writes to Salesforce with Bulk API 2.0. A `write` gathers all its batches into as few jobs as possible: upserts on
 * the external ID field, updates by Id (records that carry `nativeId`: created in Salesforce, never synced; the
 * update also sets the external ID), and deletes by Id; one job of each kind per `maxUploadBytes` of CSV (Salesforce
 * takes exactly one upload per job). Each job is recorded in the ledger before its upload, closed, polled, and its
 * three result files are matched to every record sent: one WriteResult per record.
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

  async *write(stream: StreamRef, batches: AsyncIterable<readonly OutboundRecord[]>, options: WriteOptions): AsyncGenerator<readonly WriteResult[]> {
    const parts = new Map<JobKind, Part>();
    const submitted: SubmittedJob[] = [];
    const deletesByKey: OutboundRecord[] = [];
    const signal = options.signal;
    const newPart = (kind: JobKind): Part => ({
      kind,
      buffer: new IngestCsvBuffer(this.#settings.maxUploadBytes),
      pending: new PendingRecords(),
      ...(kind === 'delete' ? { idToKey: new Map<string, string>() } : {}),
    });
    const add = async (kind: JobKind, row: IngestRow, match: string, key: string): Promise<void> => {
      let part = parts.get(kind) ?? newPart(kind);
      parts.set(kind, part);
      if (!part.buffer.add(row)) {
        // Salesforce takes one upload per job ("Found multiple contents for job"): a full part becomes its own job.
        submitted.push(await this.#submit(stream, part, options.ledger, signal));
        part = newPart(kind);
        parts.set(kind, part);
        part.buffer.add(row);
      }
      part.pending.add(match, key);
      if (part.idToKey && part.idToKey.size < LEDGER_KEYS_LIMIT) part.idToKey.set(match, key);
    };

    for await (const batch of batches) {
      for (const record of batch) {
        if (record.op === 'delete') {
          if (record.nativeId) await add('delete', { Id: record.nativeId }, record.nativeId, record.key);
          else deletesByKey.push(record);
        } else if (record.nativeId) {
          await add('update', encodeRow({ Id: record.nativeId, [stream.keyField]: record.key }, record.fields), record.nativeId, record.key);
        } else {
          await add('upsert', encodeRow({ [stream.keyField]: record.key }, record.fields), record.key, record.key);
        }
      }
    }

    // Salesforce deletes by Id only: find the Ids of keys the engine could not name, in small lookup queries.
    const gone: WriteResult[] = [];
    for (let i = 0; i < deletesByKey.length; i += LOOKUP_CHUNK) {
      const keys = deletesByKey.slice(i, i + LOOKUP_CHUNK).map((r) => r.key);
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
        if (id) await add('delete', { Id: id }, id, key);
        else gone.push({ key, status: 'deleted', reason: `no ${stream.entity} has ${stream.keyField} = ${key}; nothing to delete` });
      }
    }
    if (gone.length > 0) yield gone;

    for (const part of parts.values()) {
      if (part.buffer.recordCount > 0) submitted.push(await this.#submit(stream, part, options.ledger, signal));
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
      const kind: JobKind = detail.kind ?? (entry.operation === 'delete' ? 'delete' : entry.operation === 'update' ? 'update' : 'upsert');
      const info = await this.#bulk.getJob('ingest', entry.jobId, signal);
      const action = RESUME_ACTIONS[info ? info.state : 'NotFound'];
      this.#logger.info({ stream: stream.name, jobId: entry.jobId, state: info?.state ?? 'NotFound', action }, 'resuming salesforce job');
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
   * Turns a part into a job: create, record in the ledger (before any data goes up, so a crash from here on resumes
   * this job instead of sending its data again), upload, close.
   */
  async #submit(stream: StreamRef, part: Part, ledger: JobLedger, signal: AbortSignal | undefined): Promise<SubmittedJob> {
    const operation = OPERATION[part.kind];
    const info = await this.#bulk.createIngestJob(
      { object: stream.entity, operation, ...(part.kind === 'upsert' ? { externalIdFieldName: stream.keyField } : {}) },
      signal,
    );
    let detail: JobDetail = { sfObject: stream.entity, kind: part.kind, keyField: stream.keyField, apiVersion: this.#bulk.apiVersion, state: 'Open' };
    await ledger.record({ jobId: info.id, system: 'crm', object: stream.name, operation, detail });
    const records = part.buffer.recordCount;
    await this.#bulk.uploadJobData(info.id, part.buffer.take(), signal);
    const keysById = part.idToKey && part.idToKey.size === part.pending.size ? Object.fromEntries(part.idToKey) : undefined;
    detail = { ...detail, state: 'Closing', ...(keysById ? { keysById } : {}) };
    await ledger.update(info.id, detail);
    await this.#bulk.closeIngestJob(info.id, signal);
    await ledger.update(info.id, { ...detail, state: 'UploadComplete' });
    this.#logger.info({ stream: stream.name, jobId: info.id, operation, records }, 'salesforce job uploaded and closed');
    return { jobId: info.id, kind: part.kind, pending: part.pending, ...(keysById ? { keysById } : {}) };
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
    const outcome = await this.#bulk.waitForJob('ingest', jobId, { ...this.#settings.poll, ...(signal ? { signal } : {}) });
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
        } else if (kind === 'delete' && file === 'failedResults' && (row['sf__Error'] ?? '').startsWith('ENTITY_IS_DELETED')) {
          // Already deleted (a retried delete, or a user deleted it meanwhile): what the delete asked for holds, as a
          // delete by key of a key that no longer exists does.
          result = { key, status: 'deleted', reason: `already deleted in Salesforce (${row['sf__Error']})`, ...(nativeId ? { nativeId } : {}) };
        } else if (file === 'failedResults') {
          result = { key, status: 'rejected', reason: row['sf__Error'] ?? 'rejected without a reason', ...(nativeId ? { nativeId } : {}) };
        } else {
          result = { key, status: 'unprocessed', reason: unprocessedReason, ...(nativeId ? { nativeId } : {}) };
        }
        counts[result.status] += 1;
        batch.push(Object.freeze(result));
        if (batch.length >= RESULT_BATCH) {
          yield batch;
          batch = [];
        }
      }
    }
    if (pending) {
      for (const { match, key } of pending.drain()) {
        counts.unprocessed += 1;
        batch.push(Object.freeze({
          key,
          status: 'unprocessed',
          reason: `job ${jobId} (${outcome.state}) reported no result for this record`,
          ...(kind === 'upsert' ? {} : { nativeId: match }),
        }));
        if (batch.length >= RESULT_BATCH) {
          yield batch;
          batch = [];
        }
      }
    }
    if (batch.length > 0) yield batch;
    // Only now, with every result handed over, is the job done.
    await ledger.finish(jobId, 'done');
    this.#logger.info({ stream: stream.name, jobId, state: outcome.state, ...counts }, 'salesforce job results applied');
  }
}

/** CSV cells of one record: the addressing columns as they are, field values encoded (`#N/A` for null). */
function encodeRow(address: Readonly<Record<string, string>>, fields: OutboundRecord['fields']): IngestRow {
  const row: Record<string, string> = { ...address };
  for (const [name, value] of Object.entries(fields)) if (!(name in address)) row[name] = toCsvValue(value);
  return row;
}
