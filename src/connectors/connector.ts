import type { Fields, NativeRecord } from '../model/record.js';
import type { StreamRef } from '../model/stream.js';
import type { SystemId } from '../model/system.js';
import type { Watermark } from '../model/watermark.js';
import type { JobLedger } from '../model/job-ledger.js';

/**
 * A Connector is the glue between the engine and one system of record, in the spirit of Kysely's `Dialect`:
 * a small factory of the parts the engine uses. The engine never imports a concrete connector; `engine/` opens
 * them through the ConnectorRegistry (by `type:` in tandem.yaml) and hands them over as this interface.
 *
 * @example
 * ```ts
 * const erp: Connector = await registry.get('memory', 'erp').open({}, { system: 'erp', logger, baseDir: '.' })
 * const source = erp.createSource()
 * for await (const batch of source.readChanges(stream, undefined, {})) console.log(batch.records.length)
 * ```
 */
export interface Connector {
  /** Which side this connector serves. */
  readonly system: SystemId;
  /** What this connector can do; the pipeline reads these flags, it never checks classes. */
  readonly capabilities: ConnectorCapabilities;
  /** Checks that it can reach the system and that every stream's entity and fields exist. Throws a named error. */
  init(streams: readonly StreamRef[], options?: CallOptions): Promise<void>;
  createSource(): Source;
  createSink(): Sink;
  /** Releases pools and sockets. Safe to call twice. */
  close(): Promise<void>;
}

export interface ConnectorCapabilities {
  /** Whether `Source.listKeys` exists, so deletes and drift can be found by key reconciliation. */
  readonly supportsKeyListing: boolean;
  /** Whether the Source reports deletes itself (tombstones in `readChanges`). */
  readonly reportsDeletes: boolean;
  /** The largest number of records the Sink wants per batch it is handed. */
  readonly maxBatchSize: number;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
}

export interface ReadOptions extends CallOptions {
  /** How many records per yielded batch at most (a hint). */
  readonly batchSize?: number;
}

/** A page of changes and the watermark that is safe to store once the page is durably staged. */
export interface ChangeBatch {
  readonly records: readonly NativeRecord[];
  /**
   * Where the next read should resume once these records (and all before them) are durably staged.
   * Never behind the `since` the read started from.
   */
  readonly watermark: Watermark;
}

/** Reads changes from one side. */
export interface Source {
  /**
   * Changes after `since` (`undefined`: every record, a full read), in pages, with bounded memory.
   * A source may return a record again (lookback windows, inclusive bounds): the diff drops what did not change.
   * It must never skip one: rows sharing a timestamp and transactions that commit late are all returned.
   * It may leave out tandem's own writes (change-log capture does); a source that returns them returns them with
   * the values written, which is what lets the engine recognise them as echoes.
   */
  readChanges(stream: StreamRef, since: Watermark | undefined, options: ReadOptions): AsyncIterable<ChangeBatch>;
  /**
   * Every live key on this side, in pages, for key reconciliation (only when `capabilities.supportsKeyListing`).
   * The iteration must finish for the result to be used: an interrupted listing proves nothing about deletes.
   */
  listKeys?(stream: StreamRef, options: CallOptions): AsyncIterable<readonly KeyEntry[]>;
  /**
   * The records holding these keys now, as `readChanges` would return them (absent keys are left out; a
   * soft-deleted record comes back as a tombstone). Optional: `tandem policy explain` reads a record from both
   * systems with it, and says it cannot when a connector lacks it.
   */
  readKeys?(stream: StreamRef, keys: readonly string[], options: CallOptions): Promise<readonly NativeRecord[]>;
}

export interface KeyEntry {
  readonly key: string;
  readonly nativeId: string;
}

/** One record to write. Fields carry native names; only the fields to set are present (null sets null). */
export interface OutboundRecord {
  readonly key: string;
  /**
   * The record's native id on this side. Set for deletes when tandem knows it, and for upserts only when the record
   * on this side does not carry the key yet (created there, never synced): the sink then addresses the record by its
   * native id and sets the key field, instead of upserting on the key.
   */
  readonly nativeId?: string;
  readonly op: 'upsert' | 'delete';
  readonly fields: Fields;
}

/**
 * What happened to one outbound record. Expected failures are results, never exceptions.
 * - `created` / `updated` / `deleted`: the side confirmed the write.
 * - `rejected`: the side refused this record (validation, constraint); `reason` says why.
 * - `unprocessed`: the side did not get to it (job failed or aborted part-way); retry it.
 */
export interface WriteResult {
  readonly key: string;
  readonly status: 'created' | 'updated' | 'deleted' | 'rejected' | 'unprocessed';
  readonly nativeId?: string;
  readonly reason?: string;
  /** The remote bulk job (its ledger id) that carried this write, when the sink used one: shown in record timelines. */
  readonly jobId?: string;
}

export interface WriteOptions extends CallOptions {
  /** Where remote jobs are recorded before upload, so that a crash resumes them. */
  readonly ledger: JobLedger;
}

/** Writes to one side, keyed on the sync key, so that a retry never duplicates a record. */
export interface Sink {
  /**
   * Writes every record from `batches` and yields one result per record, in any order, as they become known.
   * A bulk sink may gather many batches into one remote job. Rejections are results; only infrastructure failures
   * (network, quota, auth) throw, as named errors. The engine applies each yielded batch durably before it asks for
   * the next one, so a sink may take that request as the acknowledgement of the results before it (e.g. to mark a
   * remote job done in the ledger only after its last results were asked past).
   */
  write(
    stream: StreamRef,
    batches: AsyncIterable<readonly OutboundRecord[]>,
    options: WriteOptions,
  ): AsyncIterable<readonly WriteResult[]>;
  /**
   * Finishes jobs a previous process left open in the ledger and yields their results (sinks without remote jobs
   * yield nothing). Called before new writes for the same stream.
   */
  resume(stream: StreamRef, options: WriteOptions): AsyncIterable<readonly WriteResult[]>;
}
