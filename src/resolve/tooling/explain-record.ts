import type { ExistenceDecision, FieldDecision } from '../../model/conflict.js';
import type { FieldValue, Fields } from '../../model/record.js';
import {
  planRecord,
  type FieldChangeKind,
  type PlannedWrite,
  type RecordChangeKind,
  type RecordInput,
} from '../../diff/plan-record.js';
import type { ConflictResolver } from '../../model/conflict-resolver.js';

/** One field of an explanation. Absent values are null. */
export interface FieldExplanation {
  readonly field: string;
  readonly base: FieldValue;
  readonly erp: FieldValue;
  readonly crm: FieldValue;
  /** Where it changed since the base: `unchanged`, `erp`, `crm`, `both-same`, `conflict`. */
  readonly change: FieldChangeKind;
  /** The decision for a conflicting field; null otherwise. */
  readonly decision: {
    readonly take: FieldDecision['take'];
    readonly value: FieldValue | null;
    readonly rule: string;
    readonly reason: string;
  } | null;
  /** The value both sides hold once the plan is applied (the base while a person decides). */
  readonly target: FieldValue;
  readonly queued: boolean;
  /** What is written to each side for this field; undefined when nothing is. */
  readonly writeErp?: FieldValue;
  readonly writeCrm?: FieldValue;
}

/** Why a record would sync the way it does: plain data, serialisable as JSON (`--json`). */
export interface Explanation {
  readonly object: string;
  readonly key: string;
  readonly kind: RecordChangeKind;
  readonly resolver: string;
  readonly policyVersion: string | null;
  readonly erpModifiedAt: string | null;
  readonly crmModifiedAt: string | null;
  readonly erpState: 'present' | 'deleted' | 'absent';
  readonly crmState: 'present' | 'deleted' | 'absent';
  readonly fields: readonly FieldExplanation[];
  readonly existence: {
    readonly take: ExistenceDecision['take'];
    readonly rule: string;
    readonly reason: string;
  } | null;
  readonly writes: { readonly erp: PlannedWrite | null; readonly crm: PlannedWrite | null };
  readonly queued: readonly string[];
}

function state(side: RecordInput['erp']): 'present' | 'deleted' | 'absent' {
  return side === null ? 'absent' : side.deleted ? 'deleted' : 'present';
}

function valueIn(fields: Fields | null | undefined, field: string): FieldValue {
  const v = fields?.[field];
  return v === undefined ? null : v;
}

/**
 * Explains one record: per field, base and both sides' values, where it changed, which rule decided and why, and
 * what would be written to each side. Pure: it runs the planner with the given resolver.
 *
 * @example
 * ```ts
 * console.log(renderExplanation(explainRecord(input, (await loadPolicyFile(file, { mapping })).resolver)))
 * ```
 */
export function explainRecord(input: RecordInput, resolver: ConflictResolver): Explanation {
  const plan = planRecord(input, resolver);
  const decisions = new Map<string, FieldDecision>();
  let existence: ExistenceDecision | undefined;
  for (const d of plan.decisions) {
    if (d.kind === 'field') decisions.set(d.field, d);
    else existence = d;
  }
  const names =
    plan.fields.length > 0
      ? plan.fields.map((f) => f.field)
      : [
          ...new Set([
            ...Object.keys(input.base ?? {}),
            ...Object.keys(input.erp?.fields ?? {}),
            ...Object.keys(input.crm?.fields ?? {}),
          ]),
        ].sort();
  const outcomes = new Map(plan.fields.map((f) => [f.field, f]));
  const fields = names.map((field): FieldExplanation => {
    const o = outcomes.get(field);
    const d = decisions.get(field);
    const erpWrite = plan.writes.erp?.fields;
    const crmWrite = plan.writes.crm?.fields;
    return {
      field,
      base: o?.base ?? valueIn(input.base, field),
      erp: o?.erp ?? (input.erp && !input.erp.deleted ? valueIn(input.erp.fields, field) : null),
      crm: o?.crm ?? (input.crm && !input.crm.deleted ? valueIn(input.crm.fields, field) : null),
      change: o?.change ?? 'unchanged',
      decision: d
        ? { take: d.take, value: d.take === 'value' ? (d.value ?? null) : null, rule: d.rule, reason: d.reason }
        : null,
      target: o?.target ?? (plan.target ? valueIn(plan.target, field) : null),
      queued: o?.queued ?? false,
      ...(erpWrite && field in erpWrite ? { writeErp: valueIn(erpWrite, field) } : {}),
      ...(crmWrite && field in crmWrite ? { writeCrm: valueIn(crmWrite, field) } : {}),
    };
  });
  return {
    object: input.object,
    key: input.key,
    kind: plan.kind,
    resolver: resolver.name,
    policyVersion: plan.policyVersion,
    erpModifiedAt: input.erp?.modifiedAt ?? null,
    crmModifiedAt: input.crm?.modifiedAt ?? null,
    erpState: state(input.erp),
    crmState: state(input.crm),
    fields,
    existence: existence ? { take: existence.take, rule: existence.rule, reason: existence.reason } : null,
    writes: plan.writes,
    queued: plan.queued,
  };
}
