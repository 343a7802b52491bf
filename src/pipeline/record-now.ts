import type { StagedChange } from '../model/record-rows.js';
import { SYSTEMS, type SystemId } from '../model/system.js';
import { dropKnown } from './capture-stage.js';
import { plannerInput, type PlannerView, type StagedSides } from './plan-key.js';
import { toStagedChange } from './staged-change.js';
import type { SyncContext, SyncObject } from './sync-object.js';

/** One record as both systems hold it now, turned into the planner's input. */
export interface RecordNow {
  /** The planner's view, built by `plannerInput` as `sync --dry-run` builds it, with both sides read now. */
  readonly view: PlannerView;
  /** Per side: `found` (read now), `absent` (no record with this key there now) or `unreadable` (no `readKeys`). */
  readonly sides: Readonly<Record<SystemId, 'found' | 'absent' | 'unreadable'>>;
}

/**
 * Reads one key from both systems (each connector's `Source.readKeys`) and builds the planner's input from it and
 * the stored state, exactly as a dry run would for a record it captured: tandem's own writes read back are dropped
 * (`dropKnown`), then `plannerInput` overlays the reads on the inbox. A side whose connector cannot read by key
 * is taken from the stored state and reported `unreadable`. Writes nothing.
 */
export async function readRecordNow(
  ctx: SyncContext,
  object: SyncObject,
  key: string,
  signal?: AbortSignal,
): Promise<RecordNow> {
  const captured: { erp?: StagedChange; crm?: StagedChange } = {};
  const sides: Record<SystemId, 'found' | 'absent' | 'unreadable'> = { erp: 'unreadable', crm: 'unreadable' };
  for (const system of SYSTEMS) {
    const source = ctx.connectors[system].createSource();
    if (source.readKeys === undefined) continue;
    const records = await source.readKeys(object.streams[system], [key], signal ? { signal } : {});
    const changes = records.map((record) => toStagedChange(system, record, object.mapper)).filter((c) => c.key === key);
    sides[system] = changes.length > 0 ? 'found' : 'absent';
    const fresh = await dropKnown(ctx, object.name, system, changes);
    const change = fresh[fresh.length - 1];
    if (change !== undefined) captured[system] = change;
  }
  const loaded = await ctx.store.staging.loadForPlanning(ctx.sync, object.name, [key]);
  const overlay: StagedSides | undefined = captured.erp || captured.crm ? captured : undefined;
  return { view: plannerInput(object, key, loaded, overlay), sides };
}
