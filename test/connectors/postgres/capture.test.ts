import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NativeRecord } from '../../../src/model/record.js';
import type { Watermark } from '../../../src/model/watermark.js';
import {
  createCustomers,
  customersStream,
  openDb,
  readAll,
  readUntil,
  testBackends,
  writeAll,
  type Db,
} from './fixtures.js';

const modes = ['watermark', 'changelog'] as const;

function byKey(records: readonly NativeRecord[]): Map<string, NativeRecord> {
  return new Map(records.map((r) => [r.key, r]));
}

for (const backend of testBackends()) {
  for (const capture of modes) {
    describe(`${backend.name} / ${capture}: capture`, () => {
      let db: Db;
      beforeEach(async () => {
        db = await openDb(backend);
        await createCustomers(db);
      });
      afterEach(async () => db.dispose());

      /** A connector with capture installed (changelog) and the read position after an initial full read. */
      async function start(options: Record<string, unknown> = {}) {
        const connector = db.connector();
        const stream = customersStream(db, {
          capture,
          deletes: 'soft-delete',
          softDeleteColumn: 'deleted_at',
          ...options,
        });
        if (capture === 'changelog') await connector.installCapture(stream);
        await connector.init([stream]);
        const initial = await readAll(connector, stream, undefined);
        return { connector, stream, since: initial.watermark };
      }

      it('[I6] captures 5,000 rows sharing one updated_at in pages of 1,000, also when resumed between pages', async () => {
        const { connector, stream, since } = await start({ lookbackSeconds: 0 });
        // One statement: every row gets the same now(), so they share one updated_at.
        await db.exec(
          `INSERT INTO ${db.schema}.customers (ext_id, name) SELECT 'k' || g, 'n' || g FROM generate_series(1, 5000) g`,
        );
        const [{ n }] = (await db.exec(`SELECT count(DISTINCT updated_at)::int AS n FROM ${db.schema}.customers`)) as [
          { n: number },
        ];
        expect(n).toBe(1);

        const whole = await readAll(connector, stream, since, 1000);
        expect(whole.batches.every((b) => b.records.length <= 1000)).toBe(true);
        if (whole.records.length > 0) {
          // (Changelog capture may wait for another test's open transaction on the shared server.)
          expect(whole.batches.length).toBeGreaterThanOrEqual(5);
          expect(byKey(whole.records).size).toBe(5000);
        }

        // A process that stored the watermark of page 2 and died: the resumed read still returns the other 3,000.
        const source = connector.createSource();
        const firstTwo: NativeRecord[] = [];
        let stored: Watermark | undefined = since;
        let pages = 0;
        for await (const batch of source.readChanges(stream, since, { batchSize: 1000 })) {
          firstTwo.push(...batch.records);
          stored = batch.watermark;
          if (++pages === 2) break;
        }
        const seen = new Set(firstTwo.map((r) => r.key));
        await readUntil(connector, stream, stored, (records) => {
          for (const r of records) seen.add(r.key);
          return seen.size === 5000;
        });
        expect(seen.size).toBe(5000);
      });

      it.skipIf(backend.name !== 'postgres')(
        'captures a row whose transaction commits after a later row was captured',
        async () => {
          const { connector, stream, since } = await start({ lookbackSeconds: 0 });
          const late = await db.connect();
          const early = await db.connect();
          await late.query('BEGIN');
          await late.query(`INSERT INTO ${db.schema}.customers (ext_id, name) VALUES ('late', 'Late')`);
          // Give the later row a visibly later timestamp and sequence number.
          await new Promise((r) => setTimeout(r, 20));
          await early.query(`INSERT INTO ${db.schema}.customers (ext_id, name) VALUES ('early', 'Early')`);

          const first = await readAll(connector, stream, since);
          expect(first.records.map((r) => r.key)).toEqual(['early'].filter(() => capture === 'watermark'));
          await late.query('COMMIT');

          // Changelog capture: the committed 'early' entry waited behind the open transaction's xid. Another test
          // file's transaction may hold the (cluster-wide) horizon between the two xids for a moment, so 'late' can
          // come one read before 'early': read until both came.
          const second = await readUntil(
            connector,
            stream,
            first.watermark,
            (rs) => rs.some((r) => r.key === 'late') && (capture !== 'changelog' || rs.some((r) => r.key === 'early')),
          );
          expect(second.records.map((r) => r.key)).toContain('late');
          if (capture === 'changelog') {
            // ... and each came once.
            expect(second.records.map((r) => r.key).sort()).toEqual(['early', 'late']);
          }
        },
      );

      it('reports soft deletes as tombstones', async () => {
        const { connector, stream, since } = await start();
        await db.exec(`INSERT INTO ${db.schema}.customers (ext_id, name) VALUES ('a', 'A'), ('b', 'B')`);
        const first = await readUntil(connector, stream, since, (rs) => rs.length === 2);
        await db.exec(`UPDATE ${db.schema}.customers SET deleted_at = now() WHERE ext_id = 'a'`);
        const second = await readUntil(connector, stream, first.watermark, (rs) => rs.some((r) => r.key === 'a'));
        const a = byKey(second.records).get('a');
        expect(a?.deleted).toBe(true);
        expect(byKey(second.records).get('b')?.deleted ?? false).toBe(false);
      });

      if (capture === 'changelog') {
        it('captures hard deletes as tombstones carrying the old key', async () => {
          const { connector, stream, since } = await start();
          await db.exec(`INSERT INTO ${db.schema}.customers (ext_id, name) VALUES ('a', 'A'), ('b', 'B')`);
          const first = await readUntil(connector, stream, since, (rs) => rs.length === 2);
          const aId = byKey(first.records).get('a')?.nativeId;
          expect(aId).toBeDefined();
          await db.exec(`DELETE FROM ${db.schema}.customers WHERE ext_id = 'a'`);
          // A key change is the old key's deletion and the new key's arrival.
          await db.exec(`UPDATE ${db.schema}.customers SET ext_id = 'b2' WHERE ext_id = 'b'`);
          const second = await readUntil(connector, stream, first.watermark, (rs) => rs.length >= 3);
          const got = byKey(second.records);
          expect(got.get('a')).toMatchObject({ deleted: true, nativeId: aId });
          expect(got.get('b')).toMatchObject({ deleted: true });
          expect(got.get('b2')).toMatchObject({ deleted: false, fields: { name: 'B' } });
          // Consumed entries are pruned at the start of the next read.
          await readUntil(connector, stream, second.watermark, () => true);
          const left = await db.exec(`SELECT count(*)::int AS n FROM ${db.schema}_tandem.change_log`);
          expect(left[0]?.['n']).toBe(0);
        });

        it("[I2] never reads tandem's own writes back, but still reads the ERP's", async () => {
          const { connector, stream, since } = await start();
          const results = await writeAll(connector, stream, [
            { key: 'x', op: 'upsert', fields: { name: 'From CRM', credit: 5 } },
            { key: 'y', op: 'upsert', fields: { name: 'Also CRM' } },
          ]);
          expect(results.map((r) => r.status)).toEqual(['created', 'created']);
          await writeAll(connector, stream, [{ key: 'y', op: 'delete', fields: {} }]);
          const afterEcho = await readAll(connector, stream, since);
          expect(afterEcho.records).toEqual([]);
          await db.exec(`UPDATE ${db.schema}.customers SET name = 'Edited in ERP' WHERE ext_id = 'x'`);
          const afterEdit = await readUntil(connector, stream, afterEcho.watermark, (rs) => rs.length > 0);
          expect(afterEdit.records.map((r) => [r.key, r.fields['name']])).toEqual([['x', 'Edited in ERP']]);
        });

        it('ignores updates that change nothing and rolled-back transactions', async () => {
          const { connector, stream, since } = await start();
          await db.exec(`INSERT INTO ${db.schema}.customers (ext_id, name) VALUES ('a', 'A')`);
          const first = await readUntil(connector, stream, since, (rs) => rs.length === 1);
          await db.exec(`BEGIN; INSERT INTO ${db.schema}.customers (ext_id, name) VALUES ('ghost', 'G'); ROLLBACK;`);
          await db.exec(`UPDATE ${db.schema}.customers SET name = name WHERE ext_id = 'a'`);
          await db.exec(`INSERT INTO ${db.schema}.customers (ext_id, name) VALUES ('z', 'Z')`);
          const second = await readUntil(connector, stream, first.watermark, (rs) => rs.some((r) => r.key === 'z'));
          expect(second.records.map((r) => r.key)).toEqual(['z']);
        });
      } else {
        it("[I2] reads tandem's own writes back identical to what was written (the diff drops them)", async () => {
          const { connector, stream, since } = await start();
          const written = [
            {
              key: 'x',
              op: 'upsert' as const,
              fields: { name: 'From CRM', credit: 1234.5, active: false, born: '1970-12-31' },
            },
            {
              key: 'y',
              op: 'upsert' as const,
              fields: { name: 'Ünïcødé "quoted", comma', credit: null, active: true, born: null },
            },
          ];
          await writeAll(connector, stream, written);
          const echo = await readAll(connector, stream, since);
          const got = byKey(echo.records);
          for (const w of written) expect(got.get(w.key)?.fields).toEqual(w.fields);
        });
      }
    });
  }
}
