import { allowedHint } from '../../util/closest-match.js';
import type { FieldStrategy } from '../field-strategy.js';
import { latestWinsField } from '../latest-wins.js';
import { manualField } from '../manual.js';
import { maxValue } from '../max-value.js';
import { minValue } from '../min-value.js';
import { picklistUnion } from '../picklist-union.js';
import { preferNonEmpty } from '../prefer-non-empty.js';
import { sideWins } from '../source-of-truth.js';
import type { PolicyCompileContext } from './policy-compile-context.js';
import { NUMERIC_TYPES, TEMPORAL_TYPES } from './policy-mapping.js';
import type { RuleInput } from './policy-schema.js';
import { BUILTIN_STRATEGIES } from './resolver-registry.js';

/** Strategies that may name who decides when they cannot (`otherwise:`). */
const FALLBACK_STRATEGIES = new Set(['prefer-non-empty', 'max', 'min']);

/**
 * A rule's `use:` (and `otherwise:`, `params:`) as a FieldStrategy: a built-in or a registered custom strategy.
 * Reports unknown names, misplaced `otherwise`/`params` and strategies that do not suit the field's type; returns
 * undefined when the rule cannot be compiled.
 */
export function compileStrategy(
  rule: Pick<RuleInput, 'use' | 'otherwise' | 'params'>,
  path: readonly PropertyKey[],
  field: string | undefined,
  context: PolicyCompileContext,
): FieldStrategy | undefined {
  const { findings, registry, latest } = context;
  const use = rule.use;
  if (rule.otherwise !== undefined && !FALLBACK_STRATEGIES.has(use)) {
    findings.fail(
      [...path, 'otherwise'],
      `'otherwise' only applies to prefer-non-empty, max and min, not to '${use}'; remove it`,
    );
  }
  if (rule.params !== undefined && !registry?.get(use)) {
    findings.fail([...path, 'params'], `'params' only applies to custom strategies, not to '${use}'; remove it`);
  }
  const otherwise = (): FieldStrategy | undefined =>
    rule.otherwise === undefined
      ? latestWinsField(latest)
      : compileStrategy({ use: rule.otherwise }, [...path, 'otherwise'], field, context);
  const type = field === undefined ? undefined : context.mappedFields.get(field)?.type;
  switch (use) {
    case 'latest-wins':
      return latestWinsField(latest);
    case 'erp-wins':
    case 'crm-wins':
      return sideWins(use === 'erp-wins' ? 'erp' : 'crm');
    case 'manual':
      return manualField();
    case 'union':
      if (type !== undefined && (NUMERIC_TYPES.includes(type) || TEMPORAL_TYPES.includes(type) || type === 'boolean')) {
        findings.warn(
          [...path, 'use'],
          `union merges ';'-separated picklist values but ${field} is a ${type} field; it would write text into it`,
        );
      }
      return picklistUnion();
    case 'prefer-non-empty': {
      const fallback = otherwise();
      return fallback && preferNonEmpty(fallback);
    }
    case 'max':
    case 'min': {
      if (type !== undefined && !NUMERIC_TYPES.includes(type) && !TEMPORAL_TYPES.includes(type)) {
        findings.warn(
          [...path, 'use'],
          `${use} compares numbers and dates, but ${field} is a ${type} field: text values fall to '${rule.otherwise ?? 'latest-wins'}'`,
        );
      }
      const fallback = otherwise();
      return fallback && (use === 'max' ? maxValue(fallback) : minValue(fallback));
    }
  }
  return customStrategy(rule, path, context);
}

function customStrategy(
  rule: Pick<RuleInput, 'use' | 'params'>,
  path: readonly PropertyKey[],
  { findings, registry }: PolicyCompileContext,
): FieldStrategy | undefined {
  const factory = registry?.get(rule.use);
  if (!factory) {
    const allowed = [...BUILTIN_STRATEGIES, ...(registry?.names() ?? [])];
    findings.fail(
      path.at(-1) === 'otherwise' ? path : [...path, 'use'],
      `unknown strategy '${rule.use}'${allowedHint(rule.use, allowed)}`,
    );
    return undefined;
  }
  try {
    return factory(rule.params ?? {});
  } catch (thrown) {
    findings.fail(
      [...path, 'params'],
      `custom strategy '${rule.use}' rejected its params: ${thrown instanceof Error ? thrown.message : String(thrown)}`,
    );
    return undefined;
  }
}
