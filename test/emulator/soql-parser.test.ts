import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatSoqlErrorMessage, parseSoql, SoqlError } from '../../src/emulator/salesforce/soql-parser.js';

function soqlError(text: string): SoqlError {
  try {
    parseSoql(text);
  } catch (error) {
    if (error instanceof SoqlError) return error;
    throw error;
  }
  throw new Error(`expected '${text}' to be rejected`);
}

describe('parseSoql', () => {
  it('parses fields, parent fields, WHERE, ORDER BY and LIMIT', () => {
    const q = parseSoql(
      "SELECT Id, Name, Account.Name FROM Contact WHERE (LastName = 'O\\'Brien' OR LastName LIKE 'Sm_th%') AND NOT IsDeleted = true ORDER BY LastName DESC NULLS FIRST, Id LIMIT 10",
    );
    expect(q.fields.map((f) => f.path)).toEqual([['Id'], ['Name'], ['Account', 'Name']]);
    expect(q.object).toBe('Contact');
    expect(q.limit).toBe(10);
    expect(q.orderBy).toEqual([
      expect.objectContaining({ descending: true, nullsLast: false }),
      expect.objectContaining({ descending: false, nullsLast: false }),
    ]);
    expect(q.where?.kind).toBe('and');
    const and = q.where as { operands: readonly { kind: string }[] };
    expect(and.operands.map((o) => o.kind)).toEqual(['or', 'not']);
    const or = and.operands[0] as unknown as { operands: readonly { kind: string; value?: { value: string } }[] };
    expect(or.operands[0]).toMatchObject({ kind: 'compare', op: '=', value: { kind: 'string', value: "O'Brien" } });
    expect(or.operands[1]).toMatchObject({ kind: 'like', pattern: 'Sm_th%' });
  });

  it('reads unquoted datetime literals with Z, offsets and fractional seconds, and date literals', () => {
    const q = parseSoql(
      'SELECT Id FROM Account WHERE SystemModstamp >= 2024-01-01T00:00:00.000+00:00 AND SystemModstamp < 2024-01-02T01:30:00-01:30 AND CreatedDate > 2024-01-01T00:00:00Z AND Birthdate__c = 2024-02-29',
    );
    const ops = (q.where as { operands: readonly { value: unknown }[] }).operands.map((o) => o.value);
    expect(ops[0]).toMatchObject({ kind: 'datetime', value: Date.UTC(2024, 0, 1) });
    expect(ops[1]).toMatchObject({ kind: 'datetime', value: Date.UTC(2024, 0, 2, 3, 0) });
    expect(ops[2]).toMatchObject({ kind: 'datetime', value: Date.UTC(2024, 0, 1) });
    expect(ops[3]).toEqual({ kind: 'date', value: '2024-02-29' });
  });

  it('reads IN, NOT IN, numbers, booleans, null and the != / <> operators', () => {
    const q = parseSoql(
      "SELECT Id FROM Account WHERE Industry IN ('Banking', 'Energy') AND Type NOT IN ('Other') AND NumberOfEmployees > -5.5e2 AND Phone != null AND Name <> 'x' AND IsDeleted = false",
    );
    const ops = (q.where as { operands: readonly Record<string, unknown>[] }).operands;
    expect(ops[0]).toMatchObject({ kind: 'in', negated: false, values: [{ value: 'Banking' }, { value: 'Energy' }] });
    expect(ops[1]).toMatchObject({ kind: 'in', negated: true });
    expect(ops[2]).toMatchObject({ kind: 'compare', op: '>', value: { kind: 'number', value: -550 } });
    expect(ops[3]).toMatchObject({ op: '!=', value: { kind: 'null' } });
    expect(ops[4]).toMatchObject({ op: '!=' });
    expect(ops[5]).toMatchObject({ value: { kind: 'boolean', value: false } });
  });

  it('is case-insensitive for keywords', () => {
    expect(parseSoql('select id from account where name = null order by name asc nulls last limit 5').limit).toBe(5);
  });

  it.each([
    ['SELECT Id FROM Account GROUP BY Name', 'GROUP BY'],
    ['SELECT COUNT() FROM Account', 'Aggregate'],
    ['SELECT Id FROM Account LIMIT 5 OFFSET 10', 'OFFSET'],
    ['SELECT Id, (SELECT Id FROM Contacts) FROM Account', 'Aggregate Relationships'],
    ['SELECT TYPEOF What WHEN Account THEN Name END FROM Event', 'TYPEOF'],
    ['SELECT Id FROM Account WHERE CreatedDate = TODAY', 'TODAY'],
  ])('rejects %s as unsupported', (text, fragment) => {
    const e = soqlError(text);
    expect(e.kind).toBe('unsupported');
    expect(e.message).toContain(fragment);
  });

  it.each([
    ['SELECT FROM Account', 'FROM'],
    ['SELECT Id Account', "'Account'"],
    ['SELECT Id FROM Account WHERE', '<EOF>'],
    ["SELECT Id FROM Account WHERE Name = 'x' AND Phone = 'y' OR Id = 'z'", 'OR'],
    ["SELECT Id FROM Account WHERE Name = 'unterminated", 'unterminated'],
    ['SELECT Id FROM Account WHERE Name LIKE 5', '5'],
    ['SELECT Id FROM Account LIMIT x', 'x'],
    ['SELECT Id FROM Account ORDER BY', '<EOF>'],
    ['SELECT Id FROM Account WHERE (Name = null', '<EOF>'],
    ['SELECT Id FROM Account WHERE Name = #', '#'],
  ])('rejects %s as malformed', (text, token) => {
    const e = soqlError(text);
    expect(e.kind).toBe('malformed');
    expect(e.message).toContain(token);
  });

  it('formats errors like Salesforce: the line, a caret and the row/column', () => {
    const text = 'SELECT Id FROMM Account';
    const e = soqlError(text);
    const message = formatSoqlErrorMessage(text, e.position, e.message);
    expect(message).toBe("\nSELECT Id FROMM Account\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FROMM'");
  });

  it('round-trips any string literal through its escaped form (property)', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        const escaped = value
          .replace(/\\/g, '\\\\')
          .replace(/'/g, "\\'")
          .replace(/\n/g, '\\n')
          .replace(/\r/g, '\\r')
          .replace(/\t/g, '\\t');
        const q = parseSoql(`SELECT Id FROM Account WHERE Name = '${escaped}'`);
        expect(q.where).toMatchObject({ kind: 'compare', value: { kind: 'string', value } });
      }),
      { numRuns: 200 },
    );
  });
});
