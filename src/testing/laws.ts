import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import type { Conflict, Decision, Resolution } from '../model/conflict.js';
import type { Fields } from '../model/record.js';
import type { SystemId } from '../model/system.js';
import type { ConflictResolver } from '../model/conflict-resolver.js';
import { planRecord, type RecordInput, type RecordPlan } from '../diff/plan-record.js';
import { sameValue, valueOf } from '../diff/values.js';
import { laterSide, type LatestWinsOptions } from '../resolve/latest-wins.js';
import { DEFAULT_FIELDS, conflictArb, recordInputArb, type FieldSpec } from './arbitraries.js';
import { renderRecordTable } from './record-table.js';

/** A resolver, or a factory of fresh instances (stronger: determinism is then also checked across instances). */
export type ResolverSubject = ConflictResolver | (() => ConflictResolver);

export interface LawOptions {
  /** The mapping's fields; default a small set with one field of each kind. */
  readonly fields?: readonly FieldSpec[];
  readonly object?: string;
}

/** Thrown inside a property when a law is broken; its message is the readable counterexample. */
export class LawViolation extends Error {
  constructor(
    readonly law: string,
    detail: string,
    readonly table: string,
  ) {
    super(`law '${law}' broken: ${detail}\n${table}`);
    this.name = 'LawViolation';
  }
}

function instance(subject: ResolverSubject): ConflictResolver {
  return typeof subject === 'function' ? subject() : subject;
}

function conflictTable(conflict: Conflict, decisions?: readonly Decision[]): string {
  return renderRecordTable({
    object: conflict.object,
    key: conflict.key,
    base: conflict.base,
    erp: conflict.erp,
    crm: conflict.crm,
    ...(decisions ? { decisions } : {}),
  });
}

function inputTable(input: RecordInput, plan?: RecordPlan): string {
  return renderRecordTable({
    object: input.object,
    key: input.key,
    base: input.base,
    erp: input.erp,
    crm: input.crm,
    ...(plan ? { decisions: plan.decisions, extra: { target: plan.target } } : {}),
  });
}

/** Calls the resolver, turning a throw into a violation that shows the conflict. */
function resolveOrFail(law: string, resolver: ConflictResolver, conflict: Conflict): Resolution {
  try {
    return resolver.resolve(conflict);
  } catch (thrown) {
    throw new LawViolation(
      law,
      `resolver '${resolver.name}' threw: ${thrown instanceof Error ? thrown.message : String(thrown)}`,
      conflictTable(conflict),
    );
  }
}

function planOrFail(law: string, input: RecordInput, resolver: ConflictResolver): RecordPlan {
  try {
    return planRecord(input, resolver);
  } catch (thrown) {
    throw new LawViolation(
      law,
      `planning failed: ${thrown instanceof Error ? thrown.message : String(thrown)}`,
      inputTable(input),
    );
  }
}

function show(resolution: Resolution): string {
  return resolution.decisions
    .map((d) =>
      d.kind === 'existence'
        ? `existence: ${d.take}`
        : `${d.field}: ${d.take}${d.take === 'value' ? ` ${JSON.stringify(d.value)}` : ''}`,
    )
    .join(', ');
}

/**
 * Well-formed: one field decision per conflicting field (none extra), or exactly one existence decision;
 * `value` present when taken; non-empty rule, reason and policy version.
 */
export function wellFormedLaw(subject: ResolverSubject, options: LawOptions = {}): fc.IPropertyWithHooks<[Conflict]> {
  const resolver = instance(subject);
  return fc.property(conflictArb(options), (conflict) => {
    const r = resolveOrFail('well-formed', resolver, conflict);
    const fail = (detail: string): never => {
      throw new LawViolation('well-formed', detail, conflictTable(conflict, r.decisions));
    };
    if (typeof r.policyVersion !== 'string' || r.policyVersion === '') fail('empty policyVersion');
    for (const d of r.decisions) if (!d.rule || !d.reason) fail('a decision without rule or reason');
    if (conflict.kind === 'fields') {
      const fields = r.decisions.map((d) => (d.kind === 'field' ? d.field : '*existence*')).sort();
      if (!isDeepStrictEqual(fields, [...conflict.fields]))
        fail(`decisions cover [${fields.join(', ')}] but the conflicting fields are [${conflict.fields.join(', ')}]`);
      for (const d of r.decisions)
        if (d.kind === 'field' && d.take === 'value' && !('value' in d))
          fail(`take 'value' without a value for ${d.field}`);
    } else if (r.decisions.length !== 1 || r.decisions[0]?.kind !== 'existence') {
      fail('an existence conflict needs exactly one existence decision');
    }
  });
}

/** Deterministic: the same conflict gives the same resolution, twice, on a structural copy, and on a fresh instance. */
export function deterministicLaw(
  subject: ResolverSubject,
  options: LawOptions = {},
): fc.IPropertyWithHooks<[Conflict]> {
  const resolver = instance(subject);
  return fc.property(conflictArb(options), (conflict) => {
    const first = resolveOrFail('deterministic', resolver, conflict);
    const again = resolveOrFail('deterministic', resolver, structuredClone(conflict));
    const fresh = typeof subject === 'function' ? resolveOrFail('deterministic', subject(), conflict) : again;
    for (const [label, other] of [
      ['the same conflict again', again],
      ['a fresh instance', fresh],
    ] as const) {
      if (!isDeepStrictEqual(first, other)) {
        throw new LawViolation(
          'deterministic',
          `first answer [${show(first)}], ${label} gave [${show(other)}]`,
          conflictTable(conflict, first.decisions),
        );
      }
    }
  });
}

/**
 * Independent of arrival order: resolving a batch of conflicts in two orders gives the same answer per key.
 * Catches resolvers that remember earlier conflicts.
 */
export function orderIndependentLaw(
  subject: ResolverSubject,
  options: LawOptions = {},
): fc.IPropertyWithHooks<[Conflict[], number[]]> {
  const shared = instance(subject);
  const batch = fc
    .array(conflictArb(options), { minLength: 2, maxLength: 6 })
    .map((cs) => cs.map((c, i) => ({ ...c, key: `K${i + 1}` })));
  return fc.property(batch, fc.array(fc.nat(), { minLength: 6, maxLength: 6 }), (conflicts, weights) => {
    const order = conflicts.map((_, i) => i).sort((a, b) => (weights[a] ?? 0) - (weights[b] ?? 0) || b - a);
    const first = typeof subject === 'function' ? subject() : shared;
    const second = typeof subject === 'function' ? subject() : shared;
    const forward = new Map(conflicts.map((c) => [c.key, resolveOrFail('order-independent', first, c)]));
    const reordered = new Map(
      order.map((i) => [conflicts[i]!.key, resolveOrFail('order-independent', second, conflicts[i]!)]),
    );
    for (const c of conflicts) {
      const a = forward.get(c.key)!;
      const b = reordered.get(c.key)!;
      if (!isDeepStrictEqual(a, b)) {
        throw new LawViolation(
          'order-independent',
          `key ${c.key} got [${show(a)}] in arrival order ${conflicts.map((x) => x.key).join(',')} but [${show(b)}] in order ${order.map((i) => conflicts[i]!.key).join(',')}`,
          conflictTable(c, a.decisions),
        );
      }
    }
  });
}

/** Both sides and the base set to the plan's target (as if every write was confirmed). */
function settled(input: RecordInput, target: Fields | null): RecordInput {
  if (target === null) return { ...input, base: null, erp: null, crm: null };
  const at = input.erp?.modifiedAt ?? input.crm?.modifiedAt ?? '2024-01-01T00:00:00Z';
  return {
    ...input,
    base: target,
    erp: { fields: target, modifiedAt: at, deleted: false },
    crm: { fields: target, modifiedAt: at, deleted: false },
    answer: null,
  };
}

/** Idempotent: once the plan is applied, planning again (base and both sides = target) writes nothing and asks nothing. */
export function idempotentLaw(
  subject: ResolverSubject,
  options: LawOptions = {},
): fc.IPropertyWithHooks<[RecordInput]> {
  const resolver = instance(subject);
  return fc.property(recordInputArb(options), (input) => {
    const plan = planOrFail('idempotent', input, resolver);
    const next = settled(input, plan.target);
    const again = planOrFail('idempotent', next, resolver);
    if (again.writes.erp || again.writes.crm || again.decisions.length > 0) {
      throw new LawViolation(
        'idempotent',
        `after applying the plan, a second plan still writes ${JSON.stringify(again.writes)} with ${again.decisions.length} decision(s)`,
        inputTable(input, plan),
      );
    }
  });
}

/** A field edited on one side only is never overwritten: the plan keeps that side's value (two-way fields). */
export function oneSidedEditLaw(
  subject: ResolverSubject,
  options: LawOptions = {},
): fc.IPropertyWithHooks<[RecordInput]> {
  const resolver = instance(subject);
  const fields = options.fields ?? DEFAULT_FIELDS;
  const both = recordInputArb(options).filter(
    (i) => i.base !== null && !!i.erp && !i.erp.deleted && !!i.crm && !i.crm.deleted,
  );
  return fc.property(both, (input) => {
    const plan = planOrFail('one-sided-edit', input, resolver);
    for (const f of fields) {
      if ((f.direction ?? 'both') !== 'both') continue;
      const b = valueOf(input.base, f.name);
      const e = valueOf(input.erp!.fields, f.name);
      const c = valueOf(input.crm!.fields, f.name);
      const editor: SystemId | undefined =
        !sameValue(e, b) && sameValue(c, b) ? 'erp' : sameValue(e, b) && !sameValue(c, b) ? 'crm' : undefined;
      if (!editor) continue;
      const edited = editor === 'erp' ? e : c;
      const target = plan.target ? valueOf(plan.target, f.name) : null;
      const ownWrite = plan.writes[editor]?.fields;
      const overwritten =
        !plan.target ||
        !sameValue(target, edited) ||
        (ownWrite !== undefined && f.name in ownWrite && !sameValue(ownWrite[f.name] ?? null, edited));
      if (overwritten) {
        throw new LawViolation(
          'one-sided-edit',
          `${f.name} was edited on ${editor} only (to ${JSON.stringify(edited)}) but the plan ends with ${JSON.stringify(target)}`,
          inputTable(input, plan),
        );
      }
    }
  });
}

/** Source of truth: the configured side wins every field (per-field overrides), and its state wins existence. */
export function sourceOfTruthLaw(
  subject: ResolverSubject,
  truth: { readonly default: SystemId; readonly fields?: Readonly<Record<string, SystemId>> },
  options: LawOptions = {},
): fc.IPropertyWithHooks<[Conflict]> {
  const resolver = instance(subject);
  return fc.property(conflictArb(options), (conflict) => {
    const r = resolveOrFail('source-of-truth', resolver, conflict);
    for (const d of r.decisions) {
      if (d.kind === 'field') {
        const want = truth.fields?.[d.field] ?? truth.default;
        if (d.take !== want)
          throw new LawViolation(
            'source-of-truth',
            `${d.field} should come from ${want}, decided ${d.take}`,
            conflictTable(conflict, r.decisions),
          );
      } else {
        const deleter = conflict.kind === 'erp-deleted' ? 'erp' : 'crm';
        const want = deleter === truth.default ? 'delete' : 'keep';
        if (d.take !== want)
          throw new LawViolation(
            'source-of-truth',
            `${deleter} deleted; with ${truth.default} as the source of truth the answer is ${want}, decided ${d.take}`,
            conflictTable(conflict, r.decisions),
          );
      }
    }
  });
}

/**
 * Latest wins: every field goes to the side whose own clock says it edited later (known skew removed, ties to
 * `tie`); a delete wins only when it is the later edit. The arbitraries offset each side's clock.
 */
export function latestWinsLaw(
  subject: ResolverSubject,
  clock: LatestWinsOptions = {},
  options: LawOptions = {},
): fc.IPropertyWithHooks<[Conflict]> {
  const resolver = instance(subject);
  return fc.property(conflictArb(options), (conflict) => {
    const r = resolveOrFail('latest-wins', resolver, conflict);
    const later = laterSide(conflict.erp.modifiedAt, conflict.crm.modifiedAt, clock);
    if (!later) return;
    for (const d of r.decisions) {
      const want =
        d.kind === 'field'
          ? later.side
          : later.side === (conflict.kind === 'erp-deleted' ? 'erp' : 'crm')
            ? 'delete'
            : 'keep';
      if (d.take !== want)
        throw new LawViolation(
          'latest-wins',
          `${d.kind === 'field' ? d.field : 'existence'} should be ${want} because ${later.reason}; decided ${d.take}`,
          conflictTable(conflict, r.decisions),
        );
    }
  });
}
