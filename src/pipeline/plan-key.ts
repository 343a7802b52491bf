import { planRecord, type RecordInput, type RecordPlan } from '../diff/plan-record.js';
import type { OutboxEntry, PlanningInput, RecordState, StagedChange } from '../model/record-rows.js';
import type { SystemId } from '../model/system.js';
import type { ConflictResolver } from '../model/conflict-resolver.js';
import { observedSide, planTransition, settleEchoes, type PlannedTransition } from './record-transition.js';
import { derivedKey } from './staged-change.js';
import type { FieldMapper } from './sync-object.js';

/** The captured changes of one key, per side. */
export type StagedSides = { readonly erp?: StagedChange; readonly crm?: StagedChange };

/** The planned writes of one key still waiting for their side's confirmation, per side. */
export type InFlightSides = { readonly erp?: OutboxEntry; readonly crm?: OutboxEntry };

/** What the planner starts from for one key, and the state it was derived from. */
export interface PlannerView {
  /** The planner's input: base, both sides as tandem sees them now, the object's fields and a person's answer. */
  readonly input: RecordInput;
  /** The record's state once writes whose results were never recorded are settled by their echoes. */
  readonly prior: RecordState | undefined;
  /** The captured changes waiting for this key (the inbox, overlaid with `captured`). */
  readonly staged: StagedSides | undefined;
  /** Planned writes still waiting for their side's confirmation. */
  readonly inFlight: InFlightSides | undefined;
}

/**
 * The one builder of the planner's input, used by the real run (plan-stage.ts), `sync --dry-run` (dry-run.ts) and
 * `tandem policy explain` (engine/policy-context.ts), so that all three see the same record: the stored state with
 * echoes of unrecorded writes settled (`settleEchoes`), the captured changes, and a person's answer to an open
 * conflict. `captured` overlays changes read but not staged (a dry run), as staging would: per side, the newer
 * capture replaces the inbox entry.
 */
export function plannerInput(
  object: { readonly name: string; readonly mapper: Pick<FieldMapper, 'fieldNames' | 'directions'> },
  key: string,
  loaded: PlanningInput,
  captured?: StagedSides,
): PlannerView {
  const inbox = loaded.inbox.get(key);
  const staged = captured ? { ...inbox, ...captured } : inbox;
  const inFlight = loaded.outbox.get(key);
  const { state: prior } = settleEchoes(loaded.states.get(key), staged, inFlight);
  const input: RecordInput = {
    object: object.name,
    key,
    base: prior?.base ?? null,
    erp: observedSide('erp', prior, staged?.erp),
    crm: observedSide('crm', prior, staged?.crm),
    fields: object.mapper.fieldNames,
    directions: object.mapper.directions,
    answer: loaded.answers.get(key) ?? null,
  };
  return { input, prior, staged, inFlight };
}

/** One key planned: the planner's view, its plan, and the state, writes and queued conflict that follow. */
export interface KeyPlan {
  readonly view: PlannerView;
  readonly plan: RecordPlan;
  readonly transition: PlannedTransition;
}

/** Plans one key from what the store holds (and, for a dry run, what was captured into memory). Pure. */
export function planKey(
  object: {
    readonly name: string;
    readonly mapper: Pick<FieldMapper, 'fieldNames' | 'directions'>;
    readonly resolver: ConflictResolver;
  },
  key: string,
  loaded: PlanningInput,
  captured?: StagedSides,
): KeyPlan {
  const view = plannerInput(object, key, loaded, captured);
  const plan = planRecord(view.input, object.resolver);
  const transition = planTransition(
    key,
    view.prior,
    view.staged,
    plan,
    keyUnconfirmed(key, view.prior, view.inFlight, loaded.failed.get(key)),
  );
  return { view, plan, transition };
}

/**
 * Sides whose record may still lack the key: tandem's write of the key is in flight, or a write failed on a record
 * created there without a key (its key is derived from that side's native id), which may have been that write.
 */
function keyUnconfirmed(
  key: string,
  prior: RecordState | undefined,
  inFlight: InFlightSides | undefined,
  failed: ReadonlySet<SystemId> | undefined,
): Set<SystemId> {
  const sides = new Set<SystemId>();
  for (const system of ['erp', 'crm'] as const) {
    const nativeId = system === 'erp' ? prior?.erpId : prior?.crmId;
    const createdWithoutKey = nativeId != null && key === derivedKey(system, nativeId);
    if (inFlight?.[system]?.setKey || (createdWithoutKey && failed?.has(system))) sides.add(system);
  }
  return sides;
}
