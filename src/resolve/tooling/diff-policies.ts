import { isDeepStrictEqual } from 'node:util';
import type { Conflict, Decision, Resolution } from '../../model/conflict.js';
import type { ConflictResolver } from '../../model/conflict-resolver.js';

/** One conflict the two policies decide differently. */
export interface PolicyDiffExample {
  readonly conflict: Conflict;
  readonly before: Resolution;
  readonly after: Resolution;
  /** The fields (or `*existence*`) whose outcome changed. */
  readonly changedFields: readonly string[];
}

export interface PolicyDiff {
  readonly oldResolver: string;
  readonly newResolver: string;
  readonly total: number;
  /** Conflicts whose outcome (what is taken, and the value) differs; rule and reason wording do not count. */
  readonly changed: number;
  /** How many times each field's outcome changed. */
  readonly byField: Readonly<Record<string, number>>;
  readonly examples: readonly PolicyDiffExample[];
}

function outcomeKey(d: Decision): string {
  return d.kind === 'existence' ? '*existence*' : d.field;
}

function outcome(d: Decision | undefined): unknown {
  if (!d) return undefined;
  return d.kind === 'existence' ? d.take : [d.take, d.take === 'value' ? (d.value ?? null) : undefined];
}

/**
 * What would change if `newResolver` replaced `oldResolver`: resolves every conflict with both and counts those
 * with a different outcome, keeping the first `maxExamples` as examples. Pure.
 *
 * @example
 * ```ts
 * const diff = diffPolicies(current.resolver, edited.resolver, await recentConflicts('account', 500))
 * console.log(renderPolicyDiff(diff)) // "37 of 500 recent conflicts would resolve differently"
 * ```
 */
export function diffPolicies(
  oldResolver: ConflictResolver,
  newResolver: ConflictResolver,
  conflicts: readonly Conflict[],
  maxExamples = 5,
): PolicyDiff {
  let changed = 0;
  const byField: Record<string, number> = {};
  const examples: PolicyDiffExample[] = [];
  for (const conflict of conflicts) {
    const before = oldResolver.resolve(conflict);
    const after = newResolver.resolve(conflict);
    const a = new Map(before.decisions.map((d) => [outcomeKey(d), d]));
    const b = new Map(after.decisions.map((d) => [outcomeKey(d), d]));
    const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
    const changedFields = keys.filter((k) => !isDeepStrictEqual(outcome(a.get(k)), outcome(b.get(k))));
    if (changedFields.length === 0) continue;
    changed++;
    for (const f of changedFields) byField[f] = (byField[f] ?? 0) + 1;
    if (examples.length < maxExamples) examples.push({ conflict, before, after, changedFields });
  }
  return {
    oldResolver: oldResolver.name,
    newResolver: newResolver.name,
    total: conflicts.length,
    changed,
    byField,
    examples,
  };
}
