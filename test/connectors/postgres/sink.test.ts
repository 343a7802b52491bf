import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  PostgresConfigError,
  PostgresSchemaError,
  CaptureNotInstalledError,
} from '../../../src/connectors/postgres/postgres-errors.js';
import { createCustomers, customersStream, openDb, readAll, testBackends, writeAll, type Db } from './fixtures.js';

for (const backend of testBackends()) {
  describe(`${backend.name}: sink`, () => {
    let db: Db;
    beforeEach(async () => {
      db = await openDb(backend);
      await createCustomers(db);
    });
    afterEach(async () => db.dispose());

    it('[I10] reports rejected rows one by one (not-null, check, type, length) and writes the rest of the batch', async () => {
      const c = db.connector();
      const stream = customersStream(db);
      const good = Array.from({ length: 40 }, (_, i) => ({
        key: `g${i}`,
        op: 'upsert' as const,
        fields: { name: `Good ${i}`, credit: i },
      }));
      const bad = [
        { key: 'null-name', op: 'upsert' as const, fields: { name: null } },
        { key: 'negative', op: 'upsert' as const, fields: { name: 'Neg', credit: -1 } },
        { key: 'not-a-date', op: 'upsert' as const, fields: { name: 'Date', born: 'yesterday-ish' } },
        { key: 'too-long', op: 'upsert' as const, fields: { name: 'x'.repeat(41) } },
      ];
      const batch = [
        ...good.slice(0, 13),
        bad[0]!,
        ...good.slice(13, 27),
        bad[1]!,
        bad[2]!,
        ...good.slice(27),
        bad[3]!,
      ];
      const results = await writeAll(c, stream, batch);
      expect(results).toHaveLength(batch.length);
      const byKey = new Map(results.map((r) => [r.key, r]));
      for (const g of good) expect(byKey.get(g.key)?.status).toBe('created');
      expect(byKey.get('null-name')).toMatchObject({
        status: 'rejected',
        reason: expect.stringMatching(/not-null|null value/),
      });
      expect(byKey.get('negative')).toMatchObject({
        status: 'rejected',
        reason: expect.stringMatching(/check constraint/),
      });
      expect(byKey.get('not-a-date')).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/date/) });
      expect(byKey.get('too-long')).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/too long/) });
      const rows = await db.exec(`SELECT count(*)::int AS n FROM ${db.schema}.customers`);
      expect(rows[0]?.['n']).toBe(good.length);
    });

    it('creates, updates only the fields present, addresses by native id, and collapses duplicate keys', async () => {
      const c = db.connector();
      const stream = customersStream(db);
      await writeAll(c, stream, [{ key: 'a', op: 'upsert', fields: { name: 'A', credit: 10, active: true } }]);
      await db.exec(`INSERT INTO ${db.schema}.customers (name) VALUES ('no key yet')`);
      const [{ id }] = (await db.exec(`SELECT id::text AS id FROM ${db.schema}.customers WHERE ext_id IS NULL`)) as [
        { id: string },
      ];
      const results = await writeAll(c, stream, [
        { key: 'a', op: 'upsert', fields: { credit: 20 } },
        { key: 'a', op: 'upsert', fields: { active: false } },
        { key: 'linked', nativeId: id, op: 'upsert', fields: { name: 'Linked' } },
        { key: 'ghost', nativeId: '999999', op: 'upsert', fields: { name: 'Nobody' } },
        { key: 'b', op: 'upsert', fields: { name: 'B' } },
      ]);
      expect(results.map((r) => [r.key, r.status])).toEqual(
        expect.arrayContaining([
          ['a', 'updated'],
          ['a', 'updated'],
          ['linked', 'updated'],
          ['ghost', 'rejected'],
          ['b', 'created'],
        ]),
      );
      const rows = await db.exec(
        `SELECT ext_id, name, credit::text AS credit, active FROM ${db.schema}.customers ORDER BY id`,
      );
      expect(rows).toEqual([
        { ext_id: 'a', name: 'A', credit: '20.00', active: false },
        { ext_id: 'linked', name: 'Linked', credit: null, active: true },
        { ext_id: 'b', name: 'B', credit: null, active: true },
      ]);
    });

    it('follows the delete policy: delete, soft-delete, ignore', async () => {
      const c = db.connector();
      const seed = ['d1', 'd2', 'd3'].map((key) => ({ key, op: 'upsert' as const, fields: { name: key } }));
      await writeAll(c, customersStream(db), seed);
      const del = await writeAll(c, customersStream(db), [
        { key: 'd1', op: 'delete', fields: {} },
        { key: 'never-existed', op: 'delete', fields: {} },
      ]);
      expect(del.map((r) => r.status)).toEqual(['deleted', 'deleted']);
      const soft = customersStream(db, { deletes: 'soft-delete', softDeleteColumn: 'deleted_at' });
      const c2 = db.connector();
      expect((await writeAll(c2, soft, [{ key: 'd2', op: 'delete', fields: {} }]))[0]?.status).toBe('deleted');
      const c3 = db.connector();
      const ignored = await writeAll(c3, customersStream(db, { deletes: 'ignore' }), [
        { key: 'd3', op: 'delete', fields: {} },
      ]);
      expect(ignored[0]).toMatchObject({ status: 'deleted', reason: expect.stringMatching(/ignore/) });
      const rows = await db.exec(
        `SELECT ext_id, deleted_at IS NOT NULL AS soft FROM ${db.schema}.customers ORDER BY ext_id`,
      );
      expect(rows).toEqual([
        { ext_id: 'd2', soft: true },
        { ext_id: 'd3', soft: false },
      ]);
    });

    it('quotes hostile identifiers and passes hostile values as parameters', async () => {
      await db
        .exec(
          `CREATE TABLE ${db.schema}."Odd Table" (id serial PRIMARY KEY, "Key" text UNIQUE, "Na""me" text,
        updated_at timestamptz NOT NULL DEFAULT now())`,
        )
        .catch(() => undefined);
      // Identifiers outside the strict pattern are refused before any SQL runs.
      const c = db.connector();
      const hostile = {
        name: 'x',
        entity: `${db.schema}."Odd Table"`,
        keyField: 'Key',
        fields: ['Na"me'],
        options: {},
      };
      await expect(c.init([hostile])).rejects.toBeInstanceOf(PostgresConfigError);
      await expect(c.init([{ ...customersStream(db), keyField: 'ext_id; DROP TABLE x' }])).rejects.toBeInstanceOf(
        PostgresConfigError,
      );
      // Mixed case is accepted and quoted.
      await db.exec(`CREATE TABLE ${db.schema}."MixedCase" (id serial PRIMARY KEY, "Key" text UNIQUE, "Name" text,
        updated_at timestamptz NOT NULL DEFAULT now())`);
      const mixed = { name: 'mixed', entity: `${db.schema}.MixedCase`, keyField: 'Key', fields: ['Name'], options: {} };
      await c.init([mixed]);
      const evil = `'); DROP TABLE ${db.schema}.customers; --`;
      const res = await writeAll(c, mixed, [{ key: evil, op: 'upsert', fields: { Name: `"${evil}",\n\\N` } }]);
      expect(res[0]?.status).toBe('created');
      const back = await readAll(c, mixed, undefined);
      expect(back.records.map((r) => [r.key, r.fields['Name']])).toEqual([[evil, `"${evil}",\n\\N`]]);
      expect(await db.exec(`SELECT count(*)::int AS n FROM ${db.schema}.customers`)).toEqual([{ n: 0 }]);
    });

    it('distinguishes an empty string from null when writing', async () => {
      await db.exec(`ALTER TABLE ${db.schema}.customers ADD COLUMN note text`);
      const c = db.connector();
      const stream = { ...customersStream(db), fields: ['name', 'note'] };
      await writeAll(c, stream, [
        { key: 'e', op: 'upsert', fields: { name: 'E', note: '' } },
        { key: 'n', op: 'upsert', fields: { name: 'N', note: null } },
      ]);
      const rows = await db.exec(`SELECT ext_id, note FROM ${db.schema}.customers ORDER BY ext_id`);
      expect(rows).toEqual([
        { ext_id: 'e', note: '' },
        { ext_id: 'n', note: null },
      ]);
    });
  });

  describe(`${backend.name}: schema check`, () => {
    let db: Db;
    beforeEach(async () => {
      db = await openDb(backend);
      await createCustomers(db);
    });
    afterEach(async () => db.dispose());

    const expectSchemaError = async (promise: Promise<unknown>, context: Record<string, unknown>, message: RegExp) => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PostgresSchemaError);
      expect((error as PostgresSchemaError).context).toMatchObject(context);
      expect((error as Error).message).toMatch(message);
    };

    it('names the table, the column, what exists and the fix', async () => {
      const c = db.connector();
      const table = `${db.schema}.customers`;
      await expectSchemaError(
        c.init([{ ...customersStream(db), entity: `${db.schema}.custmers` }]),
        { object: 'account', table: `${db.schema}.custmers`, column: undefined },
        /does not exist; tables in schema .*customers/,
      );
      await expectSchemaError(
        c.init([{ ...customersStream(db), fields: ['name', 'nmae'] }]),
        { object: 'account', table, column: 'nmae' },
        /no column "nmae".*columns are: id, ext_id, name/,
      );
      await expectSchemaError(
        c.init([{ ...customersStream(db), keyField: 'name' }]),
        { object: 'account', table, column: 'name' },
        /no unique index.*CREATE UNIQUE INDEX/,
      );
      await expectSchemaError(
        c.init([customersStream(db, { updatedAt: 'name' })]),
        { object: 'account', table, column: 'name' },
        /must be timestamptz/,
      );
      await expectSchemaError(
        c.init([customersStream(db, { updatedAt: 'deleted_at' })]),
        { object: 'account', table, column: 'deleted_at' },
        /allows NULL/,
      );
    });

    it('rejects unknown options with the allowed list, and changelog streams without capture installed', async () => {
      const c = db.connector();
      await expect(c.init([customersStream(db, { captur: 'changelog' })])).rejects.toThrow(
        /unknown option.*"captur".*Allowed options: primaryKey, updatedAt, capture/,
      );
      await expect(c.init([customersStream(db, { capture: 'cdc' })])).rejects.toBeInstanceOf(PostgresConfigError);
      await expect(c.init([customersStream(db, { capture: 'changelog' })])).rejects.toBeInstanceOf(
        CaptureNotInstalledError,
      );
      await c.installCapture(customersStream(db, { capture: 'changelog' }));
      await c.init([customersStream(db, { capture: 'changelog' })]);
      await c.uninstallCapture(customersStream(db, { capture: 'changelog' }));
      await expect(c.init([customersStream(db, { capture: 'changelog' })])).rejects.toBeInstanceOf(
        CaptureNotInstalledError,
      );
    });
  });
}
