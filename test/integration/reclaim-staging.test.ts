import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryConnector } from '../../src/connectors/memory/memory-connector.js';
import type { RecordTable } from '../../src/model/record-store.js';
import { runSync } from '../../src/pipeline/run-sync.js';
import { StateStore } from '../../src/state/state-store.js';
import { createHarness, type Harness } from '../support/sync-harness.js';
import { testBackends, uniqueSchemaName } from '../support/test-databases.js';
import { openTestStateDatabase } from '../support/test-state.js';
import { scaled } from '../support/timeouts.js';

/** More rows than the run's reclaim threshold (20,000 through the inbox or the outbox). */
const BIG = 21_000;

async function relationBytes(store: StateStore, table: RecordTable): Promise<number> {
  const result = await sql<{
    bytes: string | number;
  }>`select pg_relation_size(${`${store.database.schema}.${table}`}::regclass) as bytes`.execute(store.database.db);
  return Number(result.rows[0]!.bytes);
}

/** VACUUMs of the table so far (autovacuum is off on it), from the server's statistics. */
async function vacuumCount(store: StateStore, table: RecordTable): Promise<number> {
  const result = await sql<{
    n: string | number;
  }>`select vacuum_count as n from pg_stat_user_tables where relid = ${`${store.database.schema}.${table}`}::regclass`.execute(
    store.database.db,
  );
  return Number(result.rows[0]!.n);
}

/** Keeps autovacuum off the staging tables, so only tandem's own reclaiming can free their pages. */
async function noAutovacuum(store: StateStore, url: string | undefined): Promise<void> {
  if (!url) return; // PGlite runs no autovacuum
  for (const table of ['inbox', 'outbox'])
    await sql`alter table ${sql.id(store.database.schema, table)} set (autovacuum_enabled = false)`.execute(
      store.database.db,
    );
}

async function fillOutbox(store: StateStore, sync: string, rows: number): Promise<void> {
  await sql`insert into ${sql.id(store.database.schema, 'outbox')} (sync_name, object, system, key, op, payload)
    select ${sync}, 'account', 'crm', 'K' || lpad(i::text, 7, '0'), 'upsert', jsonb_build_object('name', 'Customer ' || i)
      from generate_series(1, ${rows}) i`.execute(store.database.db);
}

async function drainOutbox(store: StateStore, sync: string): Promise<void> {
  await sql`delete from ${sql.id(store.database.schema, 'outbox')} where sync_name = ${sync}`.execute(
    store.database.db,
  );
}

for (const backend of testBackends()) {
  describe(`${backend.name}: a big run gives back the staging tables' space`, () => {
    const open: { close(): Promise<void> }[] = [];
    afterEach(async () => {
      for (const o of open.splice(0)) await o.close();
    });

    it(
      'leaves the inbox and the outbox it emptied with no pages, so the next run scans no dead rows',
      async () => {
        const h: Harness = await createHarness(backend, { recordEvents: false });
        open.push(h);
        await noAutovacuum(h.store, backend.url);
        for (let i = 1; i <= BIG; i += 1)
          h.erp.insert('customers', `K${String(i).padStart(6, '0')}`, {
            name: `Customer ${i}`,
            phone: null,
            city: 'Oslo',
          });
        // Big pages, so the run takes seconds rather than thousands of 50-record batches.
        const ctx = {
          ...h.ctx,
          connectors: {
            erp: new MemoryConnector({ system: 'erp', data: h.erp, maxBatchSize: 5000 }),
            crm: new MemoryConnector({ system: 'crm', data: h.crm, maxBatchSize: 5000 }),
          },
        };
        const result = await runSync(ctx);
        expect(result.status).toBe('succeeded');
        expect(result.counts['account']!.crm.created).toBe(BIG);
        expect(h.crm.live('Account')).toHaveLength(BIG);
        // Every row went through both tables and was deleted again; without reclaiming, their pages stay.
        expect(await relationBytes(h.store, 'inbox')).toBe(0);
        expect(await relationBytes(h.store, 'outbox')).toBe(0);
        // And the next run, with nothing changed, finds nothing to do.
        const quiet = await runSync(ctx);
        expect(quiet.writes).toBe(0);
      },
      scaled(120_000),
    );

    it(
      'vacuums a staging table another sync still has rows in, so repeated big runs reuse its pages',
      async () => {
        const store = new StateStore(await openTestStateDatabase(backend, uniqueSchemaName('reclaim')));
        open.push({
          close: async () => {
            if (backend.url)
              await store.database.db.schema.dropSchema(store.database.schema).ifExists().cascade().execute();
            await store.close();
          },
        });
        await store.migrate();
        await noAutovacuum(store, backend.url);
        await fillOutbox(store, 'other', 1); // another sync's planned write: the table is never empty
        const sizes: number[] = [];
        const vacuums: number[] = [];
        for (let round = 0; round < 3; round += 1) {
          await fillOutbox(store, 'big', 5000);
          await drainOutbox(store, 'big');
          expect(await store.records.reclaim(['outbox'])).toEqual([{ table: 'outbox', action: 'vacuumed' }]);
          sizes.push(await relationBytes(store, 'outbox'));
          if (backend.url) vacuums.push(await vacuumCount(store, 'outbox'));
        }
        if (backend.url) {
          // On a shared server another session's open transaction may hold back what VACUUM can remove (its
          // pages then stay, whoever vacuums): what tandem controls is that it vacuumed, once per round.
          expect(vacuums).toEqual([1, 2, 3]);
        } else {
          // Without VACUUM every round would add its 5,000 rows' pages to the dead ones of the rounds before.
          expect(sizes[0]!).toBeGreaterThan(0);
          expect(sizes[2]!).toBeLessThanOrEqual(sizes[0]!);
        }
        const left = await sql<{
          n: string | number;
        }>`select count(*) as n from ${sql.id(store.database.schema, 'outbox')}`.execute(store.database.db);
        expect(Number(left.rows[0]!.n)).toBe(1);
      },
      scaled(60_000),
    );
  });
}

const url = testBackends().find((b) => b.url)?.url;

describe.skipIf(!url)('postgres: reclaiming beside a concurrent writer', () => {
  it(
    'never truncates a row another transaction is inserting: it vacuums instead',
    async () => {
      const store = new StateStore(await openTestStateDatabase({ name: 'postgres', url }, uniqueSchemaName('reclaim')));
      const other = new pg.Client({ connectionString: url });
      await other.connect();
      try {
        await store.migrate();
        await fillOutbox(store, 'big', 2000);
        await drainOutbox(store, 'big');
        // Another replica's transaction has inserted a planned write and not committed yet: the table looks empty.
        await other.query('begin');
        await other.query(
          `insert into ${store.database.schema}.outbox (sync_name, object, system, key, op, payload) values ('replica', 'account', 'crm', 'K1', 'upsert', '{}')`,
        );
        expect(await store.records.reclaim(['outbox'])).toEqual([{ table: 'outbox', action: 'vacuumed' }]);
        await other.query('commit');
        const rows = await other.query(`select key from ${store.database.schema}.outbox`);
        expect(rows.rows).toEqual([{ key: 'K1' }]);
        // With nobody else in the table, an empty staging table is truncated.
        await other.query(`delete from ${store.database.schema}.outbox`);
        expect(await store.records.reclaim(['outbox', 'inbox'])).toEqual([
          { table: 'outbox', action: 'truncated' },
          { table: 'inbox', action: 'truncated' },
        ]);
      } finally {
        await other.end();
        await store.database.db.schema.dropSchema(store.database.schema).ifExists().cascade().execute();
        await store.close();
      }
    },
    scaled(60_000),
  );
});
