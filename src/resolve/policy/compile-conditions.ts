import type { FieldValue } from '../../model/record.js';
import { allowedHint } from '../../util/closest-match.js';
import type { PolicyCompileContext } from './policy-compile-context.js';
import { CONDITION_OPERATORS, CONDITION_SIDES, type Condition, type ConditionSide } from './policy-condition.js';

/**
 * A rule's `when:` as conditions (all must hold). Reports conditions that name no side, a field the mapping does not
 * have (such a rule could never apply) or no test; those are left out.
 */
export function compileConditions(
  when: Readonly<Record<string, unknown>> | undefined,
  path: readonly PropertyKey[],
  { findings, mapping, mappedFields }: PolicyCompileContext,
): Condition[] {
  const conditions: Condition[] = [];
  for (const [key, test] of Object.entries(when ?? {})) {
    const at = [...path, 'when', key];
    const dot = key.indexOf('.');
    const side = key.slice(0, dot) as ConditionSide;
    const field = key.slice(dot + 1);
    if (dot < 0 || !(CONDITION_SIDES as readonly string[]).includes(side)) {
      findings.fail(
        at,
        `condition '${key}' must name a side and a field, like erp.status${allowedHint(dot < 0 ? key : key.slice(0, dot), CONDITION_SIDES).replace('allowed', 'sides')}`,
        true,
      );
      continue;
    }
    if (mapping && !mappedFields.has(field)) {
      findings.fail(
        at,
        `condition on '${key}' can never apply: ${mapping.object} has no field '${field}'${allowedHint(field, [...mappedFields.keys()])}`,
        true,
      );
      continue;
    }
    if (test === null || typeof test !== 'object') {
      conditions.push({ side, field, op: 'equals', value: test as FieldValue });
      continue;
    }
    const entry = Object.entries(test)[0] as [(typeof CONDITION_OPERATORS)[number], unknown] | undefined;
    if (!entry) {
      // Either written as {} or its only key was unknown (already reported).
      if (!findings.failedUnder(at))
        findings.fail(at, `condition '${key}' has no test; write one of ${CONDITION_OPERATORS.join(', ')}`, true);
      continue;
    }
    const [op, operand] = entry;
    if (op === 'in' || op === 'not-in') conditions.push({ side, field, op, values: operand as FieldValue[] });
    else if (op === 'empty') conditions.push({ side, field, op, empty: operand as boolean });
    else conditions.push({ side, field, op, value: operand as FieldValue });
  }
  return conditions;
}
