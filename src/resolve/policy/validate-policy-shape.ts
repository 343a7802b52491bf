import type { z } from 'zod';
import { allowedHint } from '../../util/closest-match.js';
import { CONDITION_OPERATORS } from './policy-condition.js';
import { dotted, type PolicyFindings } from './policy-findings.js';
import {
  POLICY_KEYS,
  RULE_KEYS,
  fieldRulesSchema,
  policySchema,
  type PolicyInput,
  type RuleInput,
} from './policy-schema.js';

/** The parts of a policy file that passed validation; a part with an error is left out (and reported). */
export interface PolicyShape {
  readonly input: { readonly [K in keyof PolicyInput]?: PolicyInput[K] };
  /** Each field's rules, as a list, in file order. */
  readonly fieldRules: readonly (readonly [string, readonly RuleInput[]])[];
}

/**
 * Step 2 of `analyzePolicy`: validates the top-level keys and each field's rules against the policy schema, each
 * part on its own so that every problem in the file is reported at once, in words a person can act on.
 */
export function validatePolicyShape(raw: Record<string, unknown>, findings: PolicyFindings): PolicyShape {
  const input: { -readonly [K in keyof PolicyInput]?: PolicyInput[K] } = {};
  const shape = policySchema.shape;
  for (const key of Object.keys(raw)) {
    if (!(key in shape))
      findings.fail([key], `unknown key '${key}' at the top level${allowedHint(key, POLICY_KEYS)}`, true);
  }
  for (const key of Object.keys(shape) as (keyof typeof shape)[]) {
    const parsed = shape[key].safeParse(raw[key]);
    if (parsed.success) (input as Record<string, unknown>)[key] = parsed.data;
    else
      for (const issue of parsed.error.issues) reportZodIssue({ ...issue, path: [key, ...issue.path] }, raw, findings);
  }
  const fieldRules: [string, RuleInput[]][] = [];
  for (const [field, rules] of Object.entries(input.fields ?? {})) {
    const parsed = fieldRulesSchema.safeParse(rules);
    if (parsed.success) fieldRules.push([field, parsed.data]);
    else
      for (const issue of parsed.error.issues)
        reportZodIssue({ ...issue, path: ['fields', field, ...issue.path] }, raw, findings);
  }
  return { input, fieldRules };
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const seg of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[seg as string];
  }
  return node;
}

function allowedKeysAt(path: readonly PropertyKey[]): readonly string[] {
  if (path.length === 0) return POLICY_KEYS;
  if (path[0] === 'default') return RULE_KEYS.filter((k) => k !== 'when');
  if (path.includes('when')) return CONDITION_OPERATORS;
  return RULE_KEYS;
}

/** One zod issue as a policy-file error: unknown keys and values with the allowed ones and a likely typo. */
function reportZodIssue(issue: z.core.$ZodIssue, raw: unknown, findings: PolicyFindings): void {
  const path = issue.path;
  const where = path.length === 0 ? 'at the top level' : `in ${dotted(path)}`;
  if (issue.code === 'unrecognized_keys') {
    for (const key of issue.keys)
      findings.fail([...path, key], `unknown key '${key}' ${where}${allowedHint(key, allowedKeysAt(path))}`, true);
    return;
  }
  if (issue.code === 'invalid_value') {
    const actual = valueAt(raw, path);
    const allowed = issue.values.map(String);
    findings.fail(
      path,
      `invalid value ${JSON.stringify(actual)} for ${dotted(path)}${allowedHint(String(actual), allowed)}`,
    );
    return;
  }
  if (issue.code === 'invalid_type' && valueAt(raw, path) === undefined) {
    findings.fail(path, `${dotted(path)} is required`);
    return;
  }
  if (issue.code === 'invalid_union' && path.includes('when')) {
    findings.fail(
      path,
      `condition ${dotted(path)} must be a value (equals) or one test: { equals: x }, { not: x }, { in: [..] }, { not-in: [..] }, { empty: true|false }`,
    );
    return;
  }
  findings.fail(path, `${dotted(path) || 'the file'}: ${issue.message}`);
}
