import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/diff/canonical-json.js';
import type { Fields } from '../../../src/model/record.js';
import { copyText } from '../../../src/state/copy-text.js';
import { recordJson, toJson } from '../../../src/state/json.js';

const fieldValue = fc.oneof(fc.string(), fc.double(), fc.integer(), fc.boolean(), fc.constant(null));
const fields = fc.dictionary(fc.string(), fieldValue) as fc.Arbitrary<Fields>;

describe('recordJson: one serialisation per record', () => {
  it('stores the same value as toJson and keeps the canonical text (property)', () => {
    fc.assert(
      fc.property(fields, (f) => {
        const json = recordJson(f);
        expect(json.canonical).toBe(canonicalJson(f));
        expect(JSON.parse(json.stored)).toEqual(JSON.parse(toJson(f)));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps null fields and makes U+0000 storable, as toJson does', () => {
    expect(JSON.parse(recordJson({ a: 'x', b: null }).stored)).toEqual({ a: 'x', b: null });
    expect(recordJson({ a: 'n\u0000' }).stored).toBe(toJson({ a: 'n\u0000' }));
  });
});

describe('copyText', () => {
  it('escapes what COPY text format reads specially and marks NULL as \\N', () => {
    expect(copyText([['a\tb\\c\nd\re', null, '\\N', '', true, 1.5]], 6).chunks).toEqual([
      'a\\tb\\\\c\\nd\\re\t\\N\t\\\\N\t\tt\t1.5\n',
    ]);
  });
});
