import { sameRecord } from '../diff/canonical-json.js';
import type { NativeRecord } from '../model/record.js';
import type { SystemId } from '../model/system.js';
import type { Logger } from '../util/logger.js';
import { readAhead } from '../util/read-ahead.js';
import type { StagedChange } from '../model/record-rows.js';
import type { RunHandle } from './run-counts.js';
import { toStagedChange } from './staged-change.js';
import { screenUnstorable } from './unstorable-values.js';
import type { SyncContext, SyncObject, SyncOptions } from './sync-object.js';

/**
 * Reads one side's changes since its watermark and stages them in the inbox, page by page; each page and the
 * watermark after it are stored in one transaction. The next page is read while one is staged (readAhead). A change identical to what tandem already knows of that side
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
  const pagesRead = source.readChanges(stream, since, {
    batchSize: options.batchSize ?? 5000,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  for await (const batch of readAhead(pagesRead)) {
    const screened = screenUnstorable(system, object.name, batch.records);
    for (const s of screened.stripped) log.warn(s, 'removed U+0000 (NUL) characters, which Postgres cannot store');
    if (screened.failed.length > 0) {
      log.warn({ keys: screened.failed.map((f) => f.key) }, 'records with U+0000 (NUL) in their key are not synced');
      await ctx.store.records.apply(ctx.sync, object.name, { failed: screened.failed });
    }
    const records = await keyTombstones(ctx, object.name, system, screened.records, knowsRecords, log);
    const changes = records.map((record) => toStagedChange(system, record, object.mapper));
    const fresh = knowsRecords ? await dropKnown(ctx, object.name, system, changes) : changes;
    await ctx.store.staging.stageChanges(watermarkKey, fresh, batch.watermark, run.id);
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
 * Gives id-only tombstones (deleted, no key: a source that reports deletes by native id, like Zoho's deleted-records
 * endpoint, or a row deleted before it had a key) the key tandem knows that native id under, through the record
 * state (or a change waiting in the inbox). A tombstone whose id tandem does not know is dropped: nothing of it was
 * ever synced, so there is nothing to delete.
 */
export async function keyTombstones(
  ctx: SyncContext,
  object: string,
  system: SystemId,
  records: readonly NativeRecord[],
  knowsRecords: boolean,
  log: Logger,
): Promise<readonly NativeRecord[]> {
  const idOnly = records.filter((r) => r.deleted && r.key === '' && r.nativeId !== '');
  if (idOnly.length === 0) return records;
  const keys = knowsRecords
    ? await ctx.store.records.keysOfNativeIds(
        ctx.sync,
        object,
        system,
        idOnly.map((r) => r.nativeId),
      )
    : new Map<string, string>();
  const unknown = idOnly.filter((r) => !keys.has(r.nativeId)).map((r) => r.nativeId);
  if (unknown.length > 0) log.debug({ nativeIds: unknown }, 'tombstones of native ids tandem does not know: ignored');
  const out: NativeRecord[] = [];
  for (const r of records) {
    if (!r.deleted || r.key !== '' || r.nativeId === '') out.push(r);
    else {
      const key = keys.get(r.nativeId);
      if (key !== undefined) out.push({ ...r, key });
    }
  }
  return out;
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
