import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EmulatorStore } from '../../src/emulator/salesforce/emulator-store.js';
import { standardObjects } from '../../src/emulator/salesforce/object-definition.js';
import { compileSoql, executeQuery } from '../../src/emulator/salesforce/soql-query-plan.js';
import { SalesforceApiError } from '../../src/emulator/salesforce/emulator-errors.js';

const account = fc.record({
  Name: fc.stringMatching(/^[A-Za-z]{1,6}$/),
  NumberOfEmployees: fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }),
  Industry: fc.option(fc.constantFrom('Banking', 'banking', 'Energy'), { nil: null }),
});

function load(
  records: readonly { Name: string; NumberOfEmployees: number | null; Industry: string | null }[],
): EmulatorStore {
  const store = new EmulatorStore(standardObjects());
  for (const r of records) store.insert('Account', r);
  return store;
}

function run(store: EmulatorStore, soql: string): Record<string, string>[] {
  const plan = compileSoql(soql, store);
  return executeQuery(plan, false).map((row) => Object.fromEntries(plan.columns.map((c) => [c.header, c.format(row)])));
}

describe('compiled SOQL against the store', () => {
  it('filters and orders like a reference implementation (property)', () => {
    fc.assert(
      fc.property(
        fc.array(account, { maxLength: 30 }),
        fc.integer({ min: -5, max: 5 }),
        fc.boolean(),
        fc.boolean(),
        (records, k, desc, nullsLast) => {
          const store = load(records);
          const soql = `SELECT Name, NumberOfEmployees FROM Account WHERE NumberOfEmployees > ${k} OR Industry = 'BANKING' ORDER BY NumberOfEmployees ${desc ? 'DESC' : 'ASC'} NULLS ${nullsLast ? 'LAST' : 'FIRST'}`;
          const expected = records
            .map((r, i) => ({ ...r, i }))
            .filter(
              (r) =>
                (r.NumberOfEmployees !== null && r.NumberOfEmployees > k) || r.Industry?.toLowerCase() === 'banking',
            )
            .sort((a, b) => {
              const x = a.NumberOfEmployees,
                y = b.NumberOfEmployees;
              if (x === y) return a.i - b.i;
              if (x === null) return nullsLast ? 1 : -1;
              if (y === null) return nullsLast ? -1 : 1;
              return desc ? y - x : x - y;
            })
            .map((r) => ({
              Name: r.Name,
              NumberOfEmployees: r.NumberOfEmployees === null ? '' : String(r.NumberOfEmployees),
            }));
          expect(run(store, soql)).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('orders strings case-insensitively and honours LIMIT', () => {
    const store = load([
      { Name: 'beta', NumberOfEmployees: 1, Industry: null },
      { Name: 'Alpha', NumberOfEmployees: 2, Industry: null },
      { Name: 'gamma', NumberOfEmployees: 3, Industry: null },
    ]);
    expect(run(store, 'SELECT Name FROM Account ORDER BY Name LIMIT 2')).toEqual([{ Name: 'Alpha' }, { Name: 'beta' }]);
    expect(run(store, "SELECT Name FROM Account WHERE Name LIKE 'A%' OR Name IN ('GAMMA')")).toEqual([
      { Name: 'Alpha' },
      { Name: 'gamma' },
    ]);
  });

  it('type-checks literals against fields', () => {
    const store = load([]);
    for (const soql of [
      "SELECT Id FROM Account WHERE NumberOfEmployees = '5'",
      'SELECT Id FROM Account WHERE Name = 5',
      'SELECT Id FROM Account WHERE CreatedDate > 2024-01-01',
      "SELECT Id FROM Account WHERE Id = 'not-an-id'",
      'SELECT Id, Id FROM Account',
    ]) {
      expect(() => compileSoql(soql, store), soql).toThrow(SalesforceApiError);
    }
  });
});
