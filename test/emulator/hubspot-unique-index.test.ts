import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HubSpotStore, type ObjectTypeState, type StoredRecord } from '../../src/emulator/hubspot/hubspot-store.js';

/** The lookup as it was before the index: a scan of every record in order (the reference the index must match). */
function scanByUnique(type: ObjectTypeState, name: string, value: string): StoredRecord | undefined {
  const wanted = type.name === 'contacts' && name === 'email' ? value.trim().toLowerCase() : value;
  if (name === 'hs_object_id') {
    const r = type.records.get(wanted);
    return r && !r.archived ? r : undefined;
  }
  for (const r of type.records.values()) if (!r.archived && r.properties[name] === wanted) return r;
  return undefined;
}

const TYPES = ['contacts', 'companies'] as const;
/** Per type: unique properties, a non-unique one (lookups by any property must agree too) and the id. */
const NAMES: Record<(typeof TYPES)[number], readonly string[]> = {
  contacts: ['email', 'firstname', 'hs_object_id'],
  companies: ['erp_id', 'name', 'hs_object_id'],
};
const VALUES = ['ana@acme.io', 'ANA@acme.io', ' ana@acme.io ', 'bo@acme.io', 'K-1', 'K-2', '1001', '1002', ''];

function newStore(): HubSpotStore {
  const store = new HubSpotStore();
  store.createProperty(store.requireType('companies'), {
    name: 'erp_id',
    type: 'string',
    hasUniqueValue: true,
    label: 'ERP id',
  });
  return store;
}

const typeArb = fc.constantFrom(...TYPES);
const valueArb = fc.constantFrom(...VALUES);
const nameIndexArb = fc.nat(2);
const recordArb = fc.nat(40);
const optionalValueArb = fc.option(valueArb, { nil: undefined });
const valuesArb = { a: optionalValueArb, b: optionalValueArb };

type Op =
  | { kind: 'create' | 'insert'; type: (typeof TYPES)[number]; a: string | undefined; b: string | undefined }
  | {
      kind: 'update' | 'patch';
      type: (typeof TYPES)[number];
      pick: number;
      a: string | undefined;
      b: string | undefined;
    }
  | { kind: 'archive' | 'remove'; type: (typeof TYPES)[number]; pick: number }
  | { kind: 'purge'; type: (typeof TYPES)[number] }
  | { kind: 'reload' | 'reloadInPlace' }
  | { kind: 'lookup'; type: (typeof TYPES)[number]; name: number; value: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constantFrom('create', 'insert'),
      type: typeArb,
      ...valuesArb,
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constantFrom('update', 'patch'),
      type: typeArb,
      pick: recordArb,
      ...valuesArb,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constantFrom('archive', 'remove'),
      type: typeArb,
      pick: recordArb,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('purge'), type: typeArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('reload', 'reloadInPlace') }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('lookup'),
      type: typeArb,
      name: nameIndexArb,
      value: valueArb,
    }),
  },
);

function valuesFor(type: (typeof TYPES)[number], a: string | undefined, b: string | undefined): Record<string, string> {
  const [first, second] = NAMES[type];
  return { ...(a === undefined ? {} : { [first!]: a }), ...(b === undefined ? {} : { [second!]: b }) };
}

function pickRecord(store: HubSpotStore, type: (typeof TYPES)[number], pick: number): StoredRecord | undefined {
  const all = [...store.requireType(type).records.values()];
  return all.length === 0 ? undefined : all[pick % all.length];
}

/** Applies one operation; user-level ones may be refused (unique conflict, invalid value, no live record). */
function apply(store: HubSpotStore, op: Op): HubSpotStore {
  const attempt = (f: () => unknown): void => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof Error) || e.name !== 'HubSpotEmulatorRecordError') throw e;
    }
  };
  switch (op.kind) {
    case 'create':
      // Below the API: no unique check, so several live records can share a value (the first one must win).
      store.create(store.requireType(op.type), valuesFor(op.type, op.a, op.b));
      return store;
    case 'insert':
      attempt(() => store.insert(op.type, valuesFor(op.type, op.a, op.b)));
      return store;
    case 'update': {
      const r = pickRecord(store, op.type, op.pick);
      if (r) store.update(r, store.requireType(op.type), valuesFor(op.type, op.a, op.b));
      return store;
    }
    case 'patch': {
      const r = pickRecord(store, op.type, op.pick);
      if (r) attempt(() => store.patch(op.type, r.id, valuesFor(op.type, op.a, op.b)));
      return store;
    }
    case 'archive': {
      const r = pickRecord(store, op.type, op.pick);
      if (r) store.archive(r);
      return store;
    }
    case 'remove': {
      const r = pickRecord(store, op.type, op.pick);
      if (r) store.remove(op.type, r.id);
      return store;
    }
    case 'purge':
      store.purge(op.type);
      return store;
    case 'reload': {
      const next = new HubSpotStore();
      next.restore(JSON.parse(JSON.stringify(store.dump())));
      return next;
    }
    case 'reloadInPlace':
      // Loading over live records replaces them by id: the index must not keep the replaced objects.
      store.restore(JSON.parse(JSON.stringify(store.dump())));
      return store;
    case 'lookup':
      expectSame(store, op.type, NAMES[op.type][op.name]!, op.value);
      return store;
  }
}

function expectSame(store: HubSpotStore, typeName: string, name: string, value: string): void {
  const type = store.requireType(typeName);
  const indexed = store.findByUnique(type, name, value);
  const scanned = scanByUnique(type, name, value);
  expect(indexed, `${typeName}.${name} = '${value}'`).toBe(scanned);
}

describe('HubSpot emulator unique-value index', () => {
  it('finds exactly what a scan of every record finds, over random create/update/archive/purge/load sequences', () => {
    let nonEmptyHits = 0;
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        let store = newStore();
        for (const op of ops) store = apply(store, op);
        for (const typeName of TYPES) {
          for (const name of NAMES[typeName]) {
            for (const value of VALUES) {
              expectSame(store, typeName, name, value);
              if (store.findByUnique(store.requireType(typeName), name, value)) nonEmptyHits++;
            }
          }
        }
      }),
      { numRuns: 300 },
    );
    // The sequences must reach records that lookups find, or the comparison proves little.
    expect(nonEmptyHits).toBeGreaterThan(100);
  });

  it('answers the first live holder in record order when several share a value, and none once all are archived', () => {
    const store = newStore();
    const contacts = store.requireType('contacts');
    const first = store.create(contacts, { email: 'dup@acme.io' });
    const second = store.create(contacts, { email: 'dup@acme.io' });
    expect(store.findByUnique(contacts, 'email', ' DUP@acme.io ')).toBe(first);
    store.archive(first);
    expect(store.findByUnique(contacts, 'email', 'dup@acme.io')).toBe(second);
    store.update(second, contacts, { email: '' });
    expect(store.findByUnique(contacts, 'email', 'dup@acme.io')).toBeUndefined();
    store.update(second, contacts, { email: 'new@acme.io' });
    expect(store.findByUnique(contacts, 'email', 'new@acme.io')).toBe(second);
  });

  it('stays linear: 20,000 upsert lookups against 20,000 records touch each record a bounded number of times', () => {
    const store = newStore();
    const companies = store.requireType('companies');
    for (let i = 0; i < 20_000; i++) store.create(companies, { erp_id: `K-${i}`, name: `Co ${i}` });
    // Count reads of `properties` during the lookups: a scan would read ~n per lookup, the index none.
    let reads = 0;
    for (const r of companies.records.values()) {
      let properties = r.properties;
      Object.defineProperty(r, 'properties', {
        get: () => {
          reads++;
          return properties;
        },
        set: (v: Record<string, string>) => {
          properties = v;
        },
        configurable: true,
      });
    }
    store.findByUnique(companies, 'erp_id', 'K-0'); // the first lookup builds the index (one pass)
    reads = 0;
    for (let i = 0; i < 20_000; i++) {
      expect(store.findByUnique(companies, 'erp_id', `K-${i}`)?.properties['name']).toBe(`Co ${i}`);
    }
    // Only the `?.properties` reads above (one per lookup), no scanning.
    expect(reads).toBe(20_000);
  });
});
