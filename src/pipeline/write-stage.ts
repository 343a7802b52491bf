import type { OutboundRecord, WriteResult } from '../connectors/connector.js';
import type { SystemId } from '../model/system.js';
import type { FailedEntry, OutboxEntry, RecordState } from '../model/record-rows.js';
import type { NewRecordEvent } from '../model/record-timeline.js';
import type { StagedWriteResult } from '../model/result-confirmer.js';
import { forEachKeyedChunk } from '../util/keyed-lanes.js';
import { hasNul } from '../util/storable-text.js';
import { confirmWrite, isConfirmed } from './record-transition.js';
import { reportingLedger } from './job-progress.js';
import { countResult, type RunHandle } from './run-counts.js';
import type { FieldMapper, SyncContext, SyncObject, SyncOptions } from './sync-object.js';

const RESULT_CHUNK = 2000;

/**
 * Finishes remote jobs a previous process left open (their results are applied like fresh ones). Called first in a
 * run, so that tandem's confirmed writes are known before their echoes are captured.
 */
export async function resumeSide(
  ctx: SyncContext,
  object: SyncObject,
  system: SystemId,
  run: RunHandle,
  options: SyncOptions,
): Promise<void> {
  const sink = ctx.connectors[system].createSink();
  const ledger = reportingLedger(ctx.store.ledger(ctx.sync), object, system, options);
  const results = sink.resume(object.streams[system], {
    ledger,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  await applyResultStream(ctx, object, system, run, results, options, true, { stage: 'resume' });
}

/**
 * Streams a side's outbox to its sink, in key order, and applies the results as they come: confirmed writes move
 * the record's state (and the base once both sides agree); rejected ones go to the failed-record queue. A side with
 * nothing to write is not called at all.
 */
export async function writeSide(
  ctx: SyncContext,
  object: SyncObject,
  system: SystemId,
  run: RunHandle,
  options: SyncOptions,
): Promise<void> {
  const total = await ctx.store.staging.countOutbox(ctx.sync, object.name, system);
  if (total === 0) return;
  options.onProgress?.({ object: object.name, stage: 'write', system, phase: 'started', done: 0, total });
  const sink = ctx.connectors[system].createSink();
  const ledger = reportingLedger(ctx.store.ledger(ctx.sync), object, system, options);
  const batchSize = Math.min(options.batchSize ?? 5000, ctx.connectors[system].capabilities.maxBatchSize);
  const batches = outboundBatches(ctx, object, system, batchSize);
  const results = sink.write(object.streams[system], batches, {
    ledger,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  // Failed records from earlier runs are cleared when their write succeeds; with none, no lookup is needed.
  const anyFailed = (await ctx.store.staging.presence(ctx.sync, object.name)).failed;
  const done = await applyResultStream(ctx, object, system, run, results, options, anyFailed, {
    stage: 'write',
    total,
  });
  options.onProgress?.({ object: object.name, stage: 'write', system, phase: 'finished', done, total });
  await options.checkpoint?.(`written:${object.name}:${system}`);
}

async function* outboundBatches(
  ctx: SyncContext,
  object: SyncObject,
  system: SystemId,
  batchSize: number,
): AsyncGenerator<readonly OutboundRecord[]> {
  let after: string | null = null;
  for (;;) {
    const entries = await ctx.store.staging.readOutbox(ctx.sync, object.name, system, after, batchSize);
    if (entries.length === 0) return;
    yield entries.map((entry) => outboundRecord(entry, object.mapper, system));
    after = entries[entries.length - 1]!.key;
  }
}

/** A planned write as its side's sink receives it: native field names, addressed by native id when it must be. */
export function outboundRecord(entry: OutboxEntry, mapper: FieldMapper, system: SystemId): OutboundRecord {
  const fields = entry.op === 'delete' ? {} : mapper.toNative(system, entry.payload);
  return entry.nativeId !== null
    ? { key: entry.key, op: entry.op, fields, nativeId: entry.nativeId }
    : { key: entry.key, op: entry.op, fields };
}

async function applyResultStream(
  ctx: SyncContext,
  object: SyncObject,
  system: SystemId,
  run: RunHandle,
  results: AsyncIterable<readonly WriteResult[]>,
  options: SyncOptions,
  clearFailed: boolean,
  progress: { readonly stage: 'write' | 'resume'; readonly total?: number },
): Promise<number> {
  let done = 0;
  // Every batch is applied before the next one is asked for: a sink marks a remote job done in the ledger once its
  // consumer comes back after the job's last results, so they must be durable by then, or a crash loses them.
  // Within a batch, the results are applied in lanes by key (each key's results in order, in one lane), the lanes'
  // transactions side by side, so that the store's server works on both cores of a small machine.
  const lanes = { lanes: ctx.store.parallelTransactions ?? 1, chunkSize: RESULT_CHUNK };
  for await (const batch of results) {
    await forEachKeyedChunk(
      batch,
      (result) => result.key,
      lanes,
      async (chunk) => {
        await options.checkpoint?.(`before-apply:${object.name}:${system}`);
        await applyResults(ctx, object, system, run, chunk, clearFailed, options);
        done += chunk.length;
        options.onProgress?.({
          object: object.name,
          stage: progress.stage,
          system,
          done,
          ...(progress.total !== undefined ? { total: progress.total } : {}),
        });
        await options.checkpoint?.(`write-batch:${object.name}:${system}`);
      },
    );
  }
  return done;
}

/** What `applyResults` takes from the run's options: the fast path switch and the test hook. */
export type ApplyOptions = Pick<SyncOptions, 'bulkConfirm' | 'checkpoint'>;

/**
 * Applies one chunk of a side's results to the state store. `clearFailed` says whether failed-record entries may exist
 * for these keys (so confirmed ones must be cleared).
 *
 * Plain confirmations (a create or update of a record with no outstanding write on the other side: nearly every
 * result of a first load) are confirmed set-based by the state store (`ResultConfirmer`), in one transaction with
 * the run's counters; the rest, and all of them when `options.bulkConfirm` is false, record by record with
 * `confirmWrite` in another one. Both give the same state: `confirmWrite` is the specification, the set-based path an
 * optimisation of it (test/integration/bulk-confirm.pbt.test.ts and test/e2e/bulk-path-equivalence.test.ts check they agree).
 */
export async function applyResults(
  ctx: SyncContext,
  object: SyncObject,
  system: SystemId,
  run: RunHandle,
  results: readonly WriteResult[],
  clearFailed = true,
  options: ApplyOptions = {},
): Promise<void> {
  const unique = new Map<string, WriteResult>();
  for (const result of results) unique.set(result.key, result);
  const confirmer = options.bulkConfirm === false ? undefined : ctx.store.confirmer;
  const plain = confirmer ? [...unique.values()].filter(stageable).map(stagedResult) : [];
  if (confirmer && plain.length > 0) {
    const counts = run.counts[object.name]!;
    const confirmed = await confirmer.confirmPlainWrites(
      ctx.sync,
      object.name,
      system,
      plain,
      { clearFailed, afterStaging: () => options.checkpoint?.(`bulk-confirm:${object.name}:${system}`) },
      {
        id: run.id,
        now: ctx.now?.() ?? new Date(),
        countsAfter: (keys) => {
          for (const key of keys) countResult(counts, system, unique.get(key)!);
          return run.counts;
        },
      },
    );
    for (const key of confirmed) unique.delete(key);
    if (unique.size === 0) return;
  }
  await applyEachResult(ctx, object, system, run, unique, clearFailed);
}

/** A result the set-based path may take: a confirmed create or update whose texts Postgres can hold (no U+0000). */
function stageable(result: WriteResult): boolean {
  return (
    (result.status === 'created' || result.status === 'updated') &&
    ![result.key, result.nativeId, result.jobId, result.reason].some((text) => text !== undefined && hasNul(text))
  );
}

function stagedResult(result: WriteResult): StagedWriteResult {
  return {
    key: result.key,
    status: result.status === 'created' ? 'created' : 'updated',
    nativeId: result.nativeId ?? null,
    jobId: result.jobId ?? null,
    reason: result.reason ?? null,
  };
}

/** Applies results record by record (`confirmWrite`), in one transaction with the run's counters. */
async function applyEachResult(
  ctx: SyncContext,
  object: SyncObject,
  system: SystemId,
  run: RunHandle,
  unique: ReadonlyMap<string, WriteResult>,
  clearFailed: boolean,
): Promise<void> {
  const planned = await ctx.store.records.loadForApply(ctx.sync, object.name, system, [...unique.keys()]);
  const counts = run.counts[object.name]!;
  const nextStates: RecordState[] = [];
  const deleteOutbox: { system: SystemId; key: string }[] = [];
  const deleteFailed: { system: SystemId; key: string }[] = [];
  const failed: FailedEntry[] = [];
  const events: NewRecordEvent[] = [];
  for (const [key, result] of unique) {
    const found = planned.get(key);
    if (!found) {
      ctx.logger.warn(
        { object: object.name, system, key, status: result.status },
        'a write result for a record with no planned write was ignored',
      );
      continue;
    }
    const { entry, state, otherOutstanding } = found;
    nextStates.push(confirmWrite(state ?? emptyState(key), entry, result, otherOutstanding));
    deleteOutbox.push({ system, key });
    const nativeId = result.nativeId ?? entry.nativeId ?? (system === 'erp' ? state?.erpId : state?.crmId) ?? null;
    if (isConfirmed(result)) {
      if (clearFailed) deleteFailed.push({ system, key });
      events.push({
        key,
        kind: 'written',
        system,
        nativeId,
        jobId: result.jobId ?? null,
        detail: { status: result.status, ...(result.reason ? { note: result.reason } : {}) },
      });
    } else
      failed.push({
        system,
        key,
        status: result.status === 'unprocessed' ? 'unprocessed' : 'rejected',
        reason: result.reason ?? 'no reason given',
        payload: entry.payload,
        nativeId,
        jobId: result.jobId ?? null,
      });
    countResult(counts, system, result);
  }
  await ctx.store.records.apply(
    ctx.sync,
    object.name,
    { states: nextStates, deleteOutbox, deleteFailed, failed, events },
    { id: run.id, counts: run.counts, now: ctx.now?.() ?? new Date() },
  );
}

function emptyState(key: string): RecordState {
  return {
    key,
    base: null,
    erp: null,
    crm: null,
    erpId: null,
    crmId: null,
    erpModifiedAt: null,
    crmModifiedAt: null,
    pending: null,
    pendingDelete: false,
  };
}
