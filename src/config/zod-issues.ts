import type { z } from 'zod';
import { closestMatch } from './closest-match.js';
import { TRANSFORM_NAMES } from './config-schema.js';
import type { PathIssue } from './env-references.js';
import type { PathSegment } from './yaml-source.js';

type ZodIssue = z.core.$ZodIssue;

// Which member of `transformSchema` a one-key transform map belongs to (indexes into the union).
const TRANSFORM_MEMBER: Readonly<Record<string, number>> = { phone: 1, enum: 2, split: 3 };
const ALLOWED_TRANSFORMS = `allowed: ${TRANSFORM_NAMES.join(', ')}`;

/**
 * Turns zod issues into path issues with messages a person can act on: what is wrong, the allowed values and the fix.
 * `input` is the value zod parsed (used to name the offending value; only enum-like values are ever quoted).
 */
export function fromZodIssues(issues: readonly ZodIssue[], input: unknown): PathIssue[] {
  return issues.flatMap((issue) => fromZodIssue(issue, [], input));
}

function fromZodIssue(issue: ZodIssue, prefix: readonly PathSegment[], input: unknown): PathIssue[] {
  const path: PathSegment[] = [...prefix, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))];
  const value = valueAt(input, path);
  const label = String(path[path.length - 1] ?? 'the file');
  switch (issue.code) {
    case 'unrecognized_keys':
      return [{ path: [...path, issue.keys[0] ?? ''], message: issue.message, at: 'key' }];
    case 'invalid_key':
      return [{ path, message: issue.issues[0]?.message ?? issue.message, at: 'key' }];
    case 'invalid_union':
      return fromUnionIssue(issue, path, value, input);
    case 'invalid_value': {
      const allowed = issue.values.map(String);
      const guess = typeof value === 'string' ? closestMatch(value, allowed) : undefined;
      const shown = typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? String(value));
      return [
        {
          path,
          message: `${shown} is not allowed;${guess === undefined ? '' : ` did you mean '${guess}'?`} allowed: ${allowed.join(', ')}`,
        },
      ];
    }
    case 'invalid_type':
      if (value === undefined) {
        return [{ path, message: `missing required key '${label}'. Fix: add ${label}: <${issue.expected}>` }];
      }
      return [{ path, message: `${label} must be ${article(issue.expected)}, not ${describe(value)}` }];
    case 'too_small':
    case 'too_big': {
      if (issue.origin === 'number' || issue.origin === 'int') {
        const bound =
          issue.code === 'too_small' ? `at least ${String(issue.minimum)}` : `at most ${String(issue.maximum)}`;
        return [{ path, message: `${label} must be ${bound}` }];
      }
      return [{ path, message: issue.message.startsWith('Too') ? `${label}: ${issue.message}` : issue.message }];
    }
    case 'custom':
      // A check of a whole map (e.g. a connector's "url or dataDir") points at the map's key: `params: { at: 'key' }`.
      return [{ path, message: issue.message, ...(issue.params?.['at'] === 'key' ? { at: 'key' as const } : {}) }];
    default:
      return [{ path, message: issue.message }];
  }
}

function fromUnionIssue(
  issue: Extract<ZodIssue, { code: 'invalid_union' }>,
  path: PathSegment[],
  value: unknown,
  input: unknown,
): PathIssue[] {
  if (issue.errors.length === 0) return [{ path, message: issue.message }]; // a discriminated union: own message
  if (path[path.length - 2] === 'transforms') {
    if (typeof value === 'string') {
      const guess = closestMatch(value, TRANSFORM_NAMES);
      return [
        {
          path,
          message:
            `unknown transform '${value}';${guess === undefined ? '' : ` did you mean '${guess}'?`} ${ALLOWED_TRANSFORMS}. ` +
            'Fix: write a name (trim) or a one-key map ({ split: " " })',
        },
      ];
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const keys = Object.keys(value);
      const known = keys.filter((k) => k in TRANSFORM_MEMBER);
      const member = known.length === 1 ? issue.errors[TRANSFORM_MEMBER[known[0] ?? ''] ?? -1] : undefined;
      if (member !== undefined) return member.flatMap((inner) => fromZodIssue(inner, path, input));
      if (known.length === 0) {
        const name = keys[0] ?? '';
        const guess = closestMatch(name, TRANSFORM_NAMES);
        return [
          {
            path,
            message: `unknown transform '${name}';${guess === undefined ? '' : ` did you mean '${guess}'?`} ${ALLOWED_TRANSFORMS}`,
          },
        ];
      }
      return [
        { path, message: `one transform per list item; found ${known.join(' and ')}. Fix: give each its own item` },
      ];
    }
    return [{ path, message: `a transform is a name or a one-key map; ${ALLOWED_TRANSFORMS}` }];
  }
  // Other unions (a name or a list of names; pass | null): report the member whose type matched.
  const matching = issue.errors.filter(
    (errors) => !errors.some((e) => e.code === 'invalid_type' && e.path.length === 0),
  );
  if (matching.length === 1 && matching[0] !== undefined)
    return matching[0].flatMap((inner) => fromZodIssue(inner, path, input));
  const label = String(path[path.length - 1] ?? 'value');
  return [
    {
      path,
      message: `${label} has the wrong form (${describe(value)}); see docs/configuration.md for its allowed forms`,
    },
  ];
}

function valueAt(input: unknown, path: readonly PathSegment[]): unknown {
  let node = input;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

function describe(value: unknown): string {
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return article(typeof value);
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
