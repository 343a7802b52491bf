import { allowedHint } from '../../util/closest-match.js';
import type { ExistenceStrategy } from '../field-strategy.js';
import { existenceStrategy, type ExistencePolicyName } from '../existence-strategy.js';
import { compileConditions } from './compile-conditions.js';
import { compileStrategy } from './compile-strategy.js';
import type { CompiledRule } from './compiled-policy.js';
import type { PolicyCompileContext } from './policy-compile-context.js';
import { describeCondition, type Condition } from './policy-condition.js';
import { dotted } from './policy-findings.js';
import type { RuleInput } from './policy-schema.js';

/** The reference a decision carries as its `rule`: file, line, path and the rule in words. */
function ruleRef(
  path: readonly PropertyKey[],
  rule: Pick<RuleInput, 'use' | 'otherwise'>,
  conditions: readonly Condition[],
  { findings }: PolicyCompileContext,
): string {
  const { line } = findings.locate(path);
  const when = conditions.length > 0 ? ` when ${conditions.map(describeCondition).join(' and ')}` : '';
  const otherwise = rule.otherwise ? `, otherwise ${rule.otherwise}` : '';
  return `${findings.file}${line ? `:${line}` : ''} ${dotted(path)} (${rule.use}${otherwise}${when})`;
}

/** The `default:` rule, for fields without one of their own. */
export function compileDefaultRule(
  rule: Pick<RuleInput, 'use' | 'otherwise' | 'params'> | undefined,
  context: PolicyCompileContext,
): CompiledRule | undefined {
  if (!rule) return undefined;
  const strategy = compileStrategy(rule, ['default'], undefined, context);
  return strategy && { ref: ruleRef(['default'], rule, [], context), strategy, conditions: [] };
}

/**
 * Each field's rules, in order. Reports rules for fields the mapping does not map, rules after an unconditional
 * one (they can never apply), and warns about rules for one-way fields (which never conflict).
 */
export function compileFieldRules(
  fieldRules: readonly (readonly [string, readonly RuleInput[]])[],
  context: PolicyCompileContext,
): Map<string, CompiledRule[]> {
  const { findings, mapping, mappedFields } = context;
  const fields = new Map<string, CompiledRule[]>();
  for (const [field, rules] of fieldRules) {
    if (mapping && !mappedFields.has(field)) {
      findings.fail(
        ['fields', field],
        `rule for '${field}', which ${mapping.object} does not map${allowedFieldsHint(field, context)}`,
        true,
      );
      continue;
    }
    const direction = mappedFields.get(field)?.direction;
    if (direction && direction !== 'both') {
      findings.warn(
        ['fields', field],
        `${field} flows ${direction} only, so it never conflicts and this rule never applies; remove it`,
      );
    }
    fields.set(field, compileRuleList(field, rules, context));
  }
  return fields;
}

function compileRuleList(field: string, rules: readonly RuleInput[], context: PolicyCompileContext): CompiledRule[] {
  const compiled: CompiledRule[] = [];
  let alwaysAt: number | undefined;
  rules.forEach((rule, index) => {
    const path = ['fields', field, index];
    if (alwaysAt !== undefined) {
      context.findings.fail(
        path,
        `rule ${index + 1} for ${field} can never apply: rule ${alwaysAt + 1} has no 'when' and always decides first; move it above or remove it`,
      );
    }
    const conditions = compileConditions(rule.when, path, context);
    const strategy = compileStrategy(rule, path, field, context);
    if (strategy) compiled.push({ ref: ruleRef(path, rule, conditions, context), strategy, conditions });
    if (rule.when === undefined || Object.keys(rule.when).length === 0) alwaysAt ??= index;
  });
  return compiled;
}

function allowedFieldsHint(field: string, { mappedFields }: PolicyCompileContext): string {
  return allowedHint(field, [...mappedFields.keys()]);
}

/**
 * Without a `default:`, warns about two-way fields whose conflicts would always wait for a person: no rule at all,
 * or only rules with conditions.
 */
export function warnUncoveredFields(
  defaultRule: CompiledRule | undefined,
  fields: ReadonlyMap<string, readonly CompiledRule[]>,
  { findings, mapping }: PolicyCompileContext,
): void {
  if (!mapping || defaultRule) return;
  for (const f of mapping.fields) {
    const rules = fields.get(f.name);
    if ((f.direction ?? 'both') === 'both' && rules === undefined) {
      findings.warn(
        ['fields'],
        `${f.name} has no rule and the file has no default: its conflicts will wait for a person; add a rule or a 'default:'`,
      );
    } else if (rules !== undefined && rules.every((r) => r.conditions.length > 0)) {
      findings.warn(
        ['fields', f.name],
        `every rule for ${f.name} has a condition and the file has no default: when none holds, a person decides`,
      );
    }
  }
}

/** The `deletes:` setting (delete-versus-change), `manual` when the file has none. */
export function compileExistence(
  deletes: ExistencePolicyName | undefined,
  { findings, latest }: PolicyCompileContext,
): { readonly ref: string; readonly strategy: ExistenceStrategy } {
  const name = deletes ?? 'manual';
  const where = deletes ? `:${findings.locate(['deletes']).line ?? ''}` : '';
  return {
    ref: `${findings.file}${where} deletes (${name}${deletes ? '' : ', the default'})`,
    strategy: existenceStrategy(name, latest),
  };
}
