import type { Conflict } from '../model/conflict.js';
import type { FieldValue } from '../model/record.js';
import type { SystemId } from '../model/system.js';

/**
 * What a field strategy sees: one conflicting field of one conflict. Values absent from a record count as null.
 * The whole conflict is there too, so a strategy may look at other fields (conditions, custom merges).
 */
export interface FieldContext {
  readonly conflict: Conflict;
  readonly field: string;
  readonly base: FieldValue;
  readonly erp: FieldValue;
  readonly crm: FieldValue;
}

/** A strategy's answer for one field; the caller adds the field name and the rule. */
export interface FieldVerdict {
  readonly take: 'erp' | 'crm' | 'value' | 'manual';
  /** Present when `take` is `value`. */
  readonly value?: FieldValue;
  /** One readable sentence with the values compared, e.g. `crm edit at 10:02Z is later than erp edit at 10:01Z`. */
  readonly reason: string;
}

/**
 * Decides one conflicting field. Pure: no clock, no I/O, no randomness, no memory between calls.
 *
 * @example
 * ```ts
 * const longest: FieldStrategy = {
 *   name: 'longest',
 *   decideField: ({ erp, crm }) =>
 *     String(erp ?? '').length >= String(crm ?? '').length
 *       ? { take: 'erp', reason: 'erp value is at least as long' }
 *       : { take: 'crm', reason: 'crm value is longer' },
 * }
 * ```
 */
export interface FieldStrategy {
  readonly name: string;
  decideField(context: FieldContext): FieldVerdict;
}

/** What an existence strategy sees: a delete on `deleter` versus a change on the other side. */
export interface ExistenceContext {
  readonly conflict: Conflict;
  readonly deleter: SystemId;
}

export interface ExistenceVerdict {
  readonly take: 'delete' | 'keep' | 'manual';
  readonly reason: string;
}

/** Decides a delete-versus-change conflict. Pure, like FieldStrategy. */
export interface ExistenceStrategy {
  readonly name: string;
  decideExistence(context: ExistenceContext): ExistenceVerdict;
}

/** The value of `field` in a record; absent counts as null. */
export function fieldValue(fields: Readonly<Record<string, FieldValue>> | null, field: string): FieldValue {
  if (!fields) return null;
  const value = fields[field];
  return value === undefined ? null : value;
}

/** Builds the FieldContext of `field` in `conflict`. */
export function fieldContext(conflict: Conflict, field: string): FieldContext {
  return {
    conflict,
    field,
    base: fieldValue(conflict.base, field),
    erp: fieldValue(conflict.erp.fields, field),
    crm: fieldValue(conflict.crm.fields, field),
  };
}
