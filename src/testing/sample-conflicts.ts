import fc from 'fast-check';
import type { Conflict } from '../model/conflict.js';
import { conflictArb, type FieldSpec } from './arbitraries.js';

/**
 * Conflicts built from the arbitraries, for a policy diff when no conflict history exists yet. Keys are
 * `S1`, `S2`... so every sampled conflict is distinct. The same seed gives the same sample.
 */
export function sampleConflicts(options: {
  readonly object: string;
  readonly fields: readonly FieldSpec[];
  readonly count: number;
  readonly seed?: number;
}): Conflict[] {
  const samples = fc.sample(conflictArb({ object: options.object, fields: options.fields }), {
    numRuns: options.count,
    seed: options.seed ?? 42,
  });
  return samples.map((c, i) => ({ ...c, key: `S${i + 1}` }));
}
