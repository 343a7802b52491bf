import fc from 'fast-check';
import { openTestStateDatabase } from '../support/test-state.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryConnector } from '../../src/connectors/memory/memory-connector.js';
import { MemorySystem } from '../../src/connectors/memory/memory-system.js';
import { runSync } from '../../src/pipeline/run-sync.js';
import type { SyncContext, SyncObject } from '../../src/pipeline/sync-object.js';
import { StateStore } from '../../src/state/state-store.js';
import { silentLogger } from '../../src/util/logger.js';
import { identityMapper, snapshot, testLatestWins } from '../support/sync-harness.js';
import { testBackends, uniqueSchemaName } from '../support/test-databases.js';

/**
 * Model-based test of the whole pipeline over two in-memory systems and the real state store: random edits on both
 * sides, syncs that crash at random steps (including after a side confirmed writes and before they were recorded),
 * then two clean syncs. Hypothesis: both sides converge, no record is duplicated, and a field only one side ever
 * edited ends with that side's last value.
 */
const NUM_RUNS = Number(process.env['PBT_NUM_RUNS'] ?? 15);
const SEED = process.env['PBT_SEED'] === undefined ? {} : { seed: Number(process.env['PBT_SEED']) };
const KEYS = ['K0', 'K1', 'K2', 'K3'];
const FIELDS = ['a', 'b', 'c'];
const STEPS = ['captured-page', 'captured', 'bulk-planned-chunk', 'planned', 'before-apply', 'write-batch', 'written'];

type Side = 'erp' | 'crm';
type Command =
  | { kind: 'create'; side: Side; key: string; values: Record<string, string> }
  | { kind: 'edit'; side: Side; key: string; field: string; value: string }
  | { kind: 'delete'; side: Side; key: string }
  | { kind: 'sync'; crashAt: number | null };

const side = fc.constantFrom<Side>('erp', 'crm');
const key = fc.constantFrom(...KEYS);
const word = fc.constantFrom('p', 'q', 'r', 's', 'é', 'line\nbreak', 'quote"d');
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('create' as const),
      side,
      key,
      values: fc.record({ a: word, b: word, c: word }),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('edit' as const),
      side,
      key,
      field: fc.constantFrom(...FIELDS),
      value: word,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), side, key }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('sync' as const),
      crashAt: fc.option(fc.nat({ max: 12 }), { nil: null }),
    }),
  },
);

for (const backend of testBackends()) {
  describe(`${backend.name}: model-based sync with crashes`, () => {
    let store: StateStore;
    let run = 0;
    beforeAll(async () => {
      const database = await openTestStateDatabase(backend, uniqueSchemaName('model'));
      store = new StateStore(database);
      await store.migrate();
    });
    afterAll(async () => {
      if (backend.url) await store.database.db.schema.dropSchema(store.database.schema).ifExists().cascade().execute();
      await store.close();
    });

    it('[I1][I3][I4][I8][I9] converges, never duplicates, and keeps every one-sided edit', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 25 }), async (commands) => {
          run += 1;
          const erp = new MemorySystem({ idPrefix: 'E' });
          const crm = new MemorySystem({ idPrefix: 'C', epoch: '2026-01-01T00:00:00.500Z' });
          const entity = { erp: 'customers', crm: 'Account' } as const;
          const object: SyncObject = {
            name: 'account',
            streams: {
              erp: { name: 'account', entity: 'customers', keyField: 'customer_no', fields: FIELDS, options: {} },
              crm: { name: 'account', entity: 'Account', keyField: 'External_Id__c', fields: FIELDS, options: {} },
            },
            mapper: identityMapper(FIELDS),
            resolver: testLatestWins,
            policyVersion: 'test',
          };
          const ctx: SyncContext = {
            sync: `model-${run}`,
            store,
            connectors: {
              erp: new MemoryConnector({ system: 'erp', data: erp, maxBatchSize: 2 }),
              crm: new MemoryConnector({ system: 'crm', data: crm, maxBatchSize: 2 }),
            },
            objects: [object],
            logger: silentLogger(),
          };
          const systems = { erp, crm };
          // Which sides ever touched each (key, field), and the last value each side wrote there.
          const touched = new Map<string, Set<Side>>();
          const last = new Map<string, string>();
          const deletedKeys = new Set<string>();
          const touch = (s: Side, k: string, f: string, v: string) => {
            const id = `${k}.${f}`;
            touched.set(id, (touched.get(id) ?? new Set()).add(s));
            last.set(`${s}:${id}`, v);
          };
          for (const c of commands) {
            if (c.kind === 'sync') {
              let steps = 0;
              const checkpoint = (step: string) => {
                if (c.crashAt !== null && STEPS.some((s) => step.startsWith(s)) && steps++ === c.crashAt)
                  throw new Error(`simulated crash at ${step}`);
              };
              await runSync(ctx, { batchSize: 2, checkpoint });
              continue;
            }
            const sys = systems[c.side];
            const row = sys.findByKey(entity[c.side], c.key);
            if (c.kind === 'create') {
              if (row || deletedKeys.has(c.key)) continue;
              sys.insert(entity[c.side], c.key, c.values);
              for (const f of FIELDS) touch(c.side, c.key, f, c.values[f]!);
            } else if (c.kind === 'edit') {
              if (!row) continue;
              sys.update(entity[c.side], row.nativeId, { [c.field]: c.value });
              touch(c.side, c.key, c.field, c.value);
            } else {
              if (!row) continue;
              sys.delete(entity[c.side], row.nativeId);
              deletedKeys.add(c.key);
            }
          }
          const final1 = await runSync(ctx, { batchSize: 2 });
          const final2 = await runSync(ctx, { batchSize: 2 });
          expect(final1.error).toBeUndefined();
          expect(final2.writes).toBe(0);
          const e = snapshot(erp, 'customers');
          const k = snapshot(crm, 'Account');
          expect(e).toEqual(k);
          for (const s of ['erp', 'crm'] as const) {
            const keys = systems[s].live(entity[s]).map((r) => r.key);
            expect(new Set(keys).size).toBe(keys.length);
          }
          for (const [id, sides] of touched) {
            const [k0, f] = id.split('.') as [string, string];
            if (sides.size !== 1 || deletedKeys.has(k0)) continue;
            const only = [...sides][0]!;
            expect(e.get(k0)?.[f]).toBe(last.get(`${only}:${id}`));
          }
        }),
        { numRuns: NUM_RUNS, ...SEED },
      );
    });
  });
}
