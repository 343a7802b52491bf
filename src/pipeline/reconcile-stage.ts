import type { SystemId } from '../model/system.js';
import { normalizeInstant } from '../model/instant.js';
import type { StagedChange } from '../model/record-rows.js';
import type { ObjectCounts } from './run-counts.js';
import type { SyncContext, SyncObject, SyncOptions } from './sync-object.js';
import { derivedKey } from './staged-change.js';

/**
 * Key reconciliation: lists every live key on a side and stages a tombstone for each record tandem believes exists
 * there but the listing did not return (a hard delete the side does not report). Only a listing that ran to its end
 * is used: an interrupted one throws before anything is staged, so an incomplete scan never deletes a record.
 *
 * "Believes exists" covers both what is recorded in `record_state` and changes still waiting in the inbox: a record
 * captured by an earlier, interrupted run and deleted before it was planned must not be planned as existing (it
 * would be created on the other side from a row that is gone). A delete the side's capture already staged keeps the
 * side's own time (see capturedDeletes).
 */
export async function reconcileSide(
  ctx: SyncContext,
  object: SyncObject,
  system: SystemId,
  counts: ObjectCounts,
  options: SyncOptions,
  runId: string | null = null,
): Promise<number> {
  const source = ctx.connectors[system].createSource();
  if (!ctx.connectors[system].capabilities.supportsKeyListing || !source.listKeys) return 0;
  const live = new Set<string>();
  options.onProgress?.({ object: object.name, stage: 'reconcile', system, phase: 'started', done: 0 });
  for await (const page of source.listKeys(object.streams[system], options.signal ? { signal: options.signal } : {})) {
    for (const entry of page) live.add(entry.key === '' ? derivedKey(system, entry.nativeId) : entry.key);
    options.onProgress?.({ object: object.name, stage: 'reconcile', system, done: live.size });
  }
  const detectedAt = normalizeInstant((ctx.now?.() ?? new Date()).toISOString());
  let tombstones = 0;
  for await (const page of ctx.store.records.knownKeys(ctx.sync, object.name, system)) {
    const absent = page.filter((known) => !live.has(known.key));
    const alreadyDeleted = await capturedDeletes(
      ctx,
      object,
      system,
      absent.map((known) => known.key),
    );
    const missing: StagedChange[] = absent
      .filter((known) => !alreadyDeleted.has(known.key))
      .map((known) => ({
        key: known.key,
        nativeId: known.nativeId ?? '',
        fields: {},
        modifiedAt: detectedAt,
        deleted: true,
        keyMissing: false,
      }));
    if (missing.length > 0) {
      await ctx.store.staging.stageChanges({ sync: ctx.sync, object: object.name, system }, missing, null, runId);
      tombstones += missing.length;
      counts[system].captured += missing.length;
    }
  }
  const stale = await tombstoneStaleInbox(ctx, object, system, live, detectedAt, runId);
  tombstones += stale;
  counts[system].captured += stale;
  ctx.logger.info({ object: object.name, system, live: live.size, tombstones }, 'key reconciliation finished');
  options.onProgress?.({ object: object.name, stage: 'reconcile', system, phase: 'finished', done: live.size });
  return tombstones;
}

/**
 * Keys whose inbox entry of `system` is already a delete: the side's own capture reported it, with the time the
 * side stamped on it. A tombstone from the listing would replace that time with the time of detection (later than
 * the delete itself), and latest-wins would then take the delete over an edit the other side made after it.
 */
async function capturedDeletes(
  ctx: SyncContext,
  object: SyncObject,
  system: SystemId,
  keys: readonly string[],
): Promise<ReadonlySet<string>> {
  if (keys.length === 0) return new Set();
  const { inbox } = await ctx.store.staging.loadForPlanning(ctx.sync, object.name, keys);
  return new Set(keys.filter((key) => inbox.get(key)?.[system]?.deleted === true));
}

/** Stages tombstones over inbox entries of `system` that say a record exists which the complete listing did not return. */
async function tombstoneStaleInbox(
  ctx: SyncContext,
  object: SyncObject,
  system: SystemId,
  live: ReadonlySet<string>,
  detectedAt: string,
  runId: string | null,
): Promise<number> {
  const PAGE = 1000;
  // Far in the future: only the inbox matters here, and nextPlanKeys also returns due failed records (harmless).
  const horizon = new Date('9999-12-31T00:00:00Z');
  let after: string | null = null;
  let staged = 0;
  for (;;) {
    const keys: readonly string[] = await ctx.store.staging.nextPlanKeys(ctx.sync, object.name, after, PAGE, horizon);
    if (keys.length === 0) return staged;
    after = keys[keys.length - 1]!;
    const missing = keys.filter((key) => !live.has(key));
    if (missing.length === 0) continue;
    const { inbox } = await ctx.store.staging.loadForPlanning(ctx.sync, object.name, missing);
    const stale: StagedChange[] = [];
    for (const key of missing) {
      const change = inbox.get(key)?.[system];
      if (change && !change.deleted)
        stale.push({
          key,
          nativeId: change.nativeId,
          fields: {},
          modifiedAt: detectedAt,
          deleted: true,
          keyMissing: false,
        });
    }
    if (stale.length > 0) {
      await ctx.store.staging.stageChanges({ sync: ctx.sync, object: object.name, system }, stale, null, runId);
      staged += stale.length;
    }
  }
}
