import type { RecordChangeKind } from '../diff/plan-record.js';
import type { SystemId } from '../model/system.js';
import type { DecisionRow, OutboxEntry, QueuedConflictRow, RecordState } from '../model/record-rows.js';
import { sideBySide } from '../util/side-by-side.js';
import { planKey } from './plan-key.js';
import type { ObjectCounts, RunHandle } from './run-counts.js';
import type { SyncContext, SyncObject, SyncOptions } from './sync-object.js';

/**
 * Plans every key waiting in the inbox (plus failed records due for retry and answered conflicts), in key order and
 * in chunks: three-way diff, resolution, and the writes per side go to the outbox. Each chunk is one transaction:
 * the inbox entries it consumed, the new record states, the outbox, queued conflicts and decisions.
 *
 * First, when the store can (`store.bulkPlan`), the records tandem has never seen that exist on one side only are
 * planned set-based in SQL (planOneSided); the keys left in the inbox then go through the planner one by one.
 */
export async function planObject(
  ctx: SyncContext,
  object: SyncObject,
  run: RunHandle,
  options: SyncOptions,
): Promise<void> {
  const counts = run.counts[object.name]!;
  const chunkSize = options.batchSize ?? 5000;
  const now = ctx.now?.() ?? new Date();
  let after: string | null = null;
  options.onProgress?.({ object: object.name, stage: 'plan', phase: 'started', done: 0 });
  let done = await planOneSided(ctx, object, run, options, now);
  // Tables with nothing for this object need no lookup per key (a first load has no state, conflicts or outbox).
  const presence = await ctx.store.staging.presence(ctx.sync, object.name);
  for (;;) {
    const keys = await ctx.store.staging.nextPlanKeys(ctx.sync, object.name, after, chunkSize, now);
    if (keys.length === 0) break;
    const input = await ctx.store.staging.loadForPlanning(ctx.sync, object.name, keys, presence);
    const states: RecordState[] = [];
    const outbox: OutboxEntry[] = [];
    const conflicts: QueuedConflictRow[] = [];
    const resolveConflicts: string[] = [];
    const decisions: DecisionRow[] = [];
    const deleteFailed: { system: SystemId; key: string }[] = [];
    const deleteOutbox: { system: SystemId; key: string }[] = [];
    for (const key of keys) {
      const { view, plan, transition } = planKey(object, key, input);
      const inFlight = view.inFlight;
      if (transition.state) states.push(transition.state);
      outbox.push(...transition.outbox);
      // A write planned earlier that this plan no longer wants (settled, or overtaken by newer changes) is dropped.
      for (const system of ['erp', 'crm'] as const) {
        if (inFlight?.[system] && !transition.outbox.some((o) => o.system === system))
          deleteOutbox.push({ system, key });
      }
      if (transition.conflict) conflicts.push(transition.conflict);
      else if (input.openConflicts.has(key)) resolveConflicts.push(key);
      if (plan.decisions.length > 0) {
        // Kept with the decision so `tandem policy diff` can replay real conflicts through another policy version.
        decisions.push({
          key,
          kind: plan.kind,
          decisions: {
            decisions: plan.decisions,
            base: view.input.base,
            erp: view.input.erp,
            crm: view.input.crm,
            conflictingFields: plan.fields.filter((f) => f.change === 'conflict').map((f) => f.field),
          },
          policyVersion: plan.policyVersion,
        });
      }
      for (const system of input.failed.get(key) ?? []) {
        if (!transition.outbox.some((o) => o.system === system)) deleteFailed.push({ system, key });
      }
      bump(counts, plan.kind);
      counts.conflicts.decided += plan.decisions.filter((d) => d.take !== 'manual').length;
      if (transition.conflict) counts.conflicts.queued += 1;
    }
    await ctx.store.records.apply(
      ctx.sync,
      object.name,
      { states, deleteInbox: keys, deleteOutbox, outbox, conflicts, resolveConflicts, decisions, deleteFailed },
      { id: run.id, counts: run.counts, now },
    );
    done += keys.length;
    options.onProgress?.({ object: object.name, stage: 'plan', done });
    after = keys[keys.length - 1]!;
  }
  options.onProgress?.({ object: object.name, stage: 'plan', phase: 'finished', done });
  await options.checkpoint?.(`planned:${object.name}`);
}

/** Keys per transaction of set-based planning: ten normal planning chunks (50,000 by default). */
const ONE_SIDED_CHUNKS = 10;

/**
 * Plans the one-sided records tandem has never seen set-based, a key range per transaction (each with the run's
 * counters), and returns how many it planned. Their plan is always a create on the other side; the store writes
 * exactly what planKey + applyWriteSet would (postgres-bulk-plan.ts), and counts them as the normal loop does.
 * The ranges are disjoint, so the store plans as many side by side as it runs transactions usefully at once.
 */
async function planOneSided(
  ctx: SyncContext,
  object: SyncObject,
  run: RunHandle,
  options: SyncOptions,
  now: Date,
): Promise<number> {
  const planner = ctx.store.bulkPlan;
  if (!planner) return 0;
  const counts = run.counts[object.name]!;
  const limit = (options.batchSize ?? 5000) * ONE_SIDED_CHUNKS;
  let afterKey: string | null = null;
  let done = 0;
  const nextRange = async () => {
    const range = await planner.nextRange(ctx.sync, object.name, afterKey, limit);
    if (range !== null) afterKey = range.lastKey;
    return range;
  };
  await sideBySide(ctx.store.parallelTransactions ?? 1, nextRange, async (range) => {
    const chunk = await planner.planOneSidedRange(ctx.sync, object.name, range, object.mapper.fieldNames, {
      id: run.id,
      now,
      counts: (planned) => {
        bump(counts, 'erp-created', planned.erp);
        bump(counts, 'crm-created', planned.crm);
        return run.counts;
      },
    });
    const planned = chunk.erp + chunk.crm;
    if (planned === 0) return;
    done += planned;
    options.onProgress?.({ object: object.name, stage: 'plan', done });
    await options.checkpoint?.(`bulk-planned-chunk:${object.name}`);
  });
  return done;
}

function bump(counts: ObjectCounts, kind: RecordChangeKind, n = 1): void {
  if (n > 0) counts.plan[kind] = (counts.plan[kind] ?? 0) + n;
}
