import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WriteResult } from '../../src/connectors/connector.js';
import type { Fields, FieldValue } from '../../src/model/record.js';
import type { FailedEntry, OutboxEntry, RecordState } from '../../src/model/record-rows.js';
import type { ResultConfirmer } from '../../src/model/result-confirmer.js';
import type { SystemId } from '../../src/model/system.js';
import { emptyObjectCounts, type RunHandle } from '../../src/pipeline/run-counts.js';
import type { SyncContext, SyncObject } from '../../src/pipeline/sync-object.js';
import { applyResults } from '../../src/pipeline/write-stage.js';
import { StateStore } from '../../src/state/state-store.js';
import { silentLogger } from '../../src/util/logger.js';
import { testBackends, uniqueSchemaName } from '../support/test-databases.js';
import { openTestStateDatabase } from '../support/test-state.js';

/**
 * The set-based confirmation of write results (postgres-bulk-confirm.ts) is a pure optimisation of `confirmWrite`:
 * the same planned state and the same chunk of results, applied with the fast path and without it, leave the same
 * record states, outbox, failed records, timeline events and run counters. Applying the chunk again changes nothing,
 * and a crash between staging and confirmation leaves nothing behind.
 */
const NUM_RUNS = Number(process.env['PBT_NUM_RUNS'] ?? 30);
const SEED = process.env['PBT_SEED'] === undefined ? {} : { seed: Number(process.env['PBT_SEED']) };
const SYNC = 'bulk';
const NOW = new Date('2026-03-04T05:06:07.000Z');

// Field names that sort alike in UTF-8 and UTF-16, and two that do not (U+E000 and an astral character).
const fieldName = fc.constantFrom('name', 'Name', ' city ', 'Straße', 'a"b', '\u{1F600}x', '\uE000k');
const fieldValue: fc.Arbitrary<FieldValue> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 2, arbitrary: fc.constantFrom(0, -0, 1, -2, 0.1, 1.5, 12345.678, 0.1 + 0.2) },
  // Numbers JavaScript and Postgres print differently: such records take the record-by-record path.
  { weight: 2, arbitrary: fc.constantFrom(1e-7, 123456789012345680000, 2 ** 53 + 2, -1.5e-9) },
  {
    weight: 3,
    arbitrary: fc.constantFrom('', ' padded ', 'MiXeD', 'Ünïcödé 名前', 'line\nbreak\ttab', 'quote" back\\', '\u001f'),
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 5, unit: 'grapheme' }) },
  // Not a field value tandem makes, but a state row could hold one: it must take the record-by-record path.
  { weight: 1, arbitrary: fc.constant(['nested'] as unknown as FieldValue) },
);
const fields: fc.Arbitrary<Fields> = fc.dictionary(fieldName, fieldValue, { maxKeys: 4 });
const nativeId = fc.option(fc.constantFrom('', 'ID-1', ' id 2 ', 'Ïd3', 'AbC4'), { nil: null });

/** One record before its results: state, this side's and the other side's planned writes, a failed entry. */
interface Scenario {
  readonly state: Omit<RecordState, 'key'> | null;
  readonly entry: Omit<OutboxEntry, 'key' | 'system'> | null;
  readonly otherOutstanding: boolean;
  readonly failed: boolean;
  readonly results: readonly Omit<WriteResult, 'key'>[];
}

const result: fc.Arbitrary<Omit<WriteResult, 'key'>> = fc.record(
  {
    status: fc.constantFrom('created', 'updated', 'updated', 'deleted', 'rejected', 'unprocessed'),
    nativeId: fc.constantFrom('', 'N-1', ' n 2 ', 'Ñ3'),
    reason: fc.constantFrom('', ' why ', 'Grund: ungültig', 'nul\u0000here'),
    jobId: fc.constantFrom('', 'job-1', ' JOB 2 '),
  },
  { requiredKeys: ['status'] },
);

const generalState: fc.Arbitrary<Omit<RecordState, 'key'>> = fc
  .record({
    base: fc.option(fields, { nil: null }),
    erp: fc.option(fields, { nil: null }),
    crm: fc.option(fields, { nil: null }),
    erpSameAsBase: fc.boolean(),
    crmSameAsBase: fc.boolean(),
    erpId: nativeId,
    crmId: nativeId,
    erpModifiedAt: fc.option(fc.constant('2026-01-01T00:00:00.000000Z'), { nil: null }),
    crmModifiedAt: fc.option(fc.constant('2026-01-02T00:00:00.000000Z'), { nil: null }),
    pending: fc.option(fields, { nil: null }),
    pendingDelete: fc.boolean(),
  })
  .map((s) => ({
    base: s.base,
    erp: s.erpSameAsBase && s.erp !== null && s.base !== null ? s.base : s.erp,
    crm: s.crmSameAsBase && s.crm !== null && s.base !== null ? s.base : s.crm,
    erpId: s.erpId,
    crmId: s.crmId,
    erpModifiedAt: s.erpModifiedAt,
    crmModifiedAt: s.crmModifiedAt,
    pending: s.pending,
    pendingDelete: s.pending === null && s.pendingDelete,
  }));

const generalEntry: fc.Arbitrary<Omit<OutboxEntry, 'key' | 'system'>> = fc.record({
  op: fc.constantFrom('upsert' as const, 'upsert' as const, 'delete' as const),
  payload: fields,
  after: fc.option(fields, { nil: null }),
  nativeId,
  setKey: fc.boolean(),
});

const general: fc.Arbitrary<Scenario> = fc.record({
  state: fc.option(generalState, { nil: null }),
  entry: fc.option(generalEntry, { nil: null }),
  otherOutstanding: fc.boolean(),
  failed: fc.boolean(),
  results: fc.array(result, { maxLength: 2 }),
});

/** The dominant case: a record created on one side, planned for the other, with a plain (or not) target. */
const firstLoad = (system: SystemId): fc.Arbitrary<Scenario> =>
  fc
    .record({
      source: fields,
      extra: fc.option(fields, { nil: null }),
      sourceId: nativeId,
      otherOutstanding: fc.boolean(),
      failed: fc.boolean(),
      results: fc.array(result, { minLength: 1, maxLength: 2 }),
    })
    .map((f) => {
      const target = f.extra ? { ...f.source, ...f.extra } : f.source;
      return {
        state: {
          base: null,
          erp: system === 'crm' ? f.source : null,
          crm: system === 'erp' ? f.source : null,
          erpId: system === 'crm' ? f.sourceId : null,
          crmId: system === 'erp' ? f.sourceId : null,
          erpModifiedAt: null,
          crmModifiedAt: null,
          pending: target,
          pendingDelete: false,
        },
        entry: { op: 'upsert' as const, payload: target, after: target, nativeId: null, setKey: false },
        otherOutstanding: f.otherOutstanding && f.extra !== null,
        failed: f.failed,
        results: f.results,
      };
    });

const chunk = fc.constantFrom<SystemId>('erp', 'crm').chain((system) =>
  fc.record({
    system: fc.constant(system),
    scenarios: fc.array(fc.oneof({ weight: 3, arbitrary: firstLoad(system) }, general), {
      minLength: 1,
      maxLength: 20,
    }),
    orphans: fc.array(result, { maxLength: 2 }),
    keyStyle: fc.constantFrom('K', ' k ', 'Kä', 'k\u{1F600}'),
    clearFailed: fc.boolean(),
  }),
);
type Chunk = typeof chunk extends fc.Arbitrary<infer T> ? T : never;

const keyOf = (c: Chunk, i: number) => `${c.keyStyle}${i}`;

/** Plants a chunk's scenarios in `object` of a store. */
async function plant(store: StateStore, object: string, c: Chunk): Promise<void> {
  const other: SystemId = c.system === 'erp' ? 'crm' : 'erp';
  const states: RecordState[] = [];
  const outbox: OutboxEntry[] = [];
  const failed: FailedEntry[] = [];
  c.scenarios.forEach((s, i) => {
    const key = keyOf(c, i);
    if (s.state) states.push({ key, ...s.state });
    if (s.entry) outbox.push({ key, system: c.system, ...s.entry });
    if (s.otherOutstanding) {
      outbox.push({
        key,
        system: other,
        op: 'upsert',
        payload: { name: 'o' },
        after: null,
        nativeId: null,
        setKey: false,
      });
    }
    if (s.failed && c.clearFailed) {
      failed.push({ system: c.system, key, status: 'rejected', reason: 'earlier', payload: null });
    }
  });
  await store.records.apply(SYNC, object, { states, outbox, failed }, undefined);
}

function resultsOf(c: Chunk): WriteResult[] {
  const out: WriteResult[] = [];
  c.scenarios.forEach((s, i) => {
    for (const r of s.results) out.push({ key: keyOf(c, i), ...r });
  });
  c.orphans.forEach((r, i) => out.push({ key: `orphan ${i}`, ...r }));
  return out;
}

/** Every row the confirmation may touch, without ids and clock times. */
async function dump(store: StateStore, object: string): Promise<unknown> {
  const db = store.database.db;
  const t = (name: string) => sql.id(store.database.schema, name);
  const rows = async (query: ReturnType<typeof sql>) => (await query.execute(db)).rows;
  return {
    states: await rows(sql`select key, base::text, erp_fields::text, crm_fields::text, erp_exists, crm_exists,
      erp_id, crm_id, erp_modified_at, crm_modified_at, pending::text, pending_delete, updated_at = ${NOW}::timestamptz as touched
      from ${t('record_state')} where sync_name = ${SYNC} and object = ${object} order by key collate "C"`),
    outbox: await rows(sql`select system, key, op, payload::text, after::text, native_id, set_key, run_id, job_id
      from ${t('outbox')} where sync_name = ${SYNC} and object = ${object} order by system, key collate "C"`),
    failed:
      await rows(sql`select system, key, status, reason, attempts, payload::text, last_failed_at = ${NOW}::timestamptz as failed_now,
      (next_retry_at - last_failed_at)::text as retry_in, run_id, skipped_at from ${t('failed_record')} where sync_name = ${SYNC} and object = ${object}
      order by system, key collate "C"`),
    events: await rows(sql`select key, kind, system, native_id, run_id, job_id, detail::text
      from ${t('record_event')} where sync_name = ${SYNC} and object = ${object}
      order by key collate "C", kind, system, detail::text, job_id, native_id`),
  };
}

async function storedCounts(store: StateStore, runId: string): Promise<unknown> {
  const row = await store.database.db
    .selectFrom('sync_run')
    .select('counts')
    .where('id', '=', runId)
    .executeTakeFirstOrThrow();
  return typeof row.counts === 'string' ? JSON.parse(row.counts) : row.counts;
}

class SimulatedCrash extends Error {}

for (const backend of testBackends()) {
  describe(`${backend.name}: confirming write results set-based`, () => {
    let fast: StateStore;
    let slow: StateStore;
    let confirmedByFastPath = 0;
    beforeAll(async () => {
      fast = new StateStore(await openTestStateDatabase(backend, uniqueSchemaName('bulkfast')));
      slow = new StateStore(await openTestStateDatabase(backend, uniqueSchemaName('bulkslow')));
      await fast.migrate();
      await slow.migrate();
    });
    afterAll(async () => {
      for (const store of [fast, slow]) {
        if (backend.url)
          await store.database.db.schema.dropSchema(store.database.schema).ifExists().cascade().execute();
        await store.close();
      }
    });

    const contextOf = (store: StateStore): SyncContext => {
      const counting: ResultConfirmer = {
        confirmPlainWrites: async (...args) => {
          const keys = await store.confirmer.confirmPlainWrites(...args);
          if (store === fast) confirmedByFastPath += keys.size;
          return keys;
        },
      };
      const stores = { runs: store.runs, watermarks: store.watermarks, staging: store.staging, records: store.records };
      return {
        sync: SYNC,
        store: { ...stores, confirmer: counting, ledger: (sync: string) => store.ledger(sync) },
        connectors: {} as SyncContext['connectors'],
        objects: [],
        logger: silentLogger(),
        now: () => NOW,
      };
    };

    it('[I1] gives the record-by-record state, is idempotent, and a crash after staging leaves nothing', async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(chunk, async (c) => {
          const object = `o${++n}`;
          const sobject = { name: object } as SyncObject;
          const results = resultsOf(c);
          const runs: RunHandle[] = [];
          for (const store of [fast, slow]) {
            await plant(store, object, c);
            const id = await store.runs.startRun(SYNC, [object], false, {});
            runs.push({ id, counts: { [object]: emptyObjectCounts() } });
          }
          const [fastRun, slowRun] = runs as [RunHandle, RunHandle];
          const planted = await dump(fast, object);

          // A crash once the results are staged: nothing of the chunk is recorded, the counters did not move.
          let staged = false;
          const crash = (step: string) => {
            if (step === `bulk-confirm:${object}:${c.system}`) {
              staged = true;
              throw new SimulatedCrash(step);
            }
          };
          await applyResults(contextOf(fast), sobject, c.system, fastRun, results, c.clearFailed, {
            checkpoint: crash,
          }).catch((error: unknown) => {
            if (!(error instanceof SimulatedCrash)) throw error;
          });
          // The last result of each key decides; a created/updated one without U+0000 is staged.
          const last = new Map(results.map((r) => [r.key, r]));
          const stageable = [...last.values()].some(
            (r) => (r.status === 'created' || r.status === 'updated') && !(r.reason ?? '').includes('\u0000'),
          );
          expect(staged).toBe(stageable);
          if (staged) {
            expect(await dump(fast, object)).toEqual(planted);
            expect(fastRun.counts).toEqual({ [object]: emptyObjectCounts() });
            await applyResults(contextOf(fast), sobject, c.system, fastRun, results, c.clearFailed);
          }
          await applyResults(contextOf(slow), sobject, c.system, slowRun, results, c.clearFailed, {
            bulkConfirm: false,
          });
          const applied = await dump(fast, object);
          expect(applied).toEqual(await dump(slow, object));
          expect(fastRun.counts).toEqual(slowRun.counts);
          expect(await storedCounts(fast, fastRun.id)).toEqual(await storedCounts(slow, slowRun.id));

          // The same chunk again: every key's planned write is gone, so nothing changes.
          await applyResults(contextOf(fast), sobject, c.system, fastRun, results, c.clearFailed);
          expect(await dump(fast, object)).toEqual(applied);
          expect(fastRun.counts).toEqual(slowRun.counts);
        }),
        { numRuns: NUM_RUNS, ...SEED },
      );
      // The property is about the fast path: it must have confirmed records, not left them all to the JS path.
      expect(confirmedByFastPath).toBeGreaterThan(0);
    });
  });
}
