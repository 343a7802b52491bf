import { sameRecord } from '../diff/canonical-json.js';
import type { SystemId } from '../model/system.js';
import type { StagedChange } from '../model/record-rows.js';
import type { RunHandle } from './run-counts.js';
import { toStagedChange } from './staged-change.js';
import { screenUnstorable } from './unstorable-values.js';
import type { SyncContext, SyncObject, SyncOptions } from './sync-object.js';

/**
 * Reads one side's changes since its watermark and stages them in the inbox, page by page; each page and the
 * watermark after it are stored in one transaction. A change identical to what tandem already knows of that side
 * (an echo of tandem's own write, a re-read from a lookback window) is dropped here, so it costs no planning.
 */
export async function captureSide(
  ctx: SyncContext,
  object: SyncObject,
  system: SystemId,
  run: RunHandle,
  options: SyncOptions,
): Promise<void> {
  const counts = run.counts[object.name]!;
  const stream = object.streams[system];
  const source = ctx.connectors[system].createSource();
  const watermarkKey = { sync: ctx.sync, object: object.name, system };
  const stored = await ctx.store.watermarks.get(watermarkKey);
  const since = options.full ? undefined : stored?.watermark;
  const log = ctx.logger.child({ object: object.name, system, stage: 'capture' });
  log.debug({ since }, 'capture started');
  options.onProgress?.({ object: object.name, stage: 'capture', system, phase: 'started', done: 0 });
  let pages = 0;
  // On a first load tandem knows nothing of this object: no need to look each captured key up.
  const presence = await ctx.store.staging.presence(ctx.sync, object.name);
  const knowsRecords = presence.states || presence.inbox;
  for await (const batch of source.readChanges(stream, since, {
    batchSize: options.batchSize ?? 5000,
    ...(options.signal ? { signal: options.signal } : {}),
  })) {
    const screened = screenUnstorable(system, object.name, batch.records);
    for (const s of screened.stripped) log.warn(s, 'removed U+0000 (NUL) characters, which Postgres cannot store');
    if (screened.failed.length > 0) {
      log.warn({ keys: screened.failed.map((f) => f.key) }, 'records with U+0000 (NUL) in their key are not synced');
      await ctx.store.records.apply(ctx.sync, object.name, { failed: screened.failed });
    }
    const changes = screened.records.map((record) => toStagedChange(system, record, object.mapper));
    const fresh = knowsRecords ? await dropKnown(ctx, object.name, system, changes) : changes;
    await ctx.store.staging.stageChanges(watermarkKey, fresh, batch.watermark);
    counts[system].captured += fresh.length;
    pages += 1;
    await options.checkpoint?.(`captured-page:${object.name}:${system}`);
    options.onProgress?.({ object: object.name, stage: 'capture', system, done: counts[system].captured });
  }
  log.debug({ pages, captured: counts[system].captured }, 'capture finished');
  const done = counts[system].captured;
  options.onProgress?.({ object: object.name, stage: 'capture', system, phase: 'finished', done });
  await options.checkpoint?.(`captured:${object.name}:${system}`);
}

/**
 * Drops changes equal to what tandem knows that side holds, unless an inbox entry for the key is waiting; and
 * tombstones of another native record than the one tandem knows under that key. The latter happens when a record
 * created without a key was deleted and tandem recreated it under the key derived from its id: re-reading the old
 * record's tombstone (a lookback window, the inclusive second of a cursor) must not delete the new one.
 */
export async function dropKnown(
  ctx: SyncContext,
  object: string,
  system: SystemId,
  changes: readonly StagedChange[],
): Promise<StagedChange[]> {
  if (changes.length === 0) return [];
  const known = await ctx.store.staging.knownSides(
    ctx.sync,
    object,
    system,
    changes.map((c) => c.key),
  );
  return changes.filter((change) => {
    const entry = known.get(change.key);
    if (change.deleted && change.nativeId !== '' && entry?.knownId && entry.knownId !== change.nativeId) return false;
    if (change.keyMissing) return true;
    if (!entry || entry.waiting || !entry.hasState || entry.pending) return true;
    if (change.deleted) return entry.known !== null;
    return entry.known === null || !sameRecord(entry.known, change.fields);
  });
}
