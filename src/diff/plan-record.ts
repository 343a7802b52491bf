import type {
  Conflict,
  ConflictAnswer,
  Decision,
  ExistenceDecision,
  FieldDecision,
  SideVersion,
} from '../model/conflict.js';
import type { FieldValue, Fields } from '../model/record.js';
import type { SystemId } from '../model/system.js';
import type { ConflictResolver } from '../model/conflict-resolver.js';
import type { Direction } from '../model/direction.js';
import { sameValue, valueOf } from './values.js';

/**
 * Everything the planner needs to decide one record. Pure data: the pipeline assembles it from the state store
 * (base and what tandem last knew of each side) and the changes just captured.
 */
export interface RecordInput {
  readonly object: string;
  readonly key: string;
  /** The last state both sides agreed on; null when the record was never synced (or is deleted on both sides). */
  readonly base: Fields | null;
  /** The record on the ERP now; null when it does not exist there. A tombstone (`deleted: true`) also means absent. */
  readonly erp: SideVersion | null;
  readonly crm: SideVersion | null;
  /** The canonical fields of the mapping, sorted. Defaults to every field seen in base, erp and crm. */
  readonly fields?: readonly string[];
  /** Per-field direction; absent fields flow both ways. */
  readonly directions?: Readonly<Record<string, Direction>>;
  /** A person's answer to this record's queued conflict, if any. */
  readonly answer?: ConflictAnswer | null;
}

/** How one field compares across base, ERP and CRM. */
export type FieldChangeKind = 'unchanged' | 'erp' | 'crm' | 'both-same' | 'conflict';

export interface FieldOutcome {
  readonly field: string;
  readonly base: FieldValue;
  readonly erp: FieldValue;
  readonly crm: FieldValue;
  readonly change: FieldChangeKind;
  /** The value both sides hold after the plan; for a field waiting for a person, the base. */
  readonly target: FieldValue;
  /** True when a person must decide this field. */
  readonly queued: boolean;
}

/** What happened to the record as a whole. */
export type RecordChangeKind =
  | 'none' // absent on both sides and never synced
  | 'unchanged' // nothing changed since the base (includes tandem's own writes read back: echoes)
  | 'erp-changed'
  | 'crm-changed'
  | 'merged' // both changed, different fields or the same values: no conflict
  | 'conflict' // both changed some field differently; a resolver decided
  | 'erp-created'
  | 'crm-created'
  | 'both-created'
  | 'erp-deleted'
  | 'crm-deleted'
  | 'both-deleted';

export interface PlannedWrite {
  readonly op: 'upsert' | 'delete';
  /** Canonical fields to set on that side: only those that differ there (all of them when creating). */
  readonly fields: Fields;
}

export interface RecordPlan {
  readonly key: string;
  readonly kind: RecordChangeKind;
  /** The agreed state once the writes are confirmed; null when the record ends deleted on both sides. */
  readonly target: Fields | null;
  readonly writes: { readonly erp: PlannedWrite | null; readonly crm: PlannedWrite | null };
  /** Per-field comparison, for explanations. Empty for deletes. */
  readonly fields: readonly FieldOutcome[];
  /** Every decision a resolver (or a person's answer) made for this record. */
  readonly decisions: readonly Decision[];
  /** The policy version of those decisions, when a resolver was asked. */
  readonly policyVersion: string | null;
  /** Fields waiting for a person (`*existence*` for a delete-versus-change conflict). */
  readonly queued: readonly string[];
}

/** Thrown when a resolver breaks its contract (a missing or extra decision). A bug in the resolver, not in data. */
export class ResolverContractError extends Error {
  constructor(
    readonly resolver: string,
    readonly conflict: Conflict,
    detail: string,
  ) {
    super(
      `resolver '${resolver}' broke its contract for ${conflict.object} key ${JSON.stringify(conflict.key)}: ${detail}`,
    );
    this.name = 'ResolverContractError';
  }
}

export const EXISTENCE_FIELD = '*existence*';

const EPOCH = '1970-01-01T00:00:00Z';

function present(side: SideVersion | null): side is SideVersion {
  return side !== null && !side.deleted;
}

function fieldList(input: RecordInput): readonly string[] {
  if (input.fields) return input.fields;
  const names = new Set<string>();
  for (const fields of [input.base, input.erp?.fields, input.crm?.fields]) {
    if (fields) for (const name of Object.keys(fields)) names.add(name);
  }
  return [...names].sort();
}

function tombstone(side: SideVersion | null): SideVersion {
  return side ?? { fields: {}, modifiedAt: EPOCH, deleted: true };
}

/** The fields of `source` restricted to `fields`, absent values as null. */
function project(source: Fields | null, fields: readonly string[]): Fields {
  const out: Record<string, FieldValue> = {};
  for (const field of fields) out[field] = valueOf(source, field);
  return out;
}

/** The fields where `side` differs from `target` (skipping `skip`). */
function delta(side: Fields, target: Fields, fields: readonly string[], skip: ReadonlySet<string>): Fields | null {
  const out: Record<string, FieldValue> = {};
  let any = false;
  for (const field of fields) {
    if (skip.has(field)) continue;
    const want = valueOf(target, field);
    if (!sameValue(valueOf(side, field), want)) {
      out[field] = want;
      any = true;
    }
  }
  return any ? out : null;
}

/** Fields to send when creating the record on a side: the non-null target values. */
function creation(target: Fields, fields: readonly string[]): Fields {
  const out: Record<string, FieldValue> = {};
  for (const field of fields) {
    const value = valueOf(target, field);
    if (value !== null) out[field] = value;
  }
  return out;
}

function answerDecisions(answer: ConflictAnswer, conflict: Conflict): Decision[] {
  const rule = `manual answer by ${answer.by}`;
  if (conflict.kind !== 'fields') {
    const deleter: SystemId = conflict.kind === 'erp-deleted' ? 'erp' : 'crm';
    const take = 'take' in answer ? (answer.take === deleter ? 'delete' : 'keep') : 'keep';
    return [
      {
        kind: 'existence',
        take,
        rule,
        reason: `a person chose to ${take === 'delete' ? 'delete the record' : 'keep the record'}`,
      },
    ];
  }
  return conflict.fields.map((field): FieldDecision => {
    if ('take' in answer)
      return { kind: 'field', field, take: answer.take, rule, reason: `a person chose the ${answer.take} value` };
    if (Object.prototype.hasOwnProperty.call(answer.set, field)) {
      return {
        kind: 'field',
        field,
        take: 'value',
        value: valueOf(answer.set, field),
        rule,
        reason: 'a person set this value',
      };
    }
    return {
      kind: 'field',
      field,
      take: 'manual',
      rule,
      reason: 'the answer did not cover this field; it still waits',
    };
  });
}

function decide(
  input: RecordInput,
  conflict: Conflict,
  resolver: ConflictResolver,
): { decisions: readonly Decision[]; policyVersion: string | null } {
  if (input.answer) return { decisions: answerDecisions(input.answer, conflict), policyVersion: null };
  const resolution = resolver.resolve(conflict);
  const decisions = resolution.decisions;
  if (conflict.kind === 'fields') {
    const seen = new Set<string>();
    for (const decision of decisions) {
      if (decision.kind !== 'field')
        throw new ResolverContractError(resolver.name, conflict, 'an existence decision for a field conflict');
      if (!conflict.fields.includes(decision.field))
        throw new ResolverContractError(
          resolver.name,
          conflict,
          `a decision for field '${decision.field}', which is not in conflict`,
        );
      if (seen.has(decision.field))
        throw new ResolverContractError(resolver.name, conflict, `two decisions for field '${decision.field}'`);
      if (decision.take === 'value' && !('value' in decision))
        throw new ResolverContractError(
          resolver.name,
          conflict,
          `take 'value' without a value for '${decision.field}'`,
        );
      seen.add(decision.field);
    }
    const missing = conflict.fields.filter((f) => !seen.has(f));
    if (missing.length > 0)
      throw new ResolverContractError(resolver.name, conflict, `no decision for ${missing.join(', ')}`);
  } else if (decisions.length !== 1 || decisions[0]?.kind !== 'existence') {
    throw new ResolverContractError(
      resolver.name,
      conflict,
      'an existence conflict needs exactly one existence decision',
    );
  }
  return { decisions, policyVersion: resolution.policyVersion };
}

/**
 * The three-way planner: compares base, ERP and CRM field by field, asks the resolver about real conflicts only,
 * and says what to write to each side. Pure: no I/O, no clock; the same input always gives the same plan.
 *
 * Rules:
 * - A field changed on one side only takes that side's value (a one-sided edit is never overwritten).
 * - A field changed on both sides to the same value needs nothing.
 * - A field changed on both sides differently is a conflict, decided by the resolver (or a person's answer).
 * - A one-way field (`erp-to-crm`, `crm-to-erp`) always takes its source side's value; the other side's edits are
 *   overwritten. When a record is created on one side, all its fields go to the other side, whatever the direction.
 * - A record equal to what tandem last knew (an echo of its own write, a re-read) plans nothing.
 */
export function planRecord(input: RecordInput, resolver: ConflictResolver): RecordPlan {
  const fields = fieldList(input);
  const erpHere = present(input.erp);
  const crmHere = present(input.crm);
  const { base } = input;

  if (base === null) {
    if (!erpHere && !crmHere) return emptyPlan(input.key, 'none');
    if (erpHere !== crmHere) {
      const from = erpHere ? input.erp : input.crm!;
      const target = project(from.fields, fields);
      const write: PlannedWrite = { op: 'upsert', fields: creation(target, fields) };
      return {
        key: input.key,
        kind: erpHere ? 'erp-created' : 'crm-created',
        target,
        writes: erpHere ? { erp: null, crm: write } : { erp: write, crm: null },
        fields: fields.map((field) =>
          outcome(
            field,
            null,
            erpHere ? valueOf(from.fields, field) : null,
            crmHere ? valueOf(from.fields, field) : null,
            erpHere ? 'erp' : 'crm',
            valueOf(target, field),
            false,
          ),
        ),
        decisions: [],
        policyVersion: null,
        queued: [],
      };
    }
    // Created on both sides (e.g. an initial load where both already hold the record): merge against an empty base.
    return mergeFields(input, fields, null, input.erp!, input.crm!, resolver, 'both-created');
  }

  if (!erpHere && !crmHere) return { ...emptyPlan(input.key, 'both-deleted'), target: null };
  if (!erpHere || !crmHere) {
    const deleter: SystemId = erpHere ? 'crm' : 'erp';
    const survivor = (erpHere ? input.erp : input.crm)!;
    const survivorChanged = fields.some((f) => !sameValue(valueOf(survivor.fields, f), valueOf(base, f)));
    if (!survivorChanged) {
      const write: PlannedWrite = { op: 'delete', fields: {} };
      return {
        ...emptyPlan(input.key, deleter === 'erp' ? 'erp-deleted' : 'crm-deleted'),
        target: null,
        writes: deleter === 'erp' ? { erp: null, crm: write } : { erp: write, crm: null },
      };
    }
    const conflict: Conflict = {
      kind: deleter === 'erp' ? 'erp-deleted' : 'crm-deleted',
      object: input.object,
      key: input.key,
      base,
      erp: erpHere ? input.erp : tombstone(input.erp),
      crm: crmHere ? input.crm : tombstone(input.crm),
      fields: [],
    };
    const { decisions, policyVersion } = decide(input, conflict, resolver);
    const decision = decisions[0] as ExistenceDecision;
    const kind = deleter === 'erp' ? 'erp-deleted' : 'crm-deleted';
    if (decision.take === 'manual') {
      return { ...emptyPlan(input.key, kind), target: base, decisions, policyVersion, queued: [EXISTENCE_FIELD] };
    }
    if (decision.take === 'delete') {
      const write: PlannedWrite = { op: 'delete', fields: {} };
      return {
        ...emptyPlan(input.key, kind),
        target: null,
        decisions,
        policyVersion,
        writes: deleter === 'erp' ? { erp: null, crm: write } : { erp: write, crm: null },
      };
    }
    // keep: the change wins; recreate the record on the side that deleted it, with the survivor's values.
    const target = project(survivor.fields, fields);
    const write: PlannedWrite = { op: 'upsert', fields: creation(target, fields) };
    return {
      ...emptyPlan(input.key, kind),
      target,
      decisions,
      policyVersion,
      writes: deleter === 'erp' ? { erp: write, crm: null } : { erp: null, crm: write },
    };
  }
  return mergeFields(input, fields, base, input.erp, input.crm, resolver, null);
}

function emptyPlan(key: string, kind: RecordChangeKind): RecordPlan {
  return {
    key,
    kind,
    target: null,
    writes: { erp: null, crm: null },
    fields: [],
    decisions: [],
    policyVersion: null,
    queued: [],
  };
}

function outcome(
  field: string,
  base: FieldValue,
  erp: FieldValue,
  crm: FieldValue,
  change: FieldChangeKind,
  target: FieldValue,
  queued: boolean,
): FieldOutcome {
  return { field, base, erp, crm, change, target, queued };
}

function mergeFields(
  input: RecordInput,
  fields: readonly string[],
  base: Fields | null,
  erp: SideVersion,
  crm: SideVersion,
  resolver: ConflictResolver,
  createdKind: RecordChangeKind | null,
): RecordPlan {
  const directions = input.directions ?? {};
  const target: Record<string, FieldValue> = {};
  const changes = new Map<string, FieldChangeKind>();
  const conflicting: string[] = [];
  let erpChangedAny = false;
  let crmChangedAny = false;

  for (const field of fields) {
    const b = valueOf(base, field);
    const e = valueOf(erp.fields, field);
    const c = valueOf(crm.fields, field);
    const direction = directions[field] ?? 'both';
    let erpChanged = !sameValue(e, b);
    let crmChanged = !sameValue(c, b);
    if (direction === 'erp-to-crm') {
      target[field] = e;
      changes.set(field, sameValue(e, c) ? (erpChanged ? 'both-same' : 'unchanged') : 'erp');
      crmChanged = false;
    } else if (direction === 'crm-to-erp') {
      target[field] = c;
      changes.set(field, sameValue(e, c) ? (crmChanged ? 'both-same' : 'unchanged') : 'crm');
      erpChanged = false;
    } else if (erpChanged && crmChanged) {
      if (sameValue(e, c)) {
        target[field] = e;
        changes.set(field, 'both-same');
      } else {
        conflicting.push(field);
        changes.set(field, 'conflict');
        target[field] = b;
      }
    } else if (erpChanged) {
      target[field] = e;
      changes.set(field, 'erp');
    } else if (crmChanged) {
      target[field] = c;
      changes.set(field, 'crm');
    } else {
      target[field] = b;
      changes.set(field, 'unchanged');
    }
    erpChangedAny ||= erpChanged;
    crmChangedAny ||= crmChanged;
  }

  let decisions: readonly Decision[] = [];
  let policyVersion: string | null = null;
  const queued = new Set<string>();
  if (conflicting.length > 0) {
    const conflict: Conflict = {
      kind: 'fields',
      object: input.object,
      key: input.key,
      base,
      erp,
      crm,
      fields: conflicting,
    };
    ({ decisions, policyVersion } = decide(input, conflict, resolver));
    for (const decision of decisions) {
      if (decision.kind !== 'field') continue;
      const { field } = decision;
      if (decision.take === 'erp') target[field] = valueOf(erp.fields, field);
      else if (decision.take === 'crm') target[field] = valueOf(crm.fields, field);
      else if (decision.take === 'value') target[field] = decision.value ?? null;
      else queued.add(field);
    }
  }

  const erpWrite = delta(erp.fields, target, fields, queued);
  const crmWrite = delta(crm.fields, target, fields, queued);
  let kind: RecordChangeKind;
  if (createdKind) kind = createdKind;
  else if (conflicting.length > 0) kind = 'conflict';
  else if (erpChangedAny && crmChangedAny) kind = 'merged';
  else if (erpChangedAny) kind = 'erp-changed';
  else if (crmChangedAny) kind = 'crm-changed';
  else kind = erpWrite || crmWrite ? 'merged' : 'unchanged';

  return {
    key: input.key,
    kind,
    target,
    writes: {
      erp: erpWrite ? { op: 'upsert', fields: erpWrite } : null,
      crm: crmWrite ? { op: 'upsert', fields: crmWrite } : null,
    },
    fields: fields.map((field) =>
      outcome(
        field,
        valueOf(base, field),
        valueOf(erp.fields, field),
        valueOf(crm.fields, field),
        changes.get(field) ?? 'unchanged',
        valueOf(target, field),
        queued.has(field),
      ),
    ),
    decisions,
    policyVersion,
    queued: [...queued].sort(),
  };
}
