import { createHash } from 'node:crypto';
import { LineCounter, parseDocument } from 'yaml';
import { plainValueOf } from '../util/yaml-limits.js';
import type { z } from 'zod';
import type { ConfigIssue } from '../util/errors.js';
import type { FieldValue } from '../model/record.js';
import type { CompiledPolicy, CompiledRule } from './compiled-policy.js';
import { allowedHint } from './closest-match.js';
import { existenceStrategy } from './existence-strategy.js';
import type { FieldStrategy } from './field-strategy.js';
import { latestWinsField, type LatestWinsOptions } from './latest-wins.js';
import { manualField } from './manual.js';
import { maxValue } from './max-value.js';
import { minValue } from './min-value.js';
import { picklistUnion } from './picklist-union.js';
import {
  CONDITION_OPERATORS,
  CONDITION_SIDES,
  describeCondition,
  type Condition,
  type ConditionSide,
} from './policy-condition.js';
import { NUMERIC_TYPES, TEMPORAL_TYPES, type PolicyMapping, type PolicyWarning } from './policy-mapping.js';
import {
  POLICY_KEYS,
  RULE_KEYS,
  fieldRulesSchema,
  policySchema,
  type PolicyInput,
  type RuleInput,
} from './policy-schema.js';
import { preferNonEmpty } from './prefer-non-empty.js';
import { BUILTIN_STRATEGIES, type ResolverRegistry } from './resolver-registry.js';
import { sideWins } from './source-of-truth.js';
import { locate } from './yaml-locate.js';

export interface AnalyzeOptions {
  /** The file name shown in messages and rule references, e.g. `conflict-rules/account.yaml`. */
  readonly file: string;
  /** The mapping to check field names against; null for a shared file no mapping uses yet. */
  readonly mapping: PolicyMapping | null;
  readonly registry?: ResolverRegistry | undefined;
}

/** Everything found in one policy file: errors (`issues`), warnings, and the compiled policy when there is no error. */
export interface PolicyAnalysis {
  readonly file: string;
  readonly version: string;
  readonly object: string | undefined;
  readonly issues: readonly ConfigIssue[];
  readonly warnings: readonly PolicyWarning[];
  readonly policy: CompiledPolicy | undefined;
}

const FALLBACK_STRATEGIES = new Set(['prefer-non-empty', 'max', 'min']);

/** The short content hash that versions a policy file. */
export function policyHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 8);
}

function dotted(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc === '' ? String(seg) : `${acc}.${String(seg)}`),
    '',
  );
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const seg of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[seg as string];
  }
  return node;
}

/**
 * Parses, validates and compiles one policy file's text. Never throws for a bad file: every problem is an issue
 * with its line, all found in one pass. `loadPolicyFile` and `checkPolicyFiles` are built on it.
 */
export function analyzePolicy(text: string, options: AnalyzeOptions): PolicyAnalysis {
  const { file, mapping, registry } = options;
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  const issues: ConfigIssue[] = [];
  const warnings: PolicyWarning[] = [];
  const hash = policyHash(text);
  const fail = (path: readonly PropertyKey[], message: string, keyOnly = false): void => {
    issues.push({ file, ...locate(doc, counter, path, keyOnly), path: dotted(path), message });
  };
  const warn = (path: readonly PropertyKey[], message: string): void => {
    warnings.push({ file, ...locate(doc, counter, path), path: dotted(path), message });
  };
  const byLine = (a: { line?: number }, b: { line?: number }): number => (a.line ?? 0) - (b.line ?? 0);
  const result = (version: string, object: string | undefined, policy?: CompiledPolicy): PolicyAnalysis => ({
    file,
    version,
    object,
    issues: [...issues].sort(byLine),
    warnings: [...warnings].sort(byLine),
    policy: issues.length === 0 ? policy : undefined,
  });

  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const pos = error.linePos?.[0];
      issues.push({
        file,
        ...(pos ? { line: pos.line, column: pos.col } : {}),
        path: '',
        message: `YAML syntax error: ${error.message.split('\n')[0]}`,
      });
    }
    return result(hash, undefined);
  }
  const plain = plainValueOf(doc);
  if ('message' in plain) {
    issues.push({ file, line: 1, column: 1, path: '', message: plain.message });
    return result(hash, undefined);
  }
  const raw: unknown = plain.value ?? {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    fail(
      [],
      `a policy file is a set of keys (${POLICY_KEYS.join(', ')}), not a ${Array.isArray(raw) ? 'list' : typeof raw}`,
    );
    return result(hash, undefined);
  }
  // Each part is validated on its own so that every problem in the file is reported at once.
  const record = raw as Record<string, unknown>;
  const input: { -readonly [K in keyof PolicyInput]?: PolicyInput[K] } = {};
  const shape = policySchema.shape;
  for (const key of Object.keys(record)) {
    if (!(key in shape)) fail([key], `unknown key '${key}' at the top level${allowedHint(key, POLICY_KEYS)}`, true);
  }
  for (const key of Object.keys(shape) as (keyof typeof shape)[]) {
    const parsed = shape[key].safeParse(record[key]);
    if (parsed.success) (input as Record<string, unknown>)[key] = parsed.data;
    else for (const issue of parsed.error.issues) zodIssue({ ...issue, path: [key, ...issue.path] }, raw, fail);
  }
  const fieldInputs: [string, RuleInput[]][] = [];
  for (const [field, rules] of Object.entries(input.fields ?? {})) {
    const parsed = fieldRulesSchema.safeParse(rules);
    if (parsed.success) fieldInputs.push([field, parsed.data]);
    else
      for (const issue of parsed.error.issues)
        zodIssue({ ...issue, path: ['fields', field, ...issue.path] }, raw, fail);
  }
  const version = input.version === undefined ? hash : `${String(input.version)}@${hash}`;
  const tie = input.tie ?? 'erp';
  const skew = input.clockSkewMs;
  // Every latest-wins in the file (rules, fallbacks, deletes) uses the file's tie-break and known clock skew.
  const latest: LatestWinsOptions = {
    tie,
    ...(skew && (skew.erp !== undefined || skew.crm !== undefined)
      ? {
          skewMs: {
            ...(skew.erp !== undefined ? { erp: skew.erp } : {}),
            ...(skew.crm !== undefined ? { crm: skew.crm } : {}),
          },
        }
      : {}),
  };
  const mappedFields = new Map((mapping?.fields ?? []).map((f) => [f.name, f]));
  const fieldNames = [...mappedFields.keys()];

  if (mapping && input.object !== undefined && input.object !== mapping.object) {
    fail(
      ['object'],
      `this file is for object '${input.object}' but mapping '${mapping.object}' uses it; set object: ${mapping.object}, or point the mapping at the right file`,
    );
  }

  const ruleRef = (path: readonly PropertyKey[], rule: RuleInput, conditions: readonly Condition[]): string => {
    const { line } = locate(doc, counter, path);
    const when = conditions.length > 0 ? ` when ${conditions.map(describeCondition).join(' and ')}` : '';
    const otherwise = rule.otherwise ? `, otherwise ${rule.otherwise}` : '';
    return `${file}${line ? `:${line}` : ''} ${dotted(path)} (${rule.use}${otherwise}${when})`;
  };

  const buildStrategy = (
    rule: Pick<RuleInput, 'use' | 'otherwise' | 'params'>,
    path: readonly PropertyKey[],
    field: string | undefined,
  ): FieldStrategy | undefined => {
    const allowed = [...BUILTIN_STRATEGIES, ...(registry?.names() ?? [])];
    const use = rule.use;
    if (rule.otherwise !== undefined && !FALLBACK_STRATEGIES.has(use)) {
      fail(
        [...path, 'otherwise'],
        `'otherwise' only applies to prefer-non-empty, max and min, not to '${use}'; remove it`,
      );
    }
    if (rule.params !== undefined && !registry?.get(use)) {
      fail([...path, 'params'], `'params' only applies to custom strategies, not to '${use}'; remove it`);
    }
    const otherwise = (): FieldStrategy | undefined =>
      rule.otherwise === undefined
        ? latestWinsField(latest)
        : buildStrategy({ use: rule.otherwise }, [...path, 'otherwise'], field);
    const type = field === undefined ? undefined : mappedFields.get(field)?.type;
    switch (use) {
      case 'latest-wins':
        return latestWinsField(latest);
      case 'erp-wins':
      case 'crm-wins':
        return sideWins(use === 'erp-wins' ? 'erp' : 'crm');
      case 'manual':
        return manualField();
      case 'union':
        if (
          type !== undefined &&
          (NUMERIC_TYPES.includes(type) || TEMPORAL_TYPES.includes(type) || type === 'boolean')
        ) {
          warn(
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
          warn(
            [...path, 'use'],
            `${use} compares numbers and dates, but ${field} is a ${type} field: text values fall to '${rule.otherwise ?? 'latest-wins'}'`,
          );
        }
        const fallback = otherwise();
        return fallback && (use === 'max' ? maxValue(fallback) : minValue(fallback));
      }
    }
    const factory = registry?.get(use);
    if (!factory) {
      fail(
        path.at(-1) === 'otherwise' ? path : [...path, 'use'],
        `unknown strategy '${use}'${allowedHint(use, allowed)}`,
      );
      return undefined;
    }
    try {
      return factory(rule.params ?? {});
    } catch (thrown) {
      fail(
        [...path, 'params'],
        `custom strategy '${use}' rejected its params: ${thrown instanceof Error ? thrown.message : String(thrown)}`,
      );
      return undefined;
    }
  };

  const buildConditions = (
    when: Readonly<Record<string, unknown>> | undefined,
    path: readonly PropertyKey[],
  ): Condition[] => {
    const conditions: Condition[] = [];
    for (const [key, test] of Object.entries(when ?? {})) {
      const at = [...path, 'when', key];
      const dot = key.indexOf('.');
      const side = key.slice(0, dot) as ConditionSide;
      const field = key.slice(dot + 1);
      if (dot < 0 || !(CONDITION_SIDES as readonly string[]).includes(side)) {
        fail(
          at,
          `condition '${key}' must name a side and a field, like erp.status${allowedHint(dot < 0 ? key : key.slice(0, dot), CONDITION_SIDES).replace('allowed', 'sides')}`,
          true,
        );
        continue;
      }
      if (mapping && !mappedFields.has(field)) {
        fail(
          at,
          `condition on '${key}' can never apply: ${mapping.object} has no field '${field}'${allowedHint(field, fieldNames)}`,
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
        if (!issues.some((i) => i.path.startsWith(dotted(at)))) {
          fail(at, `condition '${key}' has no test; write one of ${CONDITION_OPERATORS.join(', ')}`, true);
        }
        continue;
      }
      const [op, operand] = entry;
      if (op === 'in' || op === 'not-in') conditions.push({ side, field, op, values: operand as FieldValue[] });
      else if (op === 'empty') conditions.push({ side, field, op, empty: operand as boolean });
      else conditions.push({ side, field, op, value: operand as FieldValue });
    }
    return conditions;
  };

  let defaultRule: CompiledRule | undefined;
  if (input.default) {
    const strategy = buildStrategy(input.default, ['default'], undefined);
    if (strategy) defaultRule = { ref: ruleRef(['default'], input.default, []), strategy, conditions: [] };
  }

  const fields = new Map<string, CompiledRule[]>();
  for (const [field, rules] of fieldInputs) {
    if (mapping && !mappedFields.has(field)) {
      fail(
        ['fields', field],
        `rule for '${field}', which ${mapping.object} does not map${allowedHint(field, fieldNames)}`,
        true,
      );
      continue;
    }
    const direction = mappedFields.get(field)?.direction;
    if (direction && direction !== 'both') {
      warn(
        ['fields', field],
        `${field} flows ${direction} only, so it never conflicts and this rule never applies; remove it`,
      );
    }
    const compiled: CompiledRule[] = [];
    let alwaysAt: number | undefined;
    rules.forEach((rule, index) => {
      const path = ['fields', field, index];
      if (alwaysAt !== undefined) {
        fail(
          path,
          `rule ${index + 1} for ${field} can never apply: rule ${alwaysAt + 1} has no 'when' and always decides first; move it above or remove it`,
        );
      }
      const conditions = buildConditions(rule.when, path);
      const strategy = buildStrategy(rule, path, field);
      if (strategy) compiled.push({ ref: ruleRef(path, rule, conditions), strategy, conditions });
      if (rule.when === undefined || Object.keys(rule.when).length === 0) alwaysAt ??= index;
    });
    fields.set(field, compiled);
  }

  if (mapping && !defaultRule) {
    for (const f of mapping.fields) {
      if ((f.direction ?? 'both') === 'both' && !fields.has(f.name)) {
        warn(
          ['fields'],
          `${f.name} has no rule and the file has no default: its conflicts will wait for a person; add a rule or a 'default:'`,
        );
      } else if (fields.has(f.name) && (fields.get(f.name) ?? []).every((r) => r.conditions.length > 0)) {
        warn(
          ['fields', f.name],
          `every rule for ${f.name} has a condition and the file has no default: when none holds, a person decides`,
        );
      }
    }
  }

  const existenceName = input.deletes ?? 'manual';
  const existence = {
    ref: `${file}${input.deletes ? `:${locate(doc, counter, ['deletes']).line ?? ''}` : ''} deletes (${existenceName}${input.deletes ? '' : ', the default'})`,
    strategy: existenceStrategy(existenceName, latest),
  };
  return result(version, input.object, { file, version, object: input.object, defaultRule, existence, fields });
}

type Fail = (path: readonly PropertyKey[], message: string, keyOnly?: boolean) => void;

function allowedKeysAt(path: readonly PropertyKey[]): readonly string[] {
  if (path.length === 0) return POLICY_KEYS;
  if (path[0] === 'default') return RULE_KEYS.filter((k) => k !== 'when');
  if (path.includes('when')) return CONDITION_OPERATORS;
  return RULE_KEYS;
}

function zodIssue(issue: z.core.$ZodIssue, raw: unknown, fail: Fail): void {
  const path = issue.path as PropertyKey[];
  const where = path.length === 0 ? 'at the top level' : `in ${dotted(path)}`;
  if (issue.code === 'unrecognized_keys') {
    for (const key of issue.keys)
      fail([...path, key], `unknown key '${key}' ${where}${allowedHint(key, allowedKeysAt(path))}`, true);
    return;
  }
  if (issue.code === 'invalid_value') {
    const actual = valueAt(raw, path);
    const allowed = issue.values.map(String);
    fail(path, `invalid value ${JSON.stringify(actual)} for ${dotted(path)}${allowedHint(String(actual), allowed)}`);
    return;
  }
  if (issue.code === 'invalid_type' && valueAt(raw, path) === undefined) {
    fail(path, `${dotted(path)} is required`);
    return;
  }
  if (issue.code === 'invalid_union' && path.includes('when')) {
    fail(
      path,
      `condition ${dotted(path)} must be a value (equals) or one test: { equals: x }, { not: x }, { in: [..] }, { not-in: [..] }, { empty: true|false }`,
    );
    return;
  }
  fail(path, `${dotted(path) || 'the file'}: ${issue.message}`);
}
