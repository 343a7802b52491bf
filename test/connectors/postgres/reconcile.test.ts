import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bucketHashOf, bucketOf } from '../../../src/connectors/postgres/bucket-hash.js';
import { decodePosition, encodePosition } from '../../../src/connectors/postgres/change-log.js';
import { IncompleteKeyScanError } from '../../../src/connectors/postgres/complete-key-set.js';
import { quoteIdent, parseEntity } from '../../../src/connectors/postgres/identifiers.js';
import { createCustomers, customersStream, openDb, readAll, testBackends, writeAll, type Db } from './fixtures.js';

describe('log positions and identifiers', () => {
  it('encodes (xid, seq) so that integer order is (xid, seq) order', () => {
    const pos = fc.record({
      xid: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
      seq: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
    });
    fc.assert(
      fc.property(pos, pos, (a, b) => {
        expect(decodePosition(encodePosition(a))).toEqual(a);
        const lexical = a.xid === b.xid ? Math.sign(Number(a.seq - b.seq)) : Math.sign(Number(a.xid - b.xid));
        const encoded = BigInt(encodePosition(a)) - BigInt(encodePosition(b));
        expect(Math.sign(Number(encoded))).toBe(lexical);
      }),
    );
  });

  it('quotes identifiers and refuses names outside the strict pattern', () => {
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(parseEntity('customers')).toEqual({ schema: 'public', table: 'customers' });
    for (const bad of ['a.b.c', 'x;drop', '"q"', '1abc', '', 'a b'])
      expect(() => parseEntity(bad)).toThrow(/identifier|schema\.table/);
  });
});

for (const backend of testBackends()) {
  describe(`${backend.name}: key reconciliation`, () => {
    let db: Db;
    beforeEach(async () => {
      db = await openDb(backend);
      await createCustomers(db);
    });
    afterEach(async () => db.dispose());

    it('lists live keys: hard deletes are found by their absence, soft-deleted and keyless rows are not listed', async () => {
      const c = db.connector({ batchSize: 7 });
      const stream = customersStream(db, { deletes: 'soft-delete', softDeleteColumn: 'deleted_at' });
      await writeAll(
        c,
        stream,
        Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, op: 'upsert' as const, fields: { name: `n${i}` } })),
      );
      const before = await c.createSource().readCompleteKeySet(stream);
      expect(before.size).toBe(30);
      await db.exec(`DELETE FROM ${db.schema}.customers WHERE ext_id IN ('k3', 'k17')`);
      await db.exec(`UPDATE ${db.schema}.customers SET deleted_at = now() WHERE ext_id = 'k5'`);
      await db.exec(`INSERT INTO ${db.schema}.customers (name) VALUES ('keyless')`);
      const after = await c.createSource().readCompleteKeySet(stream);
      const gone = [...before.keys()].filter((k) => !after.has(k)).sort();
      expect(gone).toEqual(['k17', 'k3', 'k5']);
      expect(after.nativeIdOf('k0')).toBe(before.nativeIdOf('k0'));
    });

    it('[I11] never yields a key set from an interrupted listing', async () => {
      const c = db.connector({ batchSize: 5 });
      const stream = customersStream(db);
      await writeAll(
        c,
        stream,
        Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, op: 'upsert' as const, fields: { name: 'n' } })),
      );
      const controller = new AbortController();
      controller.abort();
      await expect(c.createSource().readCompleteKeySet(stream, { signal: controller.signal })).rejects.toBeInstanceOf(
        IncompleteKeyScanError,
      );
    });

    it('hashes buckets the way bucketHashOf computes them from records, and localises a drifted record', async () => {
      const c = db.connector();
      const stream = customersStream(db);
      const names = ['Ann', 'Bob', 'Ünïcødé', '', 'x,y "z"', 'tab\tnew\nline'];
      await writeAll(
        c,
        stream,
        Array.from({ length: 60 }, (_, i) => ({
          key: `key-${i}-${names[i % names.length]}`,
          op: 'upsert' as const,
          fields: {
            name: `${names[i % names.length]}${i}`,
            credit: i % 3 === 0 ? null : i * 1.25,
            active: i % 2 === 0,
            born: i % 4 === 0 ? null : '2001-02-03',
          },
        })),
      );
      const fields = ['name', 'credit', 'active', 'born'];
      const source = c.createSource();
      const inDb = await source.bucketHashes(stream, { buckets: 8 });
      const { records } = await readAll(c, stream, undefined);
      expect(inDb).toEqual(bucketHashOf(records, fields, 8));
      expect(inDb.reduce((n, b) => n + b.count, 0)).toBe(60);

      const drifted = records[17]!;
      await db.exec(`UPDATE ${db.schema}.customers SET credit = 999 WHERE ext_id = $1`, [drifted.key]);
      const after = await source.bucketHashes(stream, { buckets: 8 });
      const changed = after.filter((b, i) => b.hash !== inDb[i]?.hash).map((b) => b.bucket);
      expect(changed).toEqual([bucketOf(drifted.key, 8)]);
      // Hashing only other fields does not see the drift.
      expect(await source.bucketHashes(stream, { buckets: 8, fields: ['name'] })).toEqual(
        bucketHashOf(records, ['name'], 8),
      );
    });
  });
}
