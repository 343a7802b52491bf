import { randomUUID } from 'node:crypto';
import type { OutboundRecord, Sink, WriteOptions, WriteResult } from '../connector.js';
import type { JobLedger } from '../../model/job-ledger.js';
import type { StreamRef } from '../../model/stream.js';
import type { Logger } from '../../util/logger.js';
import type { ZohoApi, ZohoRecordAnswer } from './zoho-api.js';
import {
  bulkColumns,
  bulkCsvHeader,
  bulkCsvRows,
  resultsFromZip,
  writeJobRequest,
  zipCsv,
  type BulkWriteDetail,
} from './zoho-bulk-write-job.js';
import { toZohoJson, type ZohoField } from './zoho-fields.js';
import { pollUntil, type PollSettings } from './zoho-polling.js';

/** REST calls take at most 100 records or ids. */
const REST_CHUNK = 100;
/** Keys per search call when deletes come without a native id. */
const SEARCH_CHUNK = 10;
/** Credits of one Bulk Write job, and the status polls it is expected to take. */
const BULK_JOB_CREDITS = 500;
const BULK_POLL_CREDITS = 10;

export interface ZohoSinkSettings {
  readonly poll: PollSettings;
  readonly writePath: 'auto' | 'bulk' | 'rest';
  readonly maxRecordsPerFile: number;
  readonly maxFileBytes: number;
  readonly orgId: (signal?: AbortSignal) => Promise<string>;
  readonly fields: (module: string, signal?: AbortSignal) => Promise<ReadonlyMap<string, ZohoField>>;
}

/** What one write chose and why (also logged). */
export interface WritePlan {
  readonly path: 'bulk' | 'rest';
  readonly bulkRecords: number;
  readonly restRecords: number;
  readonly estimatedCredits: { readonly bulk: number; readonly rest: number };
}

/**
 * Writes to Zoho CRM, choosing per run the path that costs fewer credits. Upserts that set values only go through
 * Bulk Write when its 500 credits per job (25,000 records / 25 MB a file) cost less than REST upserts at 1 credit per
 * 10 records, i.e. from about 5,000 records; otherwise through REST upsert (100 a call, `duplicate_check_fields`
 * the key). Bulk jobs run with `ignore_empty: true` (an absent field is an empty cell and stays as it is), so a
 * record that clears a field (null) goes through REST, where null clears. Records created in Zoho and never synced
 * (they carry `nativeId`) are updated by id, setting the key. Deletes go through REST, 100 ids a call (keys without
 * an id are found by search first).
 *
 * Each Bulk Write job is recorded in the ledger before its file is uploaded and moved through `uploaded` and
 * `created`; `resume` finishes what a dead process left: a created job is polled and its results read (never
 * created again); an entry whose job was never created is abandoned, since Zoho wrote nothing, and the engine sends
 * those records again from a fresh plan (see resume).
 *
 * @example
 * ```ts
 * for await (const results of sink.write(stream, batches, { ledger })) for (const r of results) console.log(r.key, r.status)
 * ```
 */
export class ZohoSink implements Sink {
  readonly #api: ZohoApi;
  readonly #settings: ZohoSinkSettings;
  readonly #logger: Logger;
  /** The plan of the last write (statistics, tests). */
  lastPlan: WritePlan | undefined;

  constructor(api: ZohoApi, settings: ZohoSinkSettings, logger: Logger) {
    this.#api = api;
    this.#settings = settings;
    this.#logger = logger;
  }

  async *write(
    stream: StreamRef,
    batches: AsyncIterable<readonly OutboundRecord[]>,
    options: WriteOptions,
  ): AsyncGenerator<readonly WriteResult[]> {
    const signal = options.signal;
    const bulkable: OutboundRecord[] = [];
    const rest: OutboundRecord[] = [];
    const adopt: OutboundRecord[] = [];
    const deleteById: OutboundRecord[] = [];
    const deleteByKey: OutboundRecord[] = [];
    for await (const batch of batches) {
      for (const r of batch) {
        if (r.op === 'delete') (r.nativeId ? deleteById : deleteByKey).push(r);
        else if (r.nativeId) adopt.push(r);
        else if (Object.values(r.fields).some((v) => v === null || v === '')) rest.push(r);
        else bulkable.push(r);
      }
    }
    const plan = this.#plan(bulkable.length, rest.length);
    this.lastPlan = plan;
    if (bulkable.length + rest.length + adopt.length + deleteById.length + deleteByKey.length > 0) {
      this.#logger.info(
        { stream: stream.name, ...plan, adopt: adopt.length, deletes: deleteById.length + deleteByKey.length },
        plan.path === 'bulk'
          ? `zoho write: Bulk Write for ${plan.bulkRecords} records (~${plan.estimatedCredits.bulk} credits instead of ~${plan.estimatedCredits.rest} over REST)`
          : `zoho write: REST upsert for ${plan.restRecords} records (~${plan.estimatedCredits.rest} credits; Bulk Write would cost ~${plan.estimatedCredits.bulk})`,
      );
    }
    const types = await this.#settings.fields(stream.entity, signal);
    const restUpserts = plan.path === 'bulk' ? rest : [...rest, ...bulkable];
    for (let i = 0; i < restUpserts.length; i += REST_CHUNK) {
      yield await this.#restUpsert(stream, restUpserts.slice(i, i + REST_CHUNK), types, signal);
    }
    for (let i = 0; i < adopt.length; i += REST_CHUNK) {
      yield await this.#restAdopt(stream, adopt.slice(i, i + REST_CHUNK), types, signal);
    }
    if (plan.path === 'bulk' && bulkable.length > 0) yield* this.#bulk(stream, bulkable, types, options.ledger, signal);
    const found = await this.#findIds(stream, deleteByKey, signal);
    if (found.gone.length > 0) yield found.gone;
    const deletes = [...deleteById, ...found.records];
    for (let i = 0; i < deletes.length; i += REST_CHUNK) {
      yield await this.#delete(stream, deletes.slice(i, i + REST_CHUNK), signal);
    }
  }

  async *resume(stream: StreamRef, options: WriteOptions): AsyncGenerator<readonly WriteResult[]> {
    for (const entry of await options.ledger.listOpen('crm', stream.name)) {
      const detail = entry.detail as unknown as BulkWriteDetail;
      this.#logger.info(
        { stream: stream.name, ledgerId: entry.jobId, phase: detail.phase, zohoJobId: detail.zohoJobId },
        'resuming zoho bulk write job',
      );
      if (detail.phase === 'uploading' || detail.phase === 'uploaded' || detail.zohoJobId === undefined) {
        // No job was created, so Zoho processed nothing: the engine sends these records again from a fresh plan.
        // Creating the job now from the file uploaded earlier would write values planned before the stop (a quota
        // stop can last a day) over edits CRM users made since, which the next capture reads and the plan weighs.
        await options.ledger.finish(entry.jobId, 'abandoned');
        continue;
      }
      yield* this.#finish(stream, entry.jobId, detail, options.ledger, undefined, options.signal);
    }
  }

  #plan(bulkRecords: number, restRecords: number): WritePlan {
    const jobs = Math.ceil(bulkRecords / this.#settings.maxRecordsPerFile);
    const bulk = jobs * (BULK_JOB_CREDITS + BULK_POLL_CREDITS) + Math.ceil(restRecords / 10);
    const restOnly = Math.ceil((bulkRecords + restRecords) / 10);
    const useBulk =
      bulkRecords > 0 &&
      (this.#settings.writePath === 'bulk' || (this.#settings.writePath === 'auto' && bulk < restOnly));
    return {
      path: useBulk ? 'bulk' : 'rest',
      bulkRecords: useBulk ? bulkRecords : 0,
      restRecords: useBulk ? restRecords : bulkRecords + restRecords,
      estimatedCredits: { bulk, rest: restOnly },
    };
  }

  async #restUpsert(
    stream: StreamRef,
    records: readonly OutboundRecord[],
    types: ReadonlyMap<string, ZohoField>,
    signal: AbortSignal | undefined,
  ): Promise<WriteResult[]> {
    const data = records.map((r) => ({ ...jsonFields(r, types), [stream.keyField]: r.key }));
    const answers = await this.#api.upsert(stream.entity, data, [stream.keyField], signal);
    // Zoho answers per record in request order (its only link from an answer to a new record).
    return records.map((r, i) => toResult(r, answers[i]!, 'upsert'));
  }

  async #restAdopt(
    stream: StreamRef,
    records: readonly OutboundRecord[],
    types: ReadonlyMap<string, ZohoField>,
    signal: AbortSignal | undefined,
  ): Promise<WriteResult[]> {
    const data = records.map((r) => ({ ...jsonFields(r, types), [stream.keyField]: r.key, id: r.nativeId }));
    const answers = await this.#api.update(stream.entity, data, signal);
    return records.map((r, i) => toResult(r, answers[i]!, 'update'));
  }

  async #delete(
    stream: StreamRef,
    records: readonly OutboundRecord[],
    signal: AbortSignal | undefined,
  ): Promise<WriteResult[]> {
    const answers = await this.#api.delete(
      stream.entity,
      records.map((r) => r.nativeId!),
      signal,
    );
    return records.map((r, i) => {
      const a = answers[i]!;
      if (a.status === 'success') return { key: r.key, status: 'deleted', nativeId: r.nativeId! };
      if (a.code === 'INVALID_DATA') {
        // The id is unknown: already deleted (a retry, or a user deleted it), which is what the delete asked for.
        return {
          key: r.key,
          status: 'deleted',
          nativeId: r.nativeId!,
          reason: `already deleted in Zoho (${a.message})`,
        };
      }
      return { key: r.key, status: 'rejected', nativeId: r.nativeId!, reason: `${a.code}: ${a.message}` };
    });
  }

  /** Finds the ids of keys to delete; keys no record holds are deleted already. */
  async #findIds(
    stream: StreamRef,
    records: readonly OutboundRecord[],
    signal: AbortSignal | undefined,
  ): Promise<{ records: OutboundRecord[]; gone: WriteResult[] }> {
    const withIds: OutboundRecord[] = [];
    const gone: WriteResult[] = [];
    for (let i = 0; i < records.length; i += SEARCH_CHUNK) {
      const chunk = records.slice(i, i + SEARCH_CHUNK);
      const criteria = `(${chunk.map((r) => `(${stream.keyField}:equals:${escapeSearchValue(r.key)})`).join('or')})`;
      const rows = await this.#api.search(stream.entity, criteria, signal);
      for (const r of chunk) {
        // Search may compare case-insensitively: only an exact key match counts.
        const row = rows.find((x) => x[stream.keyField] === r.key);
        if (row && typeof row['id'] === 'string') withIds.push({ ...r, nativeId: row['id'] });
        else
          gone.push({
            key: r.key,
            status: 'deleted',
            reason: `no ${stream.entity} has ${stream.keyField} = ${r.key}; nothing to delete`,
          });
      }
    }
    return { records: withIds, gone };
  }

  /** Bulk Write: one job per file of at most maxRecordsPerFile records and maxFileBytes, one job at a time. */
  async *#bulk(
    stream: StreamRef,
    records: readonly OutboundRecord[],
    types: ReadonlyMap<string, ZohoField>,
    ledger: JobLedger,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<readonly WriteResult[]> {
    const extra = new Set<string>();
    for (const r of records) for (const f of Object.keys(r.fields)) if (!stream.fields.includes(f)) extra.add(f);
    const columns = bulkColumns(stream.keyField, [...stream.fields, ...extra], types);
    const header = bulkCsvHeader(columns);
    const rows = bulkCsvRows(columns, records, types);
    let start = 0;
    while (start < records.length) {
      let end = start;
      let bytes = Buffer.byteLength(header);
      while (end < records.length && end - start < this.#settings.maxRecordsPerFile) {
        const size = Buffer.byteLength(rows[end]!);
        if (end > start && bytes + size > this.#settings.maxFileBytes) break;
        bytes += size;
        end += 1;
      }
      const chunk = records.slice(start, end);
      const ledgerId = `zoho-bulk-write-${randomUUID()}`;
      let detail: BulkWriteDetail = {
        module: stream.entity,
        keyField: stream.keyField,
        columns,
        records: chunk.length,
        phase: 'uploading',
      };
      // Recorded before anything goes up: a crash from here on is resumed, never uploaded twice once uploaded.
      await ledger.record({
        jobId: ledgerId,
        system: 'crm',
        object: stream.name,
        operation: 'upsert',
        detail: { ...detail },
      });
      const zip = zipCsv(`${stream.entity}.csv`, header, rows.slice(start, end));
      const fileId = await this.#api.upload(zip, `${stream.entity}.zip`, await this.#settings.orgId(signal), signal);
      detail = { ...detail, phase: 'uploaded', fileId };
      await ledger.update(ledgerId, { ...detail });
      detail = await this.#createJob(ledgerId, detail, fileId, ledger, signal);
      this.#logger.info(
        { stream: stream.name, zohoJobId: detail.zohoJobId, records: chunk.length, bytes: zip.length },
        'zoho bulk write job uploaded and created',
      );
      yield* this.#finish(stream, ledgerId, detail, ledger, new Set(chunk.map((r) => r.key)), signal);
      start = end;
    }
  }

  async #createJob(
    ledgerId: string,
    detail: BulkWriteDetail,
    fileId: string,
    ledger: JobLedger,
    signal: AbortSignal | undefined,
  ): Promise<BulkWriteDetail> {
    const zohoJobId = await this.#api.createWriteJob(writeJobRequest(detail, fileId), signal);
    const created: BulkWriteDetail = { ...detail, phase: 'created', zohoJobId };
    await ledger.update(ledgerId, { ...created });
    return created;
  }

  /** Polls the job until COMPLETED or FAILED, reads its result zip and yields one result per record. */
  async *#finish(
    stream: StreamRef,
    ledgerId: string,
    detail: BulkWriteDetail,
    ledger: JobLedger,
    pending: Set<string> | undefined,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<readonly WriteResult[]> {
    const jobId = detail.zohoJobId!;
    const done = await pollUntil(
      async () => {
        const d = await this.#api.writeJob(jobId, signal);
        if (d === undefined) return { status: 'GONE', downloadUrl: undefined };
        // Only COMPLETED and FAILED are terminal: ADDED, IN PROGRESS, INPROGRESS... all mean "still running".
        return d.status === 'COMPLETED' || d.status === 'FAILED' ? d : undefined;
      },
      this.#settings.poll,
      signal,
    );
    if (done === undefined) {
      this.#logger.warn(
        { stream: stream.name, zohoJobId: jobId },
        'zoho bulk write job still running after pollTimeoutMs; the next run resumes it',
      );
      return;
    }
    if (done.status === 'GONE' || done.downloadUrl === undefined) {
      this.#logger.warn(
        { stream: stream.name, zohoJobId: jobId, status: done.status },
        'zoho bulk write job has no result file; abandoned',
      );
      if (pending && pending.size > 0) {
        yield [...pending].map((key) => ({
          key,
          status: 'unprocessed' as const,
          reason: `Zoho job ${jobId} ended ${done.status} without a result file`,
        }));
      }
      await ledger.finish(ledgerId, 'abandoned');
      return;
    }
    const zip = await this.#api.download(done.downloadUrl, `bulk write result ${jobId}`, signal);
    const results = resultsFromZip(new Uint8Array(zip), detail.keyField, jobId, pending);
    for (const key of pending ?? []) {
      results.push({
        key,
        status: 'unprocessed',
        reason: `Zoho job ${jobId} (${done.status}) reported no result for this record`,
      });
    }
    const counts: Record<string, number> = {};
    for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
    for (let i = 0; i < results.length; i += 2_000) yield results.slice(i, i + 2_000);
    // Only now, with every result handed over and acknowledged, is the job done.
    await ledger.finish(ledgerId, 'done');
    this.#logger.info(
      { stream: stream.name, zohoJobId: jobId, status: done.status, ...counts },
      'zoho bulk write results applied',
    );
  }
}

function jsonFields(r: OutboundRecord, types: ReadonlyMap<string, ZohoField>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(r.fields)) out[name] = toZohoJson(types.get(name), value);
  return out;
}

function toResult(r: OutboundRecord, a: ZohoRecordAnswer, kind: 'upsert' | 'update'): WriteResult {
  const id = a.details?.['id'];
  const nativeId = typeof id === 'string' ? { nativeId: id } : r.nativeId ? { nativeId: r.nativeId } : {};
  if (a.status === 'success') {
    return { key: r.key, status: kind === 'upsert' && a.action === 'insert' ? 'created' : 'updated', ...nativeId };
  }
  const field = a.details?.['api_name'];
  return {
    key: r.key,
    status: 'rejected',
    reason: `Zoho ${a.code}: ${a.message}${typeof field === 'string' ? ` (${field})` : ''}`,
    ...(r.nativeId ? { nativeId: r.nativeId } : {}),
  };
}

/** Escapes `(`, `)`, `,` and `\` in a search criteria value. */
function escapeSearchValue(value: string): string {
  return value.replace(/[\\(),]/g, (c) => `\\${c}`);
}
