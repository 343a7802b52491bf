// The write stage's result application of a first load, with the results applied in one lane and in two (the
// store's `parallelTransactions`), alternating, each on a fresh state schema of a real Postgres: `rows` one-sided ERP
// records are planned set-based, then `writeSide` hands their outbox to a sink that answers every record `created`
// at once (no remote system: what is measured is reading the outbox and confirming the results), yielding results
// in arrays of `batch` as the Salesforce sink does. Reports the write stage's wall time and the load average.
// Usage: npx tsx bench/apply-results.ts [rows=100000] [trials=2] [batch=8000]   (BENCH_DATABASE_URL)
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Connector, OutboundRecord, Sink, WriteResult } from '../src/connectors/connector.js';
import type { Fields } from '../src/model/record.js';
import type { StagedChange } from '../src/model/record-rows.js';
import type { SystemId } from '../src/model/system.js';
import { planObject } from '../src/pipeline/plan-stage.js';
import { emptyObjectCounts } from '../src/pipeline/run-counts.js';
import type { FieldMapper, SyncContext, SyncObject, SyncStores } from '../src/pipeline/sync-object.js';
import { writeSide } from '../src/pipeline/write-stage.js';
import { latestWins } from '../src/resolve/latest-wins.js';
import { openStateDatabase } from '../src/state/state-database.js';
import { StateStore } from '../src/state/state-store.js';
import { silentLogger } from '../src/util/logger.js';

const rows = Number(process.argv[2] ?? 100_000);
const trials = Number(process.argv[3] ?? 2);
const resultBatch = Number(process.argv[4] ?? 8_000);
const url = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const FIELDS = ['name', 'phone', 'city', 'country', 'employees', 'industry', 'website'];

const mapper: FieldMapper = {
  fieldNames: [...FIELDS].sort(),
  directions: {},
  toCanonical: (_s: SystemId, f: Fields) => f,
  toNative: (_s: SystemId, f: Fields) => f,
};

function record(i: number): StagedChange {
  return {
    key: `C${String(i).padStart(9, '0')}`,
    nativeId: String(i),
    fields: {
      name: `Customer ${i}`,
      phone: `+47 22 ${String(i % 1_000_000).padStart(6, '0')}`,
      city: i % 3 === 0 ? 'Oslo' : 'Bergen',
      country: 'NO',
      employees: i % 5000,
      industry: i % 5 === 0 ? null : 'Retail',
      website: `https://c${i}.example.com`,
    },
    modifiedAt: '2026-01-01T00:00:00.000Z',
    deleted: false,
    keyMissing: false,
  };
}

/** A CRM that creates every record it is handed, answering in arrays of `resultBatch` once the input is read. */
const instantCrm: Connector = {
  system: 'crm',
  capabilities: { supportsKeyListing: false, reportsDeletes: false, maxBatchSize: 10_000 },
  init: async () => {},
  createSource: () => {
    throw new Error('the bench CRM has no source');
  },
  createSink: (): Sink => ({
    async *write(_stream, batches: AsyncIterable<readonly OutboundRecord[]>) {
      const results: WriteResult[] = [];
      for await (const batch of batches)
        for (const r of batch) results.push({ key: r.key, status: 'created', nativeId: `001${r.key}`, jobId: 'J1' });
      for (let i = 0; i < results.length; i += resultBatch) yield results.slice(i, i + resultBatch);
    },
    async *resume() {},
  }),
  close: async () => {},
};

async function once(lanes: number): Promise<{ ms: number; load: number; created: number }> {
  const schema = `ar_${randomBytes(4).toString('hex')}`;
  const store = new StateStore(await openStateDatabase({ kind: 'postgres', url }, schema));
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
    const stores: SyncStores = Object.create(store, { parallelTransactions: { value: lanes } }) as SyncStores;
    const ctx = {
      sync: 'bench',
      store: stores,
      connectors: { erp: instantCrm, crm: instantCrm },
      objects: [object],
      logger: silentLogger(),
    } satisfies SyncContext;
    const id = await store.runs.startRun('bench', ['account'], false, {});
    const run = { id, counts: { account: emptyObjectCounts() } };
    await planObject(ctx, object, run, {});
    await store.records.analyze(['record_state', 'outbox']);
    const load = loadavg()[0] ?? 0;
    const start = performance.now();
    await writeSide(ctx, object, 'crm', run, {});
    const ms = performance.now() - start;
    await store.runs.finishRun(id, 'succeeded', run.counts);
    const left = await store.staging.countOutbox('bench', 'account', 'crm');
    if (left !== 0) throw new Error(`${left} planned writes were not confirmed`);
    return { ms, load, created: run.counts.account.crm.created };
  } finally {
    await store.database.db.schema.dropSchema(schema).ifExists().cascade().execute();
    await store.close();
  }
}

for (let t = 0; t < trials; t++) {
  for (const lanes of t % 2 === 0 ? [1, 2] : [2, 1]) {
    const r = await once(lanes);
    console.log(
      `${rows} rows, ${lanes} lane(s), result arrays of ${resultBatch}: write stage ${(r.ms / 1000).toFixed(2)} s ` +
        `(${Math.round((r.ms * 1000) / rows)} µs/record), load ${r.load.toFixed(2)}, created ${r.created}`,
    );
  }
}
