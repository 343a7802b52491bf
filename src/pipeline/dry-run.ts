import { planRecord, type RecordChangeKind } from '../diff/plan-record.js';
import type { Fields } from '../model/record.js';
import { SYSTEMS, type SystemId } from '../model/system.js';
import type { StagedChange } from '../model/record-rows.js';
import { observedSide } from './record-transition.js';
import { selectObjects } from './run-sync.js';
import { toStagedChange } from './staged-change.js';
import type { SyncContext, SyncOptions } from './sync-object.js';

export interface DryRunWrite {
  readonly key: string;
  readonly op: 'upsert' | 'delete';
  /** Native field names, as they would be sent. */
  readonly fields: Fields;
}

export interface DryRunObjectPlan {
  readonly object: string;
  readonly captured: Readonly<Record<SystemId, number>>;
  readonly plan: Partial<Record<RecordChangeKind, number>>;
  readonly writes: Readonly<Record<SystemId, number>>;
  readonly conflicts: { readonly decided: number; readonly queued: number };
  /** The first planned writes per side, for a person to read. */
  readonly examples: Readonly<Record<SystemId, readonly DryRunWrite[]>>;
  /** True when more changes were waiting than a dry run reads (`maxRecords`). */
  readonly truncated: boolean;
}

/**
 * What a sync would do now, without doing it: reads both sides' changes since the stored watermarks (into memory,
 * at most `maxRecords` per side), plans them against the stored state and reports the writes. Writes nothing to
 * either side and changes no state.
 */
export async function dryRunSync(
  ctx: SyncContext,
  options: SyncOptions & { readonly maxRecords?: number; readonly examples?: number } = {},
): Promise<readonly DryRunObjectPlan[]> {
  const maxRecords = options.maxRecords ?? 100_000;
  const exampleCount = options.examples ?? 5;
  const plans: DryRunObjectPlan[] = [];
  for (const object of selectObjects(ctx, options.objects)) {
    const captured = new Map<string, { erp?: StagedChange; crm?: StagedChange }>();
    const counts = { erp: 0, crm: 0 };
    let truncated = false;
    for (const system of SYSTEMS) {
      const stored = await ctx.store.watermarks.get({ sync: ctx.sync, object: object.name, system });
      const source = ctx.connectors[system].createSource();
      const since = options.full ? undefined : stored?.watermark;
      for await (const batch of source.readChanges(object.streams[system], since, {
        batchSize: options.batchSize ?? 5000,
        ...(options.signal ? { signal: options.signal } : {}),
      })) {
        for (const record of batch.records) {
          const change = toStagedChange(system, record, object.mapper);
          captured.set(change.key, { ...captured.get(change.key), [system]: change });
          counts[system] += 1;
        }
        if (counts[system] >= maxRecords) {
          truncated = true;
          break;
        }
      }
    }
    const keys = [...captured.keys()].sort();
    const plan: Partial<Record<RecordChangeKind, number>> = {};
    const writes = { erp: 0, crm: 0 };
    const examples: Record<SystemId, DryRunWrite[]> = { erp: [], crm: [] };
    const conflicts = { decided: 0, queued: 0 };
    for (let i = 0; i < keys.length; i += 5000) {
      const chunk = keys.slice(i, i + 5000);
      const input = await ctx.store.loadForPlanning(ctx.sync, object.name, chunk);
      for (const key of chunk) {
        const prior = input.states.get(key);
        const staged = { ...input.inbox.get(key), ...captured.get(key) };
        const result = planRecord(
          {
            object: object.name,
            key,
            base: prior?.base ?? null,
            erp: observedSide('erp', prior, staged.erp),
            crm: observedSide('crm', prior, staged.crm),
            fields: object.mapper.fieldNames,
            directions: object.mapper.directions,
          },
          object.resolver,
        );
        plan[result.kind] = (plan[result.kind] ?? 0) + 1;
        conflicts.decided += result.decisions.filter((d) => d.take !== 'manual').length;
        if (result.queued.length > 0) conflicts.queued += 1;
        for (const system of SYSTEMS) {
          const write = result.writes[system];
          if (!write) continue;
          writes[system] += 1;
          if (examples[system].length < exampleCount)
            examples[system].push({ key, op: write.op, fields: object.mapper.toNative(system, write.fields) });
        }
      }
    }
    plans.push({ object: object.name, captured: counts, plan, writes, conflicts, examples, truncated });
  }
  return plans;
}
