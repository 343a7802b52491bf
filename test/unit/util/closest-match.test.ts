import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allowedHint, closestMatch, editDistance, unknownKeysMessage } from '../../../src/util/closest-match.js';

/** The optimal-string-alignment distance by its textbook recurrence: the reference the library must agree with. */
function referenceDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d = Array.from({ length: x.length + 1 }, (_, i) =>
    Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[x.length]![y.length]!;
}

describe('editDistance (damerau-levenshtein)', () => {
  it('counts an adjacent swap as one step and ignores case', () => {
    expect(editDistance('tabel', 'table')).toBe(1);
    expect(editDistance('TABLE', 'table')).toBe(0);
    // Optimal string alignment, not unrestricted Damerau: no edit inside a swapped pair.
    expect(editDistance('ca', 'abc')).toBe(3);
  });

  it('agrees with the textbook recurrence on any words (property)', () => {
    const word = fc.string({ unit: fc.constantFrom(...'abcAB_'), maxLength: 9 });
    fc.assert(
      fc.property(word, word, (a, b) => {
        expect(editDistance(a, b)).toBe(referenceDistance(a, b));
      }),
      { numRuns: 500 },
    );
  });
});

describe('closestMatch and its messages', () => {
  it('proposes a likely typo and nothing for an unrelated word', () => {
    expect(closestMatch('tabel', ['table', 'key'])).toBe('table');
    expect(closestMatch('lastest-wins', ['latest-wins', 'manual'], { minDistance: 2 })).toBe('latest-wins');
    expect(closestMatch('zzz', ['table', 'key'])).toBeUndefined();
    expect(unknownKeysMessage(['tabel'], ['table', 'key'])).toBe(
      "unknown key 'tabel'; did you mean 'table'? allowed: table, key",
    );
    expect(allowedHint('manuel', ['manual', 'erp-wins'])).toBe(
      "; allowed: 'manual', 'erp-wins'; did you mean 'manual'?",
    );
  });
});
