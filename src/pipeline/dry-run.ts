import type { RecordChangeKind } from '../diff/plan-record.js';
import type { OutboundRecord } from '../connectors/connector.js';
import type { StagedChange } from '../model/record-rows.js';
import { SYSTEMS, type SystemId } from '../model/system.js';
import { dropKnown, keyTombstones } from './capture-stage.js';
import { planKey, type StagedSides } from './plan-key.js';
import { selectObjects } from './run-sync.js';
import { toStagedChange } from './staged-change.js';
import type { SyncContext, SyncObject, SyncOptions } from './sync-object.js';
import { outboundRecord } from './write-stage.js';

/** A write as it would be sent to its side: native field names, addressed by native id when it must be. */
export type DryRunWrite = OutboundRecord;

export interface DryRunObjectPlan {
  readonly object: string;
  /** Changes read that the run would stage (tandem's own writes read back are not counted, as in a run). */
  readonly captured: Readonly<Record<SystemId, number>>;
  readonly plan: Partial<Record<RecordChangeKind, number>>;
  /** Writes the run would send per side: those it would plan, and those an earlier run planned and did not send. */
  readonly writes: Readonly<Record<SystemId, number>>;
  readonly conflicts: { readonly decided: number; readonly queued: number };
  /** The first planned writes per side, for a person to read. */
  readonly examples: Readonly<Record<SystemId, readonly DryRunWrite[]>>;
  /** True when more changes were waiting than a dry run reads (`maxRecords`). */
  readonly truncated: boolean;
}

const CHUNK = 5000;

/**
 * What a sync would do now, without doing it: reads both sides' changes since the stored watermarks (into memory,
 * at most `maxRecords` per side), plans them, together with everything the store holds for the next run (captured
 * changes an interrupted run did not plan, failed records due for retry, answered conflicts), with the same planner
 * input as a run (`planKey`), and reports the writes, including writes planned earlier and not yet sent. Writes
 * nothing to either side and changes no state. Remote jobs a crashed run left open are not resumed.
 */
export async function dryRunSync(
  ctx: SyncContext,
  options: SyncOptions & { readonly maxRecords?: number; readonly examples?: number } = {},
): Promise<readonly DryRunObjectPlan[]> {
  const maxRecords = options.maxRecords ?? 100_000;
  const exampleCount = options.examples ?? 5;
  const plans: DryRunObjectPlan[] = [];
  for (const object of selectObjects(ctx, options.objects)) {
    const { captured, counts, truncated } = await captureIntoMemory(ctx, object, options, maxRecords);
    const keys = await keysToPlan(ctx, object, captured);
    const plan: Partial<Record<RecordChangeKind, number>> = {};
    const writes = { erp: 0, crm: 0 };
    const examples: Record<SystemId, DryRunWrite[]> = { erp: [], crm: [] };
    const conflicts = { decided: 0, queued: 0 };
    const addWrite = (system: SystemId, write: DryRunWrite) => {
      writes[system] += 1;
      if (examples[system].length < exampleCount) examples[system].push(write);
    };
    for (let i = 0; i < keys.length; i += CHUNK) {
      const chunk = keys.slice(i, i + CHUNK);
      const loaded = await ctx.store.staging.loadForPlanning(ctx.sync, object.name, chunk);
      for (const key of chunk) {
        const { plan: result, transition } = planKey(object, key, loaded, captured.get(key));
        plan[result.kind] = (plan[result.kind] ?? 0) + 1;
        conflicts.decided += result.decisions.filter((d) => d.take !== 'manual').length;
        if (transition.conflict) conflicts.queued += 1;
        for (const entry of transition.outbox)
          addWrite(entry.system, outboundRecord(entry, object.mapper, entry.system));
      }
    }
    // The write stage sends a side's whole outbox: writes planned by an earlier run for keys not planned again too.
    const planned = new Set(keys);
    for (const system of SYSTEMS) {
      let after: string | null = null;
      for (;;) {
        const entries = await ctx.store.staging.readOutbox(ctx.sync, object.name, system, after, CHUNK);
        if (entries.length === 0) break;
        for (const entry of entries)
          if (!planned.has(entry.key)) addWrite(system, outboundRecord(entry, object.mapper, system));
        after = entries[entries.length - 1]!.key;
      }
    }
    plans.push({ object: object.name, captured: counts, plan, writes, conflicts, examples, truncated });
  }
  return plans;
}

/** Reads both sides' changes since the stored watermarks, dropping those capture would drop (tandem's own echoes). */
async function captureIntoMemory(
  ctx: SyncContext,
  object: SyncObject,
  options: SyncOptions,
  maxRecords: number,
): Promise<{ captured: Map<string, StagedSides>; counts: Record<SystemId, number>; truncated: boolean }> {
  const captured = new Map<string, { erp?: StagedChange; crm?: StagedChange }>();
  const counts = { erp: 0, crm: 0 };
  let truncated = false;
  const presence = await ctx.store.staging.presence(ctx.sync, object.name);
  const knowsRecords = presence.states || presence.inbox;
  for (const system of SYSTEMS) {
    const stored = await ctx.store.watermarks.get({ sync: ctx.sync, object: object.name, system });
    const source = ctx.connectors[system].createSource();
    const since = options.full ? undefined : stored?.watermark;
    let read = 0;
    for await (const batch of source.readChanges(object.streams[system], since, {
      batchSize: options.batchSize ?? CHUNK,
      ...(options.signal ? { signal: options.signal } : {}),
    })) {
      // Id-only tombstones keyed as the run would (I13: the dry run shows the plan the next run makes).
      const records = await keyTombstones(ctx, object.name, system, batch.records, knowsRecords, ctx.logger);
      const changes = records.map((record) => toStagedChange(system, record, object.mapper));
      const fresh = knowsRecords ? await dropKnown(ctx, object.name, system, changes) : changes;
      for (const change of fresh) captured.set(change.key, { ...captured.get(change.key), [system]: change });
      counts[system] += fresh.length;
      read += batch.records.length;
      if (read >= maxRecords) {
        truncated = true;
        break;
      }
    }
  }
  return { captured, counts, truncated };
}

/** The keys a run would plan: those waiting in the store (as the plan stage reads them) and those just captured. */
async function keysToPlan(
  ctx: SyncContext,
  object: SyncObject,
  captured: ReadonlyMap<string, StagedSides>,
): Promise<string[]> {
  const keys = new Set(captured.keys());
  const now = ctx.now?.() ?? new Date();
  let after: string | null = null;
  for (;;) {
    const page: readonly string[] = await ctx.store.staging.nextPlanKeys(ctx.sync, object.name, after, CHUNK, now);
    if (page.length === 0) break;
    for (const key of page) keys.add(key);
    after = page[page.length - 1]!;
  }
  return [...keys].sort();
}
