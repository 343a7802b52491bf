import type { SideVersion } from '../model/conflict.js';
import type { Fields } from '../model/record.js';
import { otherSystem, type SystemId } from '../model/system.js';
import type { WriteResult } from '../connectors/connector.js';
import type { RecordPlan } from '../diff/plan-record.js';
import type { OutboxEntry, QueuedConflictRow, RecordState, StagedChange } from '../model/record-rows.js';
import { derivedKey } from './staged-change.js';

/**
 * Pure state transitions of one record: what tandem knows before and after planning, and after each side's
 * confirmation. Kept apart from I/O so the invariants (no lost update, base moves only on confirmation) can be
 * property-tested without a database.
 */

const EPOCH = '1970-01-01T00:00:00.000000Z';

/** The record on one side now: the captured change if there is one, else what tandem last knew. */
export function observedSide(
  system: SystemId,
  state: RecordState | undefined,
  staged: StagedChange | undefined,
): SideVersion | null {
  if (staged) return { fields: staged.fields, modifiedAt: staged.modifiedAt, deleted: staged.deleted };
  if (!state) return null;
  const fields = system === 'erp' ? state.erp : state.crm;
  if (fields === null) return null;
  return {
    fields,
    modifiedAt: (system === 'erp' ? state.erpModifiedAt : state.crmModifiedAt) ?? EPOCH,
    deleted: false,
  };
}

export interface PlannedTransition {
  /** The record's state to store now (null: nothing worth storing, e.g. a tombstone of a record never synced). */
  readonly state: RecordState | null;
  readonly outbox: readonly OutboxEntry[];
  /** The conflict to queue for a person, when fields wait. */
  readonly conflict: QueuedConflictRow | null;
}

function presentFields(side: SideVersion | null): Fields | null {
  return side && !side.deleted ? side.fields : null;
}

/**
 * The state and outbox after planning. The base does not move while writes are in flight: the plan's target is
 * kept as `pending` and becomes the base only once every write is confirmed (see `confirmWrite`).
 *
 * `keyUnconfirmed`: sides where a write that sets the key on a record created there without one is still in flight
 * or failed. Without a fresh capture saying so, only this tells that the record there still lacks the key: it must be
 * addressed by its native id again (an upsert on the key would create a second record).
 */
export function planTransition(
  key: string,
  prior: RecordState | undefined,
  staged: { readonly erp?: StagedChange; readonly crm?: StagedChange } | undefined,
  plan: RecordPlan,
  keyUnconfirmed: ReadonlySet<SystemId> = new Set(),
): PlannedTransition {
  const erpObs = observedSide('erp', prior, staged?.erp);
  const crmObs = observedSide('crm', prior, staged?.crm);
  const erp = presentFields(erpObs);
  const crm = presentFields(crmObs);
  const hasWrites = plan.writes.erp !== null || plan.writes.crm !== null;
  const base = prior?.base ?? null;

  const outbox: OutboxEntry[] = [];
  for (const system of ['erp', 'crm'] as const) {
    const write = plan.writes[system];
    const side = system === 'erp' ? erp : crm;
    const change = staged?.[system];
    const nativeId = change?.nativeId ?? (system === 'erp' ? prior?.erpId : prior?.crmId) ?? null;
    const keyMissing =
      change !== undefined
        ? change.keyMissing && !change.deleted
        : keyUnconfirmed.has(system) && nativeId !== null && side !== null;
    if (write) {
      if (write.op === 'delete') {
        outbox.push({ system, key, op: 'delete', payload: {}, after: null, nativeId, setKey: false });
      } else {
        const after = side ? { ...side, ...write.fields } : { ...(plan.target ?? {}), ...write.fields };
        outbox.push({
          system,
          key,
          op: 'upsert',
          payload: write.fields,
          after,
          nativeId: keyMissing ? nativeId : null,
          setKey: keyMissing,
        });
      }
    } else if (keyMissing && side) {
      // The side holds the record without the key: write the key back, nothing else.
      outbox.push({ system, key, op: 'upsert', payload: {}, after: side, nativeId, setKey: true });
    }
  }

  let state: RecordState | null;
  if (prior === undefined && erp === null && crm === null && !hasWrites) {
    state = null;
  } else {
    const settled = outbox.length === 0;
    state = {
      key,
      base: settled ? (plan.kind === 'none' || plan.kind === 'both-deleted' ? null : plan.target) : base,
      erp,
      crm,
      erpId: staged?.erp?.nativeId ?? prior?.erpId ?? null,
      crmId: staged?.crm?.nativeId ?? prior?.crmId ?? null,
      erpModifiedAt: staged?.erp?.modifiedAt ?? prior?.erpModifiedAt ?? null,
      crmModifiedAt: staged?.crm?.modifiedAt ?? prior?.crmModifiedAt ?? null,
      pending: settled ? null : plan.target,
      pendingDelete: !settled && plan.target === null,
    };
  }

  let conflict: QueuedConflictRow | null = null;
  if (plan.queued.length > 0) {
    const existence = plan.kind === 'erp-deleted' || plan.kind === 'crm-deleted' ? plan.kind : null;
    const manual = plan.decisions.filter((d) => d.take === 'manual');
    conflict = {
      key,
      fields: plan.fields
        .filter((f) => f.queued)
        .map((f) => ({ field: f.field, base: f.base, erp: f.erp, crm: f.crm })),
      existence,
      erpModifiedAt: erpObs?.modifiedAt ?? null,
      crmModifiedAt: crmObs?.modifiedAt ?? null,
      rule: [...new Set(manual.map((d) => d.rule))].join('; ') || 'manual',
      reason: [...new Set(manual.map((d) => d.reason))].join('; ') || 'waits for a person',
      policyVersion: plan.policyVersion ?? 'manual',
    };
  }
  return { state, outbox, conflict };
}

export function isConfirmed(result: WriteResult): boolean {
  return result.status === 'created' || result.status === 'updated' || result.status === 'deleted';
}

/**
 * The state after one side answered one planned write. A confirmed write makes the side hold `after`; when no other
 * write of the plan is outstanding, the pending target becomes the base. A failed write clears the pending target,
 * so the base stays where both sides last agreed and the record is planned again on retry.
 */
export function confirmWrite(
  state: RecordState,
  entry: OutboxEntry,
  result: WriteResult,
  otherSideOutstanding: boolean,
): RecordState {
  const system = entry.system;
  if (!isConfirmed(result)) return { ...state, pending: null, pendingDelete: false };
  const sideFields = entry.op === 'delete' ? null : (entry.after ?? {});
  const nativeId = result.nativeId ?? (system === 'erp' ? state.erpId : state.crmId);
  let next: RecordState =
    system === 'erp'
      ? { ...state, erp: sideFields, erpId: entry.op === 'delete' ? state.erpId : nativeId }
      : { ...state, crm: sideFields, crmId: entry.op === 'delete' ? state.crmId : nativeId };
  if (!otherSideOutstanding && (next.pending !== null || next.pendingDelete)) {
    next = { ...next, base: next.pendingDelete ? null : next.pending, pending: null, pendingDelete: false };
  }
  return next;
}

/**
 * Settles writes whose results were never recorded (the process died after the side confirmed them): when a side is
 * read back holding exactly what tandem planned to write there, the write landed, and the change read is tandem's
 * own echo. Without this, a record created by tandem just before a crash would look "created on both sides" and a
 * later edit could lose a conflict against tandem's own copy.
 */
export function settleEchoes(
  prior: RecordState | undefined,
  staged: { readonly erp?: StagedChange; readonly crm?: StagedChange } | undefined,
  outbox: { readonly erp?: OutboxEntry; readonly crm?: OutboxEntry } | undefined,
): { readonly state: RecordState | undefined; readonly settled: readonly OutboxEntry[] } {
  if (!prior || !outbox || (prior.pending === null && !prior.pendingDelete)) return { state: prior, settled: [] };
  let state: RecordState = prior;
  const settled: OutboxEntry[] = [];
  for (const system of ['erp', 'crm'] as const) {
    const entry = outbox[system];
    const seen = staged?.[system];
    if (!entry || !seen) continue;
    // tandem's create of a record that came keyless from the other side: nobody else writes that derived key, so
    // the record being there proves the create landed, even if a user has edited it since. (Any other key may have
    // been created there by a user meanwhile, so only an exact echo proves it.)
    const otherId = system === 'erp' ? prior.crmId : prior.erpId;
    const created =
      entry.op === 'upsert' &&
      (system === 'erp' ? prior.erp : prior.crm) === null &&
      !seen.deleted &&
      !seen.keyMissing &&
      otherId !== null &&
      entry.key === derivedKey(otherSystem(system), otherId);
    const landed =
      entry.op === 'delete'
        ? seen.deleted
        : created ||
          (!seen.deleted &&
            Object.entries(entry.payload).every(([field, value]) => sameFieldValue(seen.fields[field], value)) &&
            !(entry.setKey && seen.keyMissing));
    if (!landed) continue;
    settled.push(entry);
    const other = system === 'erp' ? outbox.crm : outbox.erp;
    // A write that only sets the key changes no field: both sides already agree on the fields without it.
    const otherOutstanding =
      other !== undefined &&
      !settled.includes(other) &&
      (other.op === 'delete' || Object.keys(other.payload).length > 0);
    state = confirmWrite(
      state,
      entry,
      {
        key: entry.key,
        status: entry.op === 'delete' ? 'deleted' : 'updated',
        ...(seen.nativeId ? { nativeId: seen.nativeId } : {}),
      },
      otherOutstanding,
    );
  }
  // Every field write confirmed and only a key write left (e.g. its job never ran): the sides agree on the fields,
  // so the target is the base. Merging against an empty base instead would take one side's cleared field for "never set".
  const unsettled = [outbox.erp, outbox.crm].filter((e): e is OutboxEntry => e !== undefined && !settled.includes(e));
  if (
    (state.pending !== null || state.pendingDelete) &&
    unsettled.length > 0 &&
    unsettled.every((e) => e.op === 'upsert' && Object.keys(e.payload).length === 0)
  ) {
    state = { ...state, base: state.pendingDelete ? null : state.pending, pending: null, pendingDelete: false };
  }
  return { state, settled };
}

function sameFieldValue(a: Fields[string] | undefined, b: Fields[string] | undefined): boolean {
  return (a ?? null) === (b ?? null);
}
