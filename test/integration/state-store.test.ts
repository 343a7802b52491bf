import { afterEach, describe, expect, it } from 'vitest';
import { openTestStateDatabase } from '../support/test-state.js';
import { StateStore } from '../../src/state/state-store.js';
import { nextRetryDelayMs } from '../../src/model/failed-queue.js';
import { testBackends, uniqueSchemaName, type TestBackend } from '../support/test-databases.js';

async function openStore(backend: TestBackend, schema: string): Promise<StateStore> {
  const database = await openTestStateDatabase(backend, schema);
  return new StateStore(database);
}

for (const backend of testBackends()) {
  describe(`${backend.name}: state store`, () => {
    const stores: StateStore[] = [];
    afterEach(async () => {
      const first = stores[0];
      if (backend.url && first)
        await first.database.db.schema.dropSchema(first.database.schema).ifExists().cascade().execute();
      for (const s of stores.splice(0)) await s.close();
    });

    it('migrates idempotently', async () => {
      const store = await openStore(backend, uniqueSchemaName('st'));
      stores.push(store);
      await store.migrate();
      await store.migrate();
      expect(await store.runs.listRuns('x')).toEqual([]);
    });

    it.runIf(backend.url)('migrates safely when two processes start at once', async () => {
      const schema = uniqueSchemaName('st');
      const a = await openStore(backend, schema);
      const b = await openStore(backend, schema);
      stores.push(a, b);
      await Promise.all([a.migrate(), b.migrate()]);
      expect(await b.runs.listRuns('x')).toEqual([]);
    });

    it('[I5] advances a watermark only forward, and only by compare-and-set', async () => {
      const store = await openStore(backend, uniqueSchemaName('st'));
      stores.push(store);
      await store.migrate();
      const key = { sync: 's', object: 'account', system: 'erp' as const };
      const w = (t: string, id: string) => ({ kind: 'cursor' as const, modifiedAt: t, id });
      expect(await store.watermarks.advance(key, w('2026-01-01T00:00:01Z', 'b'), null)).toEqual({
        advanced: true,
        version: 1,
      });
      // Behind, or equal: refused.
      expect((await store.watermarks.advance(key, w('2026-01-01T00:00:00Z', 'z'), 1)).advanced).toBe(false);
      expect((await store.watermarks.advance(key, w('2026-01-01T00:00:01Z', 'b'), 1)).advanced).toBe(false);
      // Same time, later id: forward (ties on a timestamp are told apart by id).
      expect(await store.watermarks.advance(key, w('2026-01-01T00:00:01Z', 'c'), 1)).toEqual({
        advanced: true,
        version: 2,
      });
      // A stale version (another process moved it): refused, no exception.
      expect((await store.watermarks.advance(key, w('2026-01-02T00:00:00Z', 'a'), 1)).advanced).toBe(false);
      // Microseconds count, although JavaScript dates keep milliseconds.
      expect((await store.watermarks.advance(key, w('2026-01-01T00:00:01.000001Z', 'a'), 2)).advanced).toBe(true);
      const stored = await store.watermarks.get(key);
      expect(stored?.watermark).toEqual(w('2026-01-01T00:00:01.000001Z', 'a'));
      expect(stored?.version).toBe(3);
    });

    it('stages changes together with the watermark, a newer capture replacing an older one', async () => {
      const store = await openStore(backend, uniqueSchemaName('st'));
      stores.push(store);
      await store.migrate();
      const key = { sync: 's', object: 'account', system: 'crm' as const };
      const change = (k: string, name: string) => ({
        key: k,
        nativeId: `n-${k}`,
        fields: { name },
        modifiedAt: '2026-01-01T00:00:00Z',
        deleted: false,
        keyMissing: false,
      });
      await store.staging.stageChanges(key, [change('A', 'one'), change('B', 'x'), change('A', 'two')], {
        kind: 'cursor',
        modifiedAt: '2026-01-01T00:00:00Z',
        id: 'n-B',
      });
      expect(await store.staging.countInbox('s', 'account')).toBe(2);
      const planning = await store.staging.loadForPlanning('s', 'account', ['A']);
      expect(planning.inbox.get('A')?.crm?.fields).toEqual({ name: 'two' });
      expect((await store.watermarks.get(key))?.version).toBe(1);
    });

    it('keeps a job ledger that survives the process', async () => {
      const schema = uniqueSchemaName('st');
      const store = await openStore(backend, schema);
      stores.push(store);
      await store.migrate();
      const ledger = store.ledger('s');
      await ledger.record({
        jobId: '750A',
        system: 'crm',
        object: 'account',
        operation: 'upsert',
        detail: { state: 'Open' },
      });
      await ledger.record({
        jobId: '750A',
        system: 'crm',
        object: 'account',
        operation: 'upsert',
        detail: { state: 'Open' },
      }); // idempotent
      await ledger.update('750A', { state: 'UploadComplete' });
      const open = await ledger.listOpen('crm', 'account');
      expect(open.map((j) => [j.jobId, j.detail])).toEqual([['750A', { state: 'UploadComplete' }]]);
      await ledger.finish('750A', 'done');
      expect(await ledger.listOpen('crm', 'account')).toEqual([]);
    });

    it('keeps the ledgers of two syncs apart, even when their remote job ids collide', async () => {
      const store = await openStore(backend, uniqueSchemaName('st'));
      stores.push(store);
      await store.migrate();
      const a = store.ledger('a');
      const b = store.ledger('b');
      await a.record({ jobId: '750X', system: 'crm', object: 'account', operation: 'upsert', detail: { org: 'a' } });
      await b.record({ jobId: '750X', system: 'crm', object: 'account', operation: 'upsert', detail: { org: 'b' } });
      await a.finish('750X', 'done');
      await b.update('750X', { org: 'b', state: 'InProgress' });
      expect(await a.listOpen('crm', 'account')).toEqual([]);
      expect((await b.listOpen('crm', 'account')).map((j) => j.detail)).toEqual([{ org: 'b', state: 'InProgress' }]);
    });

    it('queues conflicts for a person and records the answer', async () => {
      const store = await openStore(backend, uniqueSchemaName('st'));
      stores.push(store);
      await store.migrate();
      await store.records.apply('s', 'account', {
        conflicts: [
          {
            key: 'K',
            fields: [{ field: 'title', base: 'CEO', erp: 'Chair', crm: 'Founder' }],
            existence: null,
            erpModifiedAt: null,
            crmModifiedAt: null,
            rule: 'contact.yaml:12',
            reason: 'senior titles wait',
            policyVersion: 'v1',
          },
        ],
      });
      expect(await store.conflicts.answerConflict('s', 'account', 'nope', { take: 'erp', by: 'ann' })).toBe(false);
      expect(await store.conflicts.answerConflict('s', 'account', 'K', { take: 'crm', by: 'ann' })).toBe(true);
      const conflict = await store.conflicts.getConflict('s', 'account', 'K');
      expect(conflict?.resolution).toEqual({ take: 'crm', by: 'ann' });
      expect(conflict?.fields[0]).toEqual({ field: 'title', base: 'CEO', erp: 'Chair', crm: 'Founder' });
      expect(await store.staging.nextPlanKeys('s', 'account', null, 10, new Date())).toEqual(['K']);
    });

    it('[I10] counts failed attempts and backs off retries', async () => {
      const store = await openStore(backend, uniqueSchemaName('st'));
      stores.push(store);
      await store.migrate();
      const failure = {
        system: 'crm' as const,
        key: 'K',
        status: 'rejected' as const,
        reason: 'STRING_TOO_LONG',
        payload: { name: 'x' },
      };
      const t0 = new Date('2026-03-01T00:00:00Z');
      await store.records.apply(
        's',
        'account',
        { failed: [failure] },
        { id: await store.runs.startRun('s', ['account'], false, {}), counts: {}, now: t0 },
      );
      await store.records.apply(
        's',
        'account',
        { failed: [failure] },
        { id: await store.runs.startRun('s', ['account'], false, {}), counts: {}, now: t0 },
      );
      const [row] = await store.failed.listFailed('s');
      expect(row?.attempts).toBe(2);
      expect(Date.parse(row!.nextRetryAt) - t0.getTime()).toBe(nextRetryDelayMs('rejected', 2));
      expect(await store.staging.nextPlanKeys('s', 'account', null, 10, t0)).toEqual([]);
      expect(await store.staging.nextPlanKeys('s', 'account', null, 10, new Date(t0.getTime() + 3 * 60_000))).toEqual([
        'K',
      ]);
    });
  });
}
