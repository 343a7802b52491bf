// The plan stage of a first load with and without set-based planning of one-sided new records (issue 16): the same
// captured inbox (rows one-sided records in the ERP, 10 mapped fields each) planned by `planObject` with the store's
// `bulkPlan` on and off, alternating, each on a fresh state schema of a real Postgres. Reports the plan stage's wall
// time and the load average at the start of each trial.
// Usage: npx tsx bench/bulk-plan.ts [rows=100000] [trials=2] [lanes=2]   (BENCH_DATABASE_URL, default the local test
// server; lanes: the store's parallelTransactions, how many key ranges are planned side by side)
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Fields } from '../src/model/record.js';
import type { StagedChange } from '../src/model/record-rows.js';
import type { SystemId } from '../src/model/system.js';
import { planObject } from '../src/pipeline/plan-stage.js';
import { emptyObjectCounts } from '../src/pipeline/run-counts.js';
import type { FieldMapper, SyncContext, SyncObject, SyncStores } from '../src/pipeline/sync-object.js';
import { latestWins } from '../src/resolve/latest-wins.js';
import { openStateDatabase } from '../src/state/state-database.js';
import { StateStore } from '../src/state/state-store.js';
import { silentLogger } from '../src/util/logger.js';

const rows = Number(process.argv[2] ?? 100_000);
const trials = Number(process.argv[3] ?? 2);
const lanes = Number(process.argv[4] ?? 2);
const url = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const FIELDS = ['name', 'phone', 'city', 'street', 'zip', 'country', 'email', 'revenue', 'active', 'note'];

const mapper: FieldMapper = {
  fieldNames: [...FIELDS].sort(),
  directions: {},
  toCanonical: (_s: SystemId, f: Fields) => f,
  toNative: (_s: SystemId, f: Fields) => f,
};

function record(i: number): StagedChange {
  return {
    key: `K${String(i).padStart(8, '0')}`,
    nativeId: String(i),
    fields: {
      name: `Customer ${i}`,
      phone: `+47 22 ${String(i % 1_000_000).padStart(6, '0')}`,
      city: i % 3 === 0 ? 'Oslo' : 'Bergen',
      street: `Street ${i % 997}`,
      zip: String(1000 + (i % 9000)),
      country: 'NO',
      email: `c${i}@example.com`,
      revenue: i * 10.5,
      active: i % 2 === 0,
      note: i % 5 === 0 ? null : 'ok',
    },
    modifiedAt: '2026-01-01T00:00:00.000Z',
    deleted: false,
    keyMissing: false,
  };
}

async function once(bulkPlan: boolean): Promise<{ ms: number; load: number; counts: unknown }> {
  const schema = `bp_${randomBytes(4).toString('hex')}`;
  const store = new StateStore(await openStateDatabase({ kind: 'postgres', url }, schema), { bulkPlan });
  try {
    await store.migrate();
    for (let i = 0; i < rows; i += 5000) {
      const page = Array.from({ length: Math.min(5000, rows - i) }, (_, j) => record(i + j));
      await store.staging.stageChanges({ sync: 'bench', object: 'account', system: 'erp' }, page, null, null);
    }
    await store.records.analyze(['inbox', 'record_state']);
    const object: SyncObject = {
      name: 'account',
      streams: {
        erp: { name: 'account', entity: 'customers', keyField: 'customer_no', fields: FIELDS, options: {} },
        crm: { name: 'account', entity: 'Account', keyField: 'External_Id__c', fields: FIELDS, options: {} },
      },
      mapper,
      resolver: latestWins(),
      policyVersion: 'bench',
    };
    const ctx = {
      sync: 'bench',
      store: Object.create(store, { parallelTransactions: { value: lanes } }) as SyncStores,
      connectors: {} as SyncContext['connectors'],
      objects: [object],
      logger: silentLogger(),
    } satisfies SyncContext;
    const id = await store.runs.startRun('bench', ['account'], false, {});
    const run = { id, counts: { account: emptyObjectCounts() } };
    const load = loadavg()[0] ?? 0;
    const start = performance.now();
    await planObject(ctx, object, run, {});
    const ms = performance.now() - start;
    await store.runs.finishRun(id, 'succeeded', run.counts);
    return { ms, load, counts: run.counts.account.plan };
  } finally {
    await store.database.db.schema.dropSchema(schema).ifExists().cascade().execute();
    await store.close();
  }
}

for (let t = 0; t < trials; t++) {
  for (const bulkPlan of t % 2 === 0 ? [false, true] : [true, false]) {
    const r = await once(bulkPlan);
    console.log(
      `${rows} rows, bulkPlan ${bulkPlan ? 'on ' : 'off'}, ${lanes} lane(s): plan stage ${(r.ms / 1000).toFixed(2)} s ` +
        `(${Math.round((r.ms * 1000) / rows)} µs/record), load ${r.load.toFixed(2)}, plan ${JSON.stringify(r.counts)}`,
    );
  }
}
