// What the record timeline (record_event) costs a sync: the same initial load and increment between two in-memory
// systems, with `history.recordEvents` on and off, alternating, on the embedded store and (with
// TANDEM_BENCH_DATABASE_URL) a real Postgres. In-memory systems make the state store nearly all of a run's time, so
// the ratio is an upper bound of the overhead a real CRM sees. Besides wall time it reports the process's CPU time,
// which on the embedded store includes Postgres itself and is far steadier than wall time on a shared machine, and
// the size of record_event after the load.
// Usage: npx tsx bench/record-events-overhead.ts [rows=10000] [trials=3]
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { MemoryConnector } from '../src/connectors/memory/memory-connector.js';
import { MemorySystem } from '../src/connectors/memory/memory-system.js';
import type { Fields } from '../src/model/record.js';
import type { SystemId } from '../src/model/system.js';
import { runSync } from '../src/pipeline/run-sync.js';
import type { FieldMapper, SyncContext, SyncObject } from '../src/pipeline/sync-object.js';
import { latestWins } from '../src/resolve/latest-wins.js';
import { openStateDatabase, type StateDatabase } from '../src/state/state-database.js';
import { StateStore } from '../src/state/state-store.js';
import { silentLogger } from '../src/util/logger.js';

const rows = Number(process.argv[2] ?? 10_000);
const trials = Number(process.argv[3] ?? 3);
const changed = Math.max(1, Math.floor(rows / 10));
const FIELDS = ['name', 'phone', 'city', 'revenue'];

function identity(): FieldMapper {
  const project = (f: Fields): Fields => Object.fromEntries(FIELDS.filter((n) => n in f).map((n) => [n, f[n] ?? null]));
  return {
    fieldNames: [...FIELDS].sort(),
    directions: {},
    toCanonical: (_s: SystemId, f: Fields) => project(f),
    toNative: (_s: SystemId, f: Fields) => project(f),
  };
}

async function once(open: (schema: string) => Promise<StateDatabase>, recordEvents: boolean): Promise<Run> {
  const schema = `rev_${randomBytes(4).toString('hex')}`;
  const database = await open(schema);
  const store = new StateStore(database, { recordEvents });
  await store.migrate();
  const erp = new MemorySystem({ idPrefix: 'E' });
  const crm = new MemorySystem({ idPrefix: 'C', epoch: '2026-01-01T00:00:00.500Z' });
  const stream = (entity: string, keyField: string) => ({
    name: 'account',
    entity,
    keyField,
    fields: FIELDS,
    options: {},
  });
  const object: SyncObject = {
    name: 'account',
    streams: { erp: stream('customers', 'customer_no'), crm: stream('Account', 'External_Id__c') },
    mapper: identity(),
    resolver: latestWins(),
    policyVersion: 'bench',
  };
  const ctx: SyncContext = {
    sync: 'bench',
    store,
    connectors: {
      erp: new MemoryConnector({ system: 'erp', data: erp, maxBatchSize: 5000 }),
      crm: new MemoryConnector({ system: 'crm', data: crm, maxBatchSize: 5000 }),
    },
    objects: [object],
    logger: silentLogger(),
  };
  for (let i = 0; i < rows; i += 1)
    erp.insert('customers', `K${String(i).padStart(7, '0')}`, {
      name: `Customer ${i}`,
      phone: `+47${i}`,
      city: 'Oslo',
      revenue: i,
    });
  let started = performance.now();
  let cpu = process.cpuUsage();
  await runSync(ctx);
  const loadMs = performance.now() - started;
  const loadCpuMs = cpuMs(process.cpuUsage(cpu));
  const size = await sql<{
    bytes: string;
  }>`select pg_total_relation_size(${`${schema}.record_event`}::regclass)::text as bytes`.execute(database.db);
  const live = erp.live('customers');
  for (let i = 0; i < changed; i += 1) erp.update('customers', live[i * 10]!.nativeId, { city: 'Bergen' });
  started = performance.now();
  cpu = process.cpuUsage();
  await runSync(ctx);
  const incrementMs = performance.now() - started;
  const incrementCpuMs = cpuMs(process.cpuUsage(cpu));
  const counted = await database.db
    .selectFrom('record_event')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  await database.db.schema.dropSchema(schema).ifExists().cascade().execute();
  await store.close();
  return {
    loadMs,
    incrementMs,
    loadCpuMs,
    incrementCpuMs,
    events: Number(counted.n),
    eventBytes: Number(size.rows[0]?.bytes ?? 0),
  };
}

interface Run {
  readonly loadMs: number;
  readonly incrementMs: number;
  readonly loadCpuMs: number;
  readonly incrementCpuMs: number;
  readonly events: number;
  readonly eventBytes: number;
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const backends: [string, (schema: string) => Promise<StateDatabase>][] = [
  ['pglite', (schema) => openStateDatabase({ kind: 'embedded', dataDir: null }, schema)],
];
const url = process.env['TANDEM_BENCH_DATABASE_URL'];
if (url) backends.push(['postgres', (schema) => openStateDatabase({ kind: 'postgres', url }, schema)]);

for (const [name, open] of backends) {
  const runs: Record<'on' | 'off', Run[]> = { on: [], off: [] };
  await once(open, true); // warm-up, not counted
  for (let t = 0; t < trials; t += 1) {
    const order: ('on' | 'off')[] = t % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
    for (const mode of order) runs[mode].push(await once(open, mode === 'on'));
  }
  const line = (what: string, pick: (r: Run) => number) => {
    const on = median(runs.on.map(pick));
    const off = median(runs.off.map(pick));
    return `${what}: on ${on.toFixed(0)} ms, off ${off.toFixed(0)} ms (${(((on - off) / off) * 100).toFixed(1)}%)`;
  };
  const first = runs.on[0];
  console.log(
    [
      `${name}: ${rows} rows, increment of ${changed}, medians of ${trials} alternating runs each`,
      `  ${line('load wall', (r) => r.loadMs)}; ${line('load cpu', (r) => r.loadCpuMs)}`,
      `  ${line('increment wall', (r) => r.incrementMs)}; ${line('increment cpu', (r) => r.incrementCpuMs)}`,
      `  record_event after the load: ${first?.events ?? 0} rows after both runs, ${((first?.eventBytes ?? 0) / 1024 / 1024).toFixed(1)} MiB after the load`,
      `  load wall on ${runs.on.map((r) => r.loadMs.toFixed(0)).join('/')} vs off ${runs.off.map((r) => r.loadMs.toFixed(0)).join('/')}`,
    ].join('\n'),
  );
}
