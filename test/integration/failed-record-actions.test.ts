import { afterEach, describe, expect, it } from 'vitest';
import { runSync } from '../../src/pipeline/run-sync.js';
import { createHarness, snapshot, type Harness } from '../support/sync-harness.js';
import { testBackends } from '../support/test-databases.js';

/** A clock an hour ahead: past any backoff a first or second rejection schedules. */
const later = () => new Date(Date.now() + 3600_000);

for (const backend of testBackends()) {
  describe(`${backend.name}: tandem failed retry, skip and discard`, () => {
    let h: Harness;
    let rejecting: boolean;
    afterEach(async () => {
      await h?.close();
    });

    /** GOOD syncs; BAD is rejected by the CRM while `rejecting` (one failed entry, backoff 1 min). */
    async function withOneRejected(): Promise<void> {
      rejecting = true;
      h = await createHarness(backend, {
        rejectCrm: (key) =>
          rejecting && key === 'BAD' ? 'FIELD_CUSTOM_VALIDATION_EXCEPTION:phone is invalid' : undefined,
      });
      h.erp.insert('customers', 'GOOD', { name: 'G', phone: '1', city: 'X' });
      h.erp.insert('customers', 'BAD', { name: 'B', phone: 'x', city: 'Y' });
      const first = await runSync(h.ctx);
      expect(first.status).toBe('partial');
      expect(first.counts['account']!.crm.rejected).toBe(1);
      expect(await h.store.failed.listFailed('test')).toHaveLength(1);
      rejecting = false;
    }

    it('retry: the next run writes the record without waiting for its backoff, and the action is recorded', async () => {
      await withOneRejected();
      const waiting = await runSync(h.ctx);
      expect(waiting.counts['account']!.crm.created).toBe(0); // still in its backoff
      const done = await h.store.failed.actOnFailed(
        'test',
        'retry',
        { object: 'account', key: 'BAD' },
        'ops',
        new Date(),
      );
      expect(done?.affected).toBe(1);
      expect(done?.records).toEqual([
        expect.objectContaining({ object: 'account', system: 'crm', key: 'BAD', status: 'rejected', attempts: 1 }),
      ]);
      const next = await runSync(h.ctx);
      expect(next.counts['account']!.crm.created).toBe(1);
      expect(await h.store.failed.listFailed('test')).toHaveLength(0);
      expect(snapshot(h.erp, 'customers')).toEqual(snapshot(h.crm, 'Account'));
      const [action] = await h.store.failed.listOperatorActions('test');
      expect(action).toMatchObject({
        action: 'failed-retry',
        selector: { object: 'account', key: 'BAD' },
        actor: 'ops',
      });
    });

    it('skip: not retried, even past its backoff, until the record changes; then written', async () => {
      await withOneRejected();
      const done = await h.store.failed.actOnFailed('test', 'skip', { object: 'account' }, 'ops', new Date());
      expect(done?.affected).toBe(1);
      const skipped = await runSync({ ...h.ctx, now: later });
      expect(skipped.counts['account']!.crm.created).toBe(0);
      const [listed] = await h.store.failed.listFailed('test');
      expect(listed).toMatchObject({ key: 'BAD', skippedBy: 'ops' });
      expect(listed!.skippedAt).not.toBeNull();
      expect(h.crm.findByKey('Account', 'BAD')).toBeUndefined();
      // A change on its source side brings it back.
      h.erp.update('customers', h.erp.findByKey('customers', 'BAD')!.nativeId, { phone: '2' });
      const changed = await runSync(h.ctx);
      expect(changed.counts['account']!.crm.created).toBe(1);
      expect(await h.store.failed.listFailed('test')).toHaveLength(0);
      expect(snapshot(h.erp, 'customers')).toEqual(snapshot(h.crm, 'Account'));
    });

    it('skip: a changed record rejected again is back in the retry cycle (the skip is cleared)', async () => {
      await withOneRejected();
      await h.store.failed.actOnFailed('test', 'skip', {}, 'ops', new Date());
      rejecting = true;
      h.erp.update('customers', h.erp.findByKey('customers', 'BAD')!.nativeId, { phone: 'y' });
      const again = await runSync(h.ctx);
      expect(again.counts['account']!.crm.rejected).toBe(1);
      const [listed] = await h.store.failed.listFailed('test');
      expect(listed).toMatchObject({ key: 'BAD', attempts: 2, skippedAt: null, skippedBy: null });
    });

    it('discard: gone from the queue for good, not retried, and kept in the audit with its reason', async () => {
      await withOneRejected();
      const done = await h.store.failed.actOnFailed('test', 'discard', {}, 'ops', new Date());
      expect(done?.affected).toBe(1);
      expect(await h.store.failed.listFailed('test')).toHaveLength(0);
      const afterwards = await runSync({ ...h.ctx, now: later });
      expect(afterwards.counts['account']!.crm.created).toBe(0);
      expect(h.crm.findByKey('Account', 'BAD')).toBeUndefined();
      const [action] = await h.store.failed.listOperatorActions('test');
      expect(action).toMatchObject({ action: 'failed-discard', selector: {}, affected: 1 });
      expect(action!.records[0]).toMatchObject({ key: 'BAD', system: 'crm' });
      expect(action!.records[0]!.reason).toContain('phone is invalid');
      expect((await h.store.status.queueSizes('test'))['account']?.failed ?? 0).toBe(0);
    });

    it('selects nothing when no entry matches, and records nothing then', async () => {
      await withOneRejected();
      expect(
        await h.store.failed.actOnFailed('test', 'retry', { object: 'account', key: 'NOPE' }, 'ops', new Date()),
      ).toBeNull();
      expect(await h.store.failed.actOnFailed('test', 'discard', { object: 'contact' }, 'ops', new Date())).toBeNull();
      expect(await h.store.failed.listOperatorActions('test')).toEqual([]);
      expect(await h.store.failed.objectsWithFailedKey('test', 'BAD')).toEqual(['account']);
      expect(await h.store.failed.objectsWithFailedKey('test', 'GOOD')).toEqual([]);
    });
  });
}
