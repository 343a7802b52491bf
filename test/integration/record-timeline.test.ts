import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { Conflict, Resolution } from '../../src/model/conflict.js';
import type { ConflictResolver } from '../../src/model/conflict-resolver.js';
import type { RecordTimeline, TimelineEntry } from '../../src/model/record-timeline.js';
import { runSync } from '../../src/pipeline/run-sync.js';
import { forgetRecord } from '../../src/retention/forget-record.js';
import { pruneState } from '../../src/retention/prune-state.js';
import { formatTimeline } from '../../src/report/timeline-report.js';
import { createHarness, testLatestWins, type Harness } from '../support/sync-harness.js';
import { testBackends } from '../support/test-databases.js';

/** Latest edit wins (policy version v7), except `city`, which waits for a person. */
const cityWaits: ConflictResolver = {
  name: 'city-waits',
  resolve(conflict: Conflict): Resolution {
    const base = testLatestWins.resolve(conflict);
    return {
      policyVersion: 'v7',
      decisions: base.decisions.map((d) =>
        d.kind === 'field' && d.field === 'city'
          ? { ...d, take: 'manual' as const, rule: 'fields.city (manual)', reason: 'a person decides the city' }
          : { ...d, rule: `fields.${d.kind === 'field' ? d.field : 'existence'} (latest-wins)` },
      ),
    };
  },
};

const kinds = (t: RecordTimeline, run?: string): string[] =>
  t.entries
    .filter((e) => run === undefined || e.runId === run)
    .map((e) => `${e.kind}${e.system ? `:${e.system}` : ''}`);

/** The index of the first entry matching, failing loudly when there is none. */
function indexOf(t: RecordTimeline, match: (e: TimelineEntry) => boolean, what: string): number {
  const i = t.entries.findIndex(match);
  expect(i, `${what} in ${kinds(t).join(' ')}`).toBeGreaterThanOrEqual(0);
  return i;
}

for (const backend of testBackends()) {
  describe(`${backend.name}: the record timeline (record_event)`, { timeout: 300_000 }, () => {
    let h: Harness;
    afterEach(async () => {
      await h?.close();
    });

    it('follows one record through capture, decision, planned writes, a write and a rejection, by key and by native id', async () => {
      let rejectPhone: string | null = null;
      h = await createHarness(backend, {
        resolver: cityWaits,
        rejectCrm: (_key, fields) =>
          rejectPhone !== null && fields['phone'] === rejectPhone ? `INVALID_PHONE: ${rejectPhone}` : undefined,
      });
      h.erp.insert('customers', 'K1', { name: 'Acme', phone: '111', city: 'Oslo' });
      h.erp.insert('customers', 'K2', { name: 'Other', phone: '222', city: 'Rome' });
      const first = await runSync(h.ctx);
      expect(first.status).toBe('succeeded');

      // Both sides edit K1's name (a conflict the policy decides); the ERP also edits the phone, which the CRM refuses.
      const erpRow = h.erp.findByKey('customers', 'K1')!;
      const crmRow = h.crm.findByKey('Account', 'K1')!;
      h.erp.update('customers', erpRow.nativeId, { name: 'Acme ERP', phone: 'bad-phone' });
      h.crm.update('Account', crmRow.nativeId, { name: 'Acme CRM' });
      rejectPhone = 'bad-phone';
      const second = await runSync(h.ctx);
      expect(second.status).toBe('partial');

      const [timeline, ...others] = await h.store.timeline.timeline({ sync: 'test', key: 'K1' });
      expect(others).toEqual([]);
      expect(timeline!.object).toBe('account');
      expect(timeline!.erpId).toBe(erpRow.nativeId);
      expect(timeline!.crmId).toBe(crmRow.nativeId);
      // The first run: captured in the ERP, planned for the CRM, created there.
      expect(kinds(timeline!, first.runId)).toEqual(['captured:erp', 'planned:crm', 'written:crm']);
      // The second: both captures, the decision, both planned writes, then the ERP's write and the CRM's rejection.
      const run2 = kinds(timeline!, second.runId);
      expect(run2.slice(0, 2).sort()).toEqual(['captured:crm', 'captured:erp']);
      expect(run2.slice(2, 3)).toEqual(['decided']);
      expect(run2.slice(3, 5).sort()).toEqual(['planned:crm', 'planned:erp']);
      expect(run2.slice(5).sort()).toEqual(['rejected:crm', 'written:erp']);

      const decided = timeline!.entries[indexOf(timeline!, (e) => e.kind === 'decided', 'decided')]!;
      expect(decided.detail).toMatchObject({
        kind: 'conflict',
        policyVersion: 'v7',
        decisions: [{ field: 'name', take: 'crm', rule: 'fields.name (latest-wins)' }],
      });
      expect(decided.detail['reasons']).toEqual(['later side wins']);
      const plannedCrm = timeline!.entries.find(
        (e) => e.kind === 'planned' && e.system === 'crm' && e.runId === second.runId,
      )!;
      expect(plannedCrm.detail).toEqual({ op: 'upsert', fields: ['phone'] });
      expect(plannedCrm.nativeId).toBe(crmRow.nativeId);
      const rejected = timeline!.entries.find((e) => e.kind === 'rejected')!;
      expect(rejected.detail['reason']).toBe('INVALID_PHONE: bad-phone');
      const written = timeline!.entries.find((e) => e.kind === 'written' && e.system === 'erp')!;
      expect(written.detail).toEqual({ status: 'updated' });
      expect(written.nativeId).toBe(erpRow.nativeId);
      // What waits now: the failed write.
      expect(timeline!.now.failed).toMatchObject([{ system: 'crm', status: 'rejected', attempts: 1, skipped: false }]);
      // Time never goes backwards along the timeline.
      const times = timeline!.entries.map((e) => e.at);
      expect([...times].sort()).toEqual(times);

      // Found by either native id, the same timeline; K2's events are not in it.
      const byCrmId = await h.store.timeline.timeline({ sync: 'test', nativeId: crmRow.nativeId });
      expect(byCrmId.map((t) => t.key)).toEqual(['K1']);
      expect(byCrmId[0]!.entries.map((e) => e.seq)).toEqual(timeline!.entries.map((e) => e.seq));
      const byErpId = await h.store.timeline.timeline({ sync: 'test', object: 'account', nativeId: erpRow.nativeId });
      expect(byErpId.map((t) => t.key)).toEqual(['K1']);
      expect(await h.store.timeline.timeline({ sync: 'test', nativeId: 'no-such-id' })).toEqual([]);
      expect(await h.store.timeline.timeline({ sync: 'test', object: 'other', key: 'K1' })).toEqual([]);

      const text = formatTimeline(timeline!);
      expect(text).toContain('name -> crm by fields.name (latest-wins) (policy v7)');
      expect(text).toContain('INVALID_PHONE: bad-phone');
    });

    it('records a queued conflict, the person’s answer and its outcome; history off writes no event', async () => {
      h = await createHarness(backend, { resolver: cityWaits });
      h.erp.insert('customers', 'C1', { name: 'Acme', phone: '1', city: 'Oslo' });
      await runSync(h.ctx);
      h.erp.update('customers', h.erp.findByKey('customers', 'C1')!.nativeId, { city: 'Bergen' });
      h.crm.update('Account', h.crm.findByKey('Account', 'C1')!.nativeId, { city: 'Trondheim' });
      const queued = await runSync(h.ctx);
      expect(queued.counts['account']!.conflicts.queued).toBe(1);
      expect(await h.store.conflicts.answerConflict('test', 'account', 'C1', { take: 'erp', by: 'alice' })).toBe(true);
      const answered = await runSync(h.ctx);

      const [t] = await h.store.timeline.timeline({ sync: 'test', object: 'account', key: 'C1' });
      const queuedAt = indexOf(t!, (e) => e.kind === 'conflict-queued', 'conflict-queued');
      expect(t!.entries[queuedAt]!.detail).toEqual({
        rule: 'fields.city (manual)',
        policyVersion: 'v7',
        fields: ['city'],
      });
      const answerAt = indexOf(t!, (e) => e.kind === 'operator-action', 'operator-action');
      expect(t!.entries[answerAt]!.detail).toEqual({ action: 'conflict-answer', take: 'erp', actor: 'alice' });
      const resolvedAt = indexOf(t!, (e) => e.kind === 'conflict-resolved', 'conflict-resolved');
      const writtenAt = indexOf(
        t!,
        (e) => e.kind === 'written' && e.system === 'crm' && e.runId === answered.runId,
        'the answer written to the CRM',
      );
      expect(queuedAt).toBeLessThan(answerAt);
      expect(answerAt).toBeLessThan(resolvedAt);
      expect(resolvedAt).toBeLessThan(writtenAt);
      expect(t!.now.openConflict).toBeNull();
      expect(h.crm.findByKey('Account', 'C1')!.fields['city']).toBe('Bergen');
      await h.close();

      h = await createHarness(backend, { recordEvents: false });
      h.erp.insert('customers', 'Q1', { name: 'Quiet', phone: '1', city: 'Oslo' });
      expect((await runSync(h.ctx)).status).toBe('succeeded');
      const none = await sql<{
        n: string;
      }>`select count(*) as n from ${sql.id(h.store.database.schema, 'record_event')}`.execute(h.store.database.db);
      expect(Number(none.rows[0]!.n)).toBe(0);
      // The record is still found (through its record state), with an empty history.
      const [quiet] = await h.store.timeline.timeline({ sync: 'test', key: 'Q1' });
      expect(quiet!.entries).toEqual([]);
      expect(quiet!.crmId).not.toBeNull();
    });

    it('prune trims events past retention.history; forget erases one record’s events', async () => {
      h = await createHarness(backend, {
        rejectCrm: (key) => (key === 'BAD' ? 'REJECTED: secret-value-9' : undefined),
      });
      h.erp.insert('customers', 'BAD', { name: 'Bad', phone: '1', city: 'Oslo' });
      h.erp.insert('customers', 'OK', { name: 'Ok', phone: '2', city: 'Rome' });
      await runSync(h.ctx);
      const db = h.store.database;
      const t = (name: string) => sql.id(db.schema, name);
      const count = async (key: string) =>
        Number(
          (await sql<{ n: string }>`select count(*) as n from ${t('record_event')} where key = ${key}`.execute(db.db))
            .rows[0]!.n,
        );
      expect(await count('BAD')).toBe(3);
      expect(await count('OK')).toBe(3);
      // An operator skips the failed record: an event of that record (and of no other).
      const action = await h.store.failed.actOnFailed(
        'test',
        'skip',
        { object: 'account', key: 'BAD' },
        'ops',
        new Date(),
      );
      expect(action?.affected).toBe(1);
      const [bad] = await h.store.timeline.timeline({ sync: 'test', key: 'BAD' });
      expect(kinds(bad!)).toEqual(['captured:erp', 'planned:crm', 'rejected:crm', 'operator-action:crm']);
      expect(bad!.entries[3]!.detail).toMatchObject({ action: 'failed-skip', actor: 'ops' });
      expect(bad!.now.failed).toMatchObject([{ system: 'crm', skipped: true }]);
      expect(await count('OK')).toBe(3);

      const forgotten = await forgetRecord(db, 'test', { object: 'account', key: 'BAD' });
      expect(forgotten.removed['record_event']).toBe(4);
      expect(await count('BAD')).toBe(0);
      expect(await count('OK')).toBe(3);

      const days = { staged: 30, planned: 30, decisions: 30, runs: 30, failed: 30, history: 30 };
      expect((await pruneState(db, 'test', days)).recordEvents).toBe(0);
      await sql`update ${t('record_event')} set at = now() - interval '40 days'`.execute(db.db);
      h.erp.update('customers', h.erp.findByKey('customers', 'OK')!.nativeId, { city: 'Milan' });
      await runSync(h.ctx);
      const fresh = await count('OK');
      expect(fresh).toBe(6);
      const report = await pruneState(db, 'test', days);
      expect(report.recordEvents).toBe(3);
      expect(await count('OK')).toBe(3);
      const [ok] = await h.store.timeline.timeline({ sync: 'test', key: 'OK' });
      expect(kinds(ok!)).toEqual(['captured:erp', 'planned:crm', 'written:crm']);
    });
  });
}
