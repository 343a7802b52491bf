import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FieldValue, Fields } from '../../src/model/record.js';
import type { StagedChange } from '../../src/model/record-rows.js';
import type { SystemId } from '../../src/model/system.js';
import { planObject } from '../../src/pipeline/plan-stage.js';
import { runSync } from '../../src/pipeline/run-sync.js';
import { emptyObjectCounts, type RunHandle } from '../../src/pipeline/run-counts.js';
import type { SyncObject } from '../../src/pipeline/sync-object.js';
import { createHarness, identityMapper, snapshot, testLatestWins, type Harness } from '../support/sync-harness.js';
import { testBackends } from '../support/test-databases.js';
import { scaled } from '../support/timeouts.js';

/**
 * Set-based planning of one-sided new records (state/postgres-bulk-plan.ts) against the normal planner: the same
 * captured input, planned by a store with the fast path and by one without it, leaves identical record states,
 * planned writes, timeline events, inbox, failed records, conflicts, decisions and run counters. The input mixes keys
 * that may take the fast path with keys that must not (both sides captured, a stale record state, a failed record,
 * a planned write, a conflict, a tombstone, a record missing its key).
 */
const NUM_RUNS = Number(process.env['PBT_NUM_RUNS'] ?? 15);
const SEED = process.env['PBT_SEED'] === undefined ? {} : { seed: Number(process.env['PBT_SEED']) };
const FIELDS = ['city', 'flag', 'n', 'name', 'phone'];
const NOW = new Date('2026-03-01T12:00:00.000Z');

/** What tandem holds of one key before planning. Only the first two may take the fast path. */
type Scenario =
  | 'erp-only'
  | 'crm-only'
  | 'both-sides'
  | 'stale-state'
  | 'failed'
  | 'planned-write'
  | 'conflict'
  | 'tombstone'
  | 'key-missing';

interface KeyCase {
  readonly scenario: Scenario;
  /** Fields as captured (a field may be absent, and one that is not mapped may be there). */
  readonly fields: Fields;
  readonly other: Fields;
}

const value: fc.Arbitrary<FieldValue> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ maxLength: 6 }).map((s) => `  ${s}\t `),
  fc.constantFrom('ÅSE Müller', 'straße', '東京', 'MiXeD CaSe', '', ' ', '0', 'null', 'a\u0000b', '😀 emoji'),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);
const fields: fc.Arbitrary<Fields> = fc.record(
  { city: value, flag: value, n: value, name: value, phone: value, unmapped: value },
  { requiredKeys: [] },
);
const SCENARIOS: readonly Scenario[] = [
  'erp-only',
  'crm-only',
  'both-sides',
  'stale-state',
  'failed',
  'planned-write',
  'conflict',
  'tombstone',
  'key-missing',
];
/** Every scenario, the two that may take the fast path twice as often. */
const scenario = fc.constantFrom<Scenario>('erp-only', 'crm-only', ...SCENARIOS);
const keyCase: fc.Arbitrary<KeyCase> = fc.record({ scenario, fields, other: fields });

function change(key: string, system: SystemId, f: Fields, extra: Partial<StagedChange> = {}): StagedChange {
  return {
    key,
    nativeId: `${system === 'erp' ? 'E' : 'C'}-${key}`,
    fields: f,
    modifiedAt: `2026-02-0${system === 'erp' ? 1 : 2}T10:00:00.000Z`,
    deleted: false,
    keyMissing: false,
    ...extra,
  };
}

/** Puts the same prior state and captures of `cases` into a harness's store, for `object`. */
async function prepare(h: Harness, object: string, cases: readonly KeyCase[]): Promise<void> {
  const staged: Record<SystemId, StagedChange[]> = { erp: [], crm: [] };
  const at = (i: number) => `K${String(i).padStart(3, '0')}`;
  const states = [];
  const failed = [];
  const outbox = [];
  const conflicts = [];
  for (const [i, c] of cases.entries()) {
    const key = at(i);
    const side: SystemId = i % 2 === 0 ? 'erp' : 'crm';
    switch (c.scenario) {
      case 'erp-only':
        staged.erp.push(change(key, 'erp', c.fields));
        break;
      case 'crm-only':
        staged.crm.push(change(key, 'crm', c.fields));
        break;
      case 'both-sides':
        staged.erp.push(change(key, 'erp', c.fields));
        staged.crm.push(change(key, 'crm', c.other));
        break;
      case 'stale-state':
        states.push({
          key,
          base: c.other,
          erp: c.other,
          crm: c.other,
          erpId: `E-${key}`,
          crmId: `C-${key}`,
          erpModifiedAt: '2026-01-01T00:00:00.000Z',
          crmModifiedAt: '2026-01-01T00:00:00.000Z',
          pending: null,
          pendingDelete: false,
        });
        staged[side].push(change(key, side, c.fields));
        break;
      case 'failed':
        failed.push({ system: side, key, status: 'rejected' as const, reason: 'refused', payload: c.other });
        staged[side].push(change(key, side, c.fields));
        break;
      case 'planned-write':
        outbox.push({
          system: side === 'erp' ? ('crm' as const) : ('erp' as const),
          key,
          op: 'upsert' as const,
          payload: c.other,
          after: c.other,
          nativeId: null,
          setKey: false,
        });
        staged[side].push(change(key, side, c.fields));
        break;
      case 'conflict':
        conflicts.push({
          key,
          fields: [{ field: 'name', base: null, erp: 'a', crm: 'b' }],
          existence: null,
          erpModifiedAt: null,
          crmModifiedAt: null,
          rule: 'manual',
          reason: 'waits',
          policyVersion: 'test',
        });
        staged[side].push(change(key, side, c.fields));
        break;
      case 'tombstone':
        staged[side].push(change(key, side, {}, { deleted: true }));
        break;
      case 'key-missing':
        staged[side].push(change(key, side, c.fields, { keyMissing: true }));
        break;
    }
  }
  await h.store.records.apply('test', object, { states, failed, outbox, conflicts });
  for (const system of ['erp', 'crm'] as const)
    await h.store.staging.stageChanges({ sync: 'test', object, system }, staged[system], null, null);
}

/** Everything planning leaves for `object`, without ids and clock times. */
async function stateOf(h: Harness, object: string): Promise<unknown> {
  const t = (name: string) => sql.id(h.store.database.schema, name);
  const db = h.store.database.db;
  const rows = async (query: ReturnType<typeof sql>) => (await query.execute(db)).rows;
  return {
    states: await rows(sql`select key, base, erp_fields, crm_fields, erp_exists, crm_exists, erp_id, crm_id,
      erp_modified_at, crm_modified_at, pending, pending_delete from ${t('record_state')} where object = ${object} order by key`),
    outbox: await rows(sql`select system, key, op, payload, after, native_id, set_key, run_id, job_id
      from ${t('outbox')} where object = ${object} order by system, key`),
    events: await rows(sql`select key, kind, system, native_id, run_id, job_id, detail
      from ${t('record_event')} where object = ${object} order by key, id`),
    inbox: await rows(sql`select system, key, native_id, fields, modified_at, deleted, key_missing
      from ${t('inbox')} where object = ${object} order by key, system`),
    failed: await rows(sql`select system, key, status, reason, attempts, payload
      from ${t('failed_record')} where object = ${object} order by key, system`),
    conflicts: await rows(sql`select key, fields, existence, rule, status from ${t('conflict')}
      where object = ${object} order by key`),
    decisions: await rows(sql`select key, kind, decisions, policy_version from ${t('decision')}
      where object = ${object} order by key, id`),
  };
}

/** Plans `object` as a run does (planObject), returning the run's counters as stored and in memory. */
async function plan(h: Harness, object: string, batchSize: number): Promise<unknown> {
  const sync: SyncObject = {
    ...h.object,
    name: object,
    mapper: identityMapper(FIELDS),
    resolver: testLatestWins,
  };
  const id = await h.store.runs.startRun('test', [object], false, {});
  const run: RunHandle = { id, counts: { [object]: emptyObjectCounts() } };
  let chunks = 0;
  await planObject({ ...h.ctx, objects: [sync], now: () => NOW }, sync, run, {
    batchSize,
    checkpoint: (step) => {
      if (step.startsWith('bulk-planned-chunk:')) chunks += 1;
    },
  });
  const stored = await h.store.runs.listRuns('test', 1);
  return { counts: run.counts, stored: stored[0]?.counts, id, chunks };
}

for (const backend of testBackends()) {
  describe(`${backend.name}: set-based planning of one-sided new records`, { timeout: scaled(300_000) }, () => {
    let fast: Harness;
    let slow: Harness;
    let objects = 0;
    beforeAll(async () => {
      fast = await createHarness(backend, { bulkPlan: true });
      slow = await createHarness(backend, { bulkPlan: false });
    }, scaled(60_000));
    afterAll(async () => {
      await fast?.close();
      await slow?.close();
    });

    async function compare(cases: readonly KeyCase[], batchSize: number): Promise<{ chunks: number }> {
      const object = `o${++objects}`;
      await prepare(fast, object, cases);
      await prepare(slow, object, cases);
      const fastRun = (await plan(fast, object, batchSize)) as { counts: unknown; stored: unknown; chunks: number };
      const slowRun = (await plan(slow, object, batchSize)) as { counts: unknown; stored: unknown; chunks: number };
      expect(slowRun.chunks).toBe(0);
      expect(fastRun.counts).toEqual(slowRun.counts);
      expect(fastRun.stored).toEqual(slowRun.stored);
      expect(await stateOf(fast, object)).toEqual(await stateOf(slow, object));
      return { chunks: fastRun.chunks };
    }

    it('[I1][I13] plans one-sided records exactly as the normal planner, across value kinds and key scenarios', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(keyCase, { maxLength: 24 }), fc.integer({ min: 1, max: 3 }), async (cases, b) => {
          const { chunks } = await compare(cases, b);
          // The fast path did take part whenever a key could take it.
          if (cases.some((c) => c.scenario.endsWith('-only'))) expect(chunks).toBeGreaterThan(0);
        }),
        { numRuns: NUM_RUNS, ...SEED },
      );
    });

    it('takes the fast path only for keys nothing else speaks for, in several key-range chunks', async () => {
      const all = SCENARIOS;
      const values: Fields = { name: '  Ærø Köln  ', phone: '+47 22 00 00 00', city: null, n: 12.5, flag: false };
      const cases: KeyCase[] = [];
      for (let i = 0; i < 30; i++) cases.push({ scenario: all[i % all.length]!, fields: values, other: { name: 'x' } });
      // batchSize 1: the fast path works in chunks of 10 inbox entries.
      const { chunks } = await compare(cases, 1);
      expect(chunks).toBeGreaterThanOrEqual(2);
      // The fast path alone takes exactly the one-sided keys out of the inbox and leaves every other one.
      const object = `o${++objects}`;
      await prepare(fast, object, cases);
      const range = await fast.store.bulkPlan!.nextRange('test', object, null, 1000);
      expect(range).toEqual({ afterKey: null, lastKey: `K${String(cases.length - 1).padStart(3, '0')}` });
      const planned = await fast.store.bulkPlan!.planOneSidedRange('test', object, range!, FIELDS);
      expect(planned).toEqual({
        erp: cases.filter((c) => c.scenario === 'erp-only').length,
        crm: cases.filter((c) => c.scenario === 'crm-only').length,
      });
      const left = (await stateOf(fast, object)) as { inbox: { key: string }[]; outbox: { key: string }[] };
      const keyOf = (i: number) => `K${String(i).padStart(3, '0')}`;
      const oneSided = cases.flatMap((c, i) => (c.scenario.endsWith('-only') ? [keyOf(i)] : []));
      expect(left.inbox.filter((r) => oneSided.includes(r.key))).toEqual([]);
      expect(new Set(left.inbox.map((r) => r.key))).toEqual(
        new Set(cases.flatMap((c, i) => (c.scenario.endsWith('-only') ? [] : [keyOf(i)]))),
      );
      expect(left.outbox.filter((r) => oneSided.includes(r.key)).length).toBe(oneSided.length);
    });

    it('stores the run counters in the chunk transaction', async () => {
      const object = `o${++objects}`;
      await prepare(fast, object, [
        { scenario: 'erp-only', fields: { name: 'a' }, other: {} },
        { scenario: 'crm-only', fields: { name: 'b' }, other: {} },
        { scenario: 'both-sides', fields: { name: 'c' }, other: { name: 'C' } },
      ]);
      const id = await fast.store.runs.startRun('test', [object], false, {});
      const range = await fast.store.bulkPlan!.nextRange('test', object, null, 100);
      expect(range).toEqual({ afterKey: null, lastKey: 'K002' });
      expect(await fast.store.bulkPlan!.nextRange('test', object, 'K002', 100)).toBeNull();
      const planned = await fast.store.bulkPlan!.planOneSidedRange('test', object, range!, FIELDS, {
        id,
        now: NOW,
        counts: (counted) => ({ marker: counted }),
      });
      expect(planned).toEqual({ erp: 1, crm: 1 });
      const [stored] = await fast.store.runs.listRuns('test', 1);
      expect(stored?.counts).toEqual({ marker: { erp: 1, crm: 1 } });
    });

    it('with history off writes no planned events, and counts the same', async () => {
      const quiet = await createHarness(backend, { bulkPlan: true, recordEvents: false });
      const loud = await createHarness(backend, { bulkPlan: false, recordEvents: false });
      try {
        const cases: KeyCase[] = [
          { scenario: 'erp-only', fields: { name: 'A', n: 1 }, other: {} },
          { scenario: 'crm-only', fields: { name: ' b ', flag: true }, other: {} },
          { scenario: 'both-sides', fields: { name: 'C' }, other: { name: 'c' } },
        ];
        await prepare(quiet, 'q', cases);
        await prepare(loud, 'q', cases);
        const a = (await plan(quiet, 'q', 5)) as { counts: unknown; chunks: number };
        const b = (await plan(loud, 'q', 5)) as { counts: unknown };
        expect(a.chunks).toBe(1);
        expect(a.counts).toEqual(b.counts);
        expect(await stateOf(quiet, 'q')).toEqual(await stateOf(loud, 'q'));
        expect(((await stateOf(quiet, 'q')) as { events: unknown[] }).events).toEqual([]);
      } finally {
        await quiet.close();
        await loud.close();
      }
    });

    for (const crashAfter of [1, 2]) {
      it(`[I1][I9] a crash after fast-path chunk ${crashAfter} loses and duplicates nothing: the next run finishes the load`, async () => {
        const h = await createHarness(backend);
        try {
          for (let i = 0; i < 25; i++)
            h.erp.insert('customers', `E${String(i).padStart(2, '0')}`, { name: ` erp ${i} ` });
          for (let i = 0; i < 20; i++)
            h.crm.insert('Account', `C${String(i).padStart(2, '0')}`, { city: `Ørsta ${i}` });
          // Held on both sides: the normal path, a conflict the policy decides.
          h.erp.insert('customers', 'D00', { name: 'both', phone: '1' });
          h.crm.insert('Account', 'D00', { name: 'BOTH', city: 'x' });
          let chunks = 0;
          const crashed = await runSync(h.ctx, {
            batchSize: 1,
            checkpoint: (step) => {
              if (step.startsWith('bulk-planned-chunk:') && ++chunks === crashAfter)
                throw new Error(`simulated crash at ${step}`);
            },
          });
          expect(crashed.status).toBe('failed');
          // What the crashed run planned is durable before anything was uploaded.
          const outbox =
            (await h.store.staging.countOutbox('test', 'account', 'crm')) +
            (await h.store.staging.countOutbox('test', 'account', 'erp'));
          const inbox = await h.store.staging.countInbox('test', 'account');
          // Whole key ranges only. The ranges of 10 inbox entries plan 10 (C00-C09), 10 (C10-C19), 8 (D00 twice,
          // held on both sides, and E00-E07), 10 and 7 records. The crashed run committed at least `crashAfter` of
          // them, all among the first `crashAfter + parallelTransactions - 1` (a server plans that many side by side,
          // and each commits or not as a whole).
          const ranges = [10, 10, 8, 10, 7].slice(0, crashAfter + h.store.parallelTransactions - 1);
          const possible = new Set<number>();
          for (let subset = 0; subset < 1 << ranges.length; subset++) {
            const chosen = ranges.filter((_, i) => (subset & (1 << i)) !== 0);
            if (chosen.length >= crashAfter) possible.add(chosen.reduce((a, b) => a + b, 0));
          }
          expect(possible).toContain(outbox);
          // Each captured record is either planned (one write) or still waiting in the inbox (D00 twice).
          expect(outbox + inbox).toBe(47);
          expect(h.crm.live('Account').length).toBe(21);

          const resumed = await runSync(h.ctx, { batchSize: 1 });
          expect(resumed.error).toBeUndefined();
          expect(resumed.status).toBe('succeeded');
          for (const [system, entity] of [
            [h.erp, 'customers'],
            [h.crm, 'Account'],
          ] as const) {
            const keys = system.live(entity).map((r) => r.key);
            expect(keys.length).toBe(46);
            expect(new Set(keys).size).toBe(46);
          }
          expect(Object.fromEntries(snapshot(h.crm, 'Account'))).toEqual(
            Object.fromEntries(snapshot(h.erp, 'customers')),
          );
          expect(snapshot(h.crm, 'Account').get('E03')).toEqual({ name: ' erp 3 ' });
          expect(snapshot(h.erp, 'customers').get('C07')).toEqual({ city: 'Ørsta 7' });
          expect(await h.store.staging.countInbox('test', 'account')).toBe(0);
          expect((await runSync(h.ctx, { batchSize: 1 })).writes).toBe(0);
        } finally {
          await h.close();
        }
      });
    }
  });
}
