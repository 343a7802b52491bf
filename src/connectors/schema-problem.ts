import { editDistance } from '../util/closest-match.js';

/**
 * One way a mapped table or object does not fit its mapping, as a connector's `init` finds it: a missing entity or
 * field, a type that cannot hold the mapped values, a field tandem would write that is read-only, a key that is
 * not unique. A connector reports every problem of a stream at once in its schema error's `context.problems`; the
 * engine gathers them over every mapping and points each at its line in tandem.yaml.
 */
export interface SchemaProblem {
  readonly kind: 'missing-entity' | 'missing-field' | 'type-mismatch' | 'read-only' | 'not-unique' | 'other';
  /** The native field concerned (a column, a CRM field); absent for the entity itself. */
  readonly field?: string;
  /** What is wrong and the fix, in one sentence (without the stream's name: the engine adds where). */
  readonly message: string;
  /** The existing names closest to a missing one, best first. */
  readonly closest?: readonly string[];
}

/** The `count` existing names closest to `name` (edit distance, then name), for "closest: ..." hints. */
export function closestNames(name: string, existing: readonly string[], count = 3): string[] {
  return [...existing]
    .map((candidate) => ({ candidate, distance: editDistance(name, candidate) }))
    .sort((a, b) => a.distance - b.distance || a.candidate.localeCompare(b.candidate))
    .slice(0, count)
    .map((c) => c.candidate);
}

/** The problems a connector's schema error carries, when it carries them. */
export function schemaProblemsOf(error: { readonly context: Readonly<Record<string, unknown>> }): SchemaProblem[] {
  const problems = error.context['problems'];
  return Array.isArray(problems) ? (problems as SchemaProblem[]) : [];
}
