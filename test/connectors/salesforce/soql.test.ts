import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  buildChangesQuery,
  buildKeyLookupQuery,
  soqlDatetime,
  soqlIdentifier,
  soqlString,
} from '../../../src/connectors/salesforce/soql.js';

/** Reads one SOQL string literal the way Salesforce does (backslash escapes); returns the value and where it ended. */
function readLiteral(text: string, start = 0): { value: string; end: number } {
  if (text[start] !== "'") throw new Error('no opening quote');
  const map: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', "'": "'", '"': '"', '\\': '\\' };
  let value = '';
  for (let i = start + 1; i < text.length; i += 1) {
    const c = text[i]!;
    if (c === '\\') {
      const next = text[i + 1]!;
      const decoded = map[next];
      if (decoded === undefined) throw new Error(`bad escape \\${next}`);
      value += decoded;
      i += 1;
    } else if (c === "'") {
      return { value, end: i + 1 };
    } else {
      value += c;
    }
  }
  throw new Error('unterminated literal');
}

describe('soqlString', () => {
  it('escapes quotes, backslashes and control characters', () => {
    expect(soqlString('O\'Brien \\ "x"\n')).toBe("'O\\'Brien \\\\ \\\"x\\\"\\n'");
  });

  it('round-trips any string and the literal ends exactly at its closing quote', () => {
    // Hypothesis: whatever the value, a SOQL reader recovers it and nothing after the literal is injected.
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (value) => {
        const literal = soqlString(value);
        const { value: read, end } = readLiteral(literal);
        expect(read).toBe(value);
        expect(end).toBe(literal.length);
      }),
    );
  });
});

describe('soqlIdentifier', () => {
  it('accepts API names and dotted parent fields, rejects anything else', () => {
    expect(soqlIdentifier('Ext_Id__c')).toBe('Ext_Id__c');
    expect(soqlIdentifier('Account.Name')).toBe('Account.Name');
    for (const bad of ['Name, Id', "Name'", 'x y', '', '1abc', 'Name--'])
      expect(() => soqlIdentifier(bad)).toThrow(TypeError);
  });
});

describe('soqlDatetime', () => {
  it('turns any ISO instant into UTC with milliseconds', () => {
    expect(soqlDatetime('2024-01-15T12:30:00+02:00')).toBe('2024-01-15T10:30:00.000Z');
    expect(soqlDatetime('2022-01-02T21:33:43.123456Z')).toBe('2022-01-02T21:33:43.123Z');
    expect(soqlDatetime('2022-01-02T21:33:43.000+0000')).toBe('2022-01-02T21:33:43.000Z');
  });
});

describe('buildChangesQuery', () => {
  it('reads everything in cursor order when there is no watermark', () => {
    expect(buildChangesQuery({ entity: 'Account', fields: ['Ext__c', 'Name'], includeDeleted: true })).toBe(
      'SELECT Id, Ext__c, Name, SystemModstamp, IsDeleted FROM Account ORDER BY SystemModstamp ASC, Id ASC',
    );
  });

  it('re-reads the whole second of the cursor, so records changed later in that second are never skipped', () => {
    const q = buildChangesQuery({
      entity: 'Account',
      fields: ['Name'],
      since: { modifiedAt: '2024-01-01T00:00:00.5Z', id: "001'x" },
    });
    expect(q).toContain('WHERE SystemModstamp >= 2024-01-01T00:00:00.000Z ORDER BY');
    expect(q).not.toContain("001'x");
    expect(q.endsWith('ORDER BY SystemModstamp ASC, Id ASC')).toBe(true);
  });

  it('applies the lookback as an inclusive earlier start', () => {
    const q = buildChangesQuery({
      entity: 'Account',
      fields: ['Name'],
      since: { modifiedAt: '2024-01-01T00:01:00Z', id: '001' },
      lookbackSeconds: 60,
    });
    expect(q).toContain('WHERE SystemModstamp >= 2024-01-01T00:00:00.000Z ORDER BY');
  });

  it('rejects an object name that is not an identifier', () => {
    expect(() => buildChangesQuery({ entity: 'Account WHERE 1', fields: [] })).toThrow(TypeError);
  });

  it('escapes looked-up keys', () => {
    expect(buildKeyLookupQuery('Account', 'Ext__c', ["a'b", 'c'])).toBe(
      "SELECT Id, Ext__c FROM Account WHERE Ext__c IN ('a\\'b', 'c')",
    );
  });
});
