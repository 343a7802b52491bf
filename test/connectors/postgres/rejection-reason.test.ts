import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb, testBackends, writeAll, type Db } from './fixtures.js';

const SECRET = 'ssn-078-05-1120';

for (const backend of testBackends()) {
  describe(`${backend.name}: rejection reasons name the constraint and mapped fields, never the row`, () => {
    let db: Db;
    beforeEach(async () => {
      db = await openDb(backend);
      await db.exec(`
        CREATE TABLE ${db.schema}.clients (
          id bigserial PRIMARY KEY,
          ext_id text UNIQUE,
          name text NOT NULL,
          credit numeric CONSTRAINT credit_not_negative CHECK (credit >= 0),
          credit_limit numeric NOT NULL DEFAULT 100,
          ssn text,
          updated_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT credit_within_limit CHECK (credit <= credit_limit)
        );
        INSERT INTO ${db.schema}.clients (ext_id, name, credit, ssn) VALUES ('a', 'Alice Private', 5, '${SECRET}');
      `);
    });
    afterEach(async () => db.dispose());

    const stream = () => ({
      name: 'account',
      entity: `${db.schema}.clients`,
      keyField: 'ext_id',
      fields: ['name', 'credit'],
      options: {},
    });

    it('a CHECK violation names the constraint and the mapped field, not the unmapped columns or values', async () => {
      const c = db.connector();
      const [result] = await writeAll(c, stream(), [{ key: 'a', op: 'upsert', fields: { credit: -1 } }]);
      expect(result?.status).toBe('rejected');
      const reason = result?.reason ?? '';
      expect(reason).not.toContain(SECRET);
      expect(reason).toContain('credit_not_negative');
      expect(reason).toMatch(/mapped field\(s\) involved: credit\b/);
      expect(reason).not.toContain(SECRET);
      expect(reason).not.toContain('Alice Private');
      expect(reason).not.toMatch(/Failing row/);
    });

    it('a CHECK over a mapped and an unmapped column names both columns, and no values', async () => {
      const c = db.connector();
      const [result] = await writeAll(c, stream(), [{ key: 'a', op: 'upsert', fields: { credit: 1000 } }]);
      expect(result?.status).toBe('rejected');
      const reason = result?.reason ?? '';
      expect(reason).toContain('credit_within_limit');
      expect(reason).toMatch(/mapped field\(s\) involved: credit\b/);
      expect(reason).toContain('unmapped column(s): credit_limit');
      expect(reason).not.toContain(SECRET);
      expect(reason).not.toContain('Alice Private');
    });

    it('a NOT NULL violation names the column and leaves the row out', async () => {
      const c = db.connector();
      const [result] = await writeAll(c, stream(), [{ key: 'b', op: 'upsert', fields: { name: null, credit: 3 } }]);
      expect(result?.status).toBe('rejected');
      const reason = result?.reason ?? '';
      expect(reason).toMatch(/null value in column "name"/);
      expect(reason).toMatch(/mapped field\(s\) involved: name\b/);
      expect(reason).not.toMatch(/Failing row/);
    });

    it('the rest of the batch is written after a rejection', async () => {
      const c = db.connector();
      const results = await writeAll(c, stream(), [
        { key: 'a', op: 'upsert', fields: { credit: -1 } },
        { key: 'c', op: 'upsert', fields: { name: 'Carol', credit: 1 } },
      ]);
      expect(results.map((r) => [r.key, r.status])).toEqual([
        ['a', 'rejected'],
        ['c', 'created'],
      ]);
    });
  });
}
