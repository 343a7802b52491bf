import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { StoredValue } from '../../src/emulator/salesforce/field-codec.js';
import { decodeRow, encodeRow, RowMap } from '../../src/emulator/salesforce/row-map.js';

const value: fc.Arbitrary<StoredValue> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('', '=', '\u001f', 'a\u001fb', 'S', 'I1', 'null', '"quoted"'),
  fc.integer(),
  fc.constantFrom(-0, 0.1, 1e21, -1.5e-7, Number.MAX_SAFE_INTEGER, 1_764_576_000_000),
  fc.double({ noNaN: true }),
);

describe('RowMap row encoding', () => {
  it('gives back every row exactly (Object.is per value), separators, repeats and -0 included', () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 30 }), (tail) => {
        const row = ['001Ex0000000001IAA', ...tail];
        const back = decodeRow('001Ex0000000001IAA', encodeRow(row));
        expect(back).toHaveLength(row.length);
        row.forEach((v, i) => expect(Object.is(back[i], v), `value ${i}: ${String(v)}`).toBe(true));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps insertion order, replaces in place and hands out fresh arrays', () => {
    const rows = new RowMap();
    rows.set('a', ['a', false, 1, 1, 1, 'x']);
    rows.set('b', ['b', true, 2, 3, 3, null]);
    rows.set('a', ['a', false, 1, 5, 5, 'y']);
    expect([...rows.keys()]).toEqual(['a', 'b']);
    expect([...rows.values()]).toEqual([
      ['a', false, 1, 5, 5, 'y'],
      ['b', true, 2, 3, 3, null],
    ]);
    expect(rows.get('a')).not.toBe(rows.get('a'));
    expect(rows.delete('a')).toBe(true);
    expect(rows.size).toBe(1);
    expect(rows.get('a')).toBeUndefined();
  });
});
