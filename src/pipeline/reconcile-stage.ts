import type { SystemId } from '../model/system.js';
import { normalizeInstant } from '../model/instant.js';
import type { StagedChange } from '../state/record-rows.js';
import type { ObjectCounts } from './run-counts.js';
import type { SyncContext, SyncObject, SyncOptions } from './sync-object.js';
import { derivedKey } from './staged-change.js';

/**
 * Key reconciliation: lists every live key on a side and stages a tombstone for each record tandem believes exists
 * there but the listing did not return (a hard delete the side does not report). Only a listing that ran to its end
 * is used: an interrupted one throws before anything is staged, so an incomplete scan never deletes a record.
 */
export async function reconcileSide(ctx: SyncContext, object: SyncObject, system: SystemId, counts: ObjectCounts, options: SyncOptions): Promise<number> {
  const source = ctx.connectors[system].createSource();
  if (!ctx.connectors[system].capabilities.supportsKeyListing || !source.listKeys) return 0;
  const live = new Set<string>();
  for await (const page of source.listKeys(object.streams[system], options.signal ? { signal: options.signal } : {})) {
    for (const entry of page) live.add(entry.key === '' ? derivedKey(system, entry.nativeId) : entry.key);
    options.onProgress?.({ object: object.name, stage: 'reconcile', system, done: live.size });
  }
  const detectedAt = normalizeInstant((ctx.now?.() ?? new Date()).toISOString());
  let tombstones = 0;
  for await (const page of ctx.store.knownKeys(ctx.sync, object.name, system)) {
    const missing: StagedChange[] = page
      .filter((known) => !live.has(known.key))
      .map((known) => ({ key: known.key, nativeId: known.nativeId ?? '', fields: {}, modifiedAt: detectedAt, deleted: true, keyMissing: false }));
    if (missing.length > 0) {
      await ctx.store.stageChanges({ sync: ctx.sync, object: object.name, system }, missing, null);
      tombstones += missing.length;
      counts[system].captured += missing.length;
    }
  }
  ctx.logger.info({ object: object.name, system, live: live.size, tombstones }, 'key reconciliation finished');
  return tombstones;
}
