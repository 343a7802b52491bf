import type { Conflict } from '../../model/conflict.js';
import type { FieldValue } from '../../model/record.js';
import { isEmptyValue } from '../compare-values.js';
import { fieldValue } from '../field-strategy.js';
import { formatValue } from '../format-value.js';

export const CONDITION_SIDES = Object.freeze(['base', 'erp', 'crm'] as const);
export type ConditionSide = (typeof CONDITION_SIDES)[number];
export const CONDITION_OPERATORS = Object.freeze(['equals', 'not', 'in', 'not-in', 'empty'] as const);
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

/**
 * One test in a rule's `when:`, e.g. `erp.status: active` (equals) or `crm.industry: { in: [Retail, Food] }`.
 * All tests of a `when:` must hold for the rule to apply.
 */
export type Condition =
  | { readonly side: ConditionSide; readonly field: string; readonly op: 'equals' | 'not'; readonly value: FieldValue }
  | {
      readonly side: ConditionSide;
      readonly field: string;
      readonly op: 'in' | 'not-in';
      readonly values: readonly FieldValue[];
    }
  | { readonly side: ConditionSide; readonly field: string; readonly op: 'empty'; readonly empty: boolean };

/** Equality as admins expect from YAML: `5` matches 5 and "5"; text compares exactly (case and spaces matter). */
export function conditionValueEquals(actual: FieldValue, expected: FieldValue): boolean {
  if (actual === expected) return true;
  if (actual === null || expected === null) return false;
  if (typeof actual === 'boolean' || typeof expected === 'boolean') return String(actual) === String(expected);
  return typeof actual !== typeof expected && String(actual) === String(expected);
}

function sideFields(conflict: Conflict, side: ConditionSide): Readonly<Record<string, FieldValue>> | null {
  if (side === 'base') return conflict.base;
  const version = side === 'erp' ? conflict.erp : conflict.crm;
  return version.deleted ? null : version.fields;
}

/** Whether a condition holds for a conflict. A deleted side or a missing base has every field empty. */
export function conditionHolds(condition: Condition, conflict: Conflict): boolean {
  const actual = fieldValue(sideFields(conflict, condition.side), condition.field);
  switch (condition.op) {
    case 'equals':
      return conditionValueEquals(actual, condition.value);
    case 'not':
      return !conditionValueEquals(actual, condition.value);
    case 'in':
      return condition.values.some((v) => conditionValueEquals(actual, v));
    case 'not-in':
      return !condition.values.some((v) => conditionValueEquals(actual, v));
    case 'empty':
      return isEmptyValue(actual) === condition.empty;
  }
}

/** `erp.status is "active"`, for rule references and reasons. */
export function describeCondition(condition: Condition): string {
  const subject = `${condition.side}.${condition.field}`;
  switch (condition.op) {
    case 'equals':
      return `${subject} is ${formatValue(condition.value)}`;
    case 'not':
      return `${subject} is not ${formatValue(condition.value)}`;
    case 'in':
      return `${subject} is one of ${condition.values.map(formatValue).join(', ')}`;
    case 'not-in':
      return `${subject} is none of ${condition.values.map(formatValue).join(', ')}`;
    case 'empty':
      return `${subject} is ${condition.empty ? '' : 'not '}empty`;
  }
}
