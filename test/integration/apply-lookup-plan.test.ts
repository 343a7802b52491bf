import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { OutboxEntry, RecordState } from '../../src/model/record-rows.js';
import { plannedWritesQuery } from '../../src/state/postgres-record-store.js';
import { StateStore } from '../../src/state/state-store.js';
import { testBackends, uniqueSchemaName } from '../support/test-databases.js';
import { openTestStateDatabase } from '../support/test-state.js';

const SYNC = 's';
const OBJECT = 'customer';
const STATES = 3000;
const key = (i: number) => `K${String(i).padStart(6, '0')}`;

function state(i: number): RecordState {
  const fields = { name: `Customer ${i}` };
  return {
    key: key(i),
    base: fields,
    erp: fields,
    crm: fields,
    erpId: key(i),
    crmId: `hs-${i}`,
    erpModifiedAt: null,
    crmModifiedAt: null,
    pending: null,
    pendingDelete: false,
  };
}

function planned(i: number): OutboxEntry {
  return {
    system: 'crm',
    key: key(i),
    op: 'upsert',
    payload: { name: `New ${i}` },
    after: { name: `New ${i}` },
    nativeId: null,
    setKey: false,
  };
}

interface PlanNode {
  readonly 'Node Type': string;
  readonly 'Relation Name'?: string;
  readonly 'Actual Rows': number;
  readonly 'Actual Loops': number;
  readonly 'Rows Removed by Filter'?: number;
  readonly 'Rows Removed by Join Filter'?: number;
  readonly Plans?: readonly PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

for (const backend of testBackends()) {
  describe(`${backend.name}: applying write results looks each key up by its primary key`, () => {
    const stores: StateStore[] = [];
    afterEach(async () => {
      for (const s of stores.splice(0)) {
        if (backend.url) await s.database.db.schema.dropSchema(s.database.schema).ifExists().cascade().execute();
        await s.close();
      }
    });

    it('reads only the rows of the keys asked for, although the statistics say record_state is empty', async () => {
      const store = new StateStore(await openTestStateDatabase(backend, uniqueSchemaName('plan')));
      stores.push(store);
      await store.migrate();
      const db = store.database.db;
      const table = (name: string) => sql.id(store.database.schema, name);
      // A first load: the tables were analyzed while empty (after planning), then the results fill record_state.
      if (backend.url) {
        await sql`alter table ${table('record_state')} set (autovacuum_enabled = false)`.execute(db);
        await sql`alter table ${table('outbox')} set (autovacuum_enabled = false)`.execute(db);
      }
      await store.records.analyze(['record_state', 'outbox']);
      const all = Array.from({ length: STATES }, (_, i) => i + 1);
      await store.records.apply(SYNC, OBJECT, { states: all.map(state), outbox: all.map(planned) });

      const asked = all.slice(1000, 1100);
      const query = plannedWritesQuery(store.database.schema, SYNC, OBJECT, 'crm', asked.map(key));
      const explained = await sql<{ 'QUERY PLAN': unknown }>`explain (analyze, format json) ${query}`.execute(db);
      const raw = explained.rows[0]!['QUERY PLAN'];
      const json = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
      const plan = nodes(json[0]!.Plan);
      const readFrom = (relation: string) =>
        plan
          .filter((n) => n['Relation Name'] === relation)
          .reduce((sum, n) => sum + n['Actual Rows'] * n['Actual Loops'], 0);
      const discarded = plan.reduce(
        (sum, n) => sum + (n['Rows Removed by Filter'] ?? 0) + (n['Rows Removed by Join Filter'] ?? 0),
        0,
      );
      // One state row and one outbox row per key: nothing scanned and thrown away.
      expect(readFrom('record_state')).toBe(asked.length);
      expect(readFrom('outbox')).toBe(asked.length);
      expect(discarded).toBe(0);

      // And the lookup itself answers what the write stage needs.
      const found = await store.records.loadForApply(SYNC, OBJECT, 'crm', asked.map(key));
      expect([...found.keys()].sort()).toEqual(asked.map(key));
      const first = found.get(key(asked[0]!))!;
      expect(first.entry.payload).toEqual({ name: `New ${asked[0]!}` });
      expect(first.state?.crmId).toBe(`hs-${asked[0]!}`);
      expect(first.otherOutstanding).toBe(false);
    });
  });
}
