import { afterEach, describe, expect, it } from 'vitest';
import { runSync } from '../../src/pipeline/run-sync.js';
import { createHarness, snapshot, type Harness } from '../support/sync-harness.js';
import { testBackends } from '../support/test-databases.js';

for (const backend of testBackends()) {
  describe(`${backend.name}: two-way sync between in-memory systems through the state store`, () => {
    let h: Harness;
    afterEach(async () => {
      await h?.close();
    });

    it('[I2][I4] creates on the other side, merges one-sided edits, and a quiet re-run writes nothing', async () => {
      h = await createHarness(backend);
      h.erp.insert('customers', 'K1', { name: 'Acme', phone: '111', city: 'Oslo' });
      h.crm.insert('Account', 'K2', { name: 'Beta', phone: '222', city: 'Rome' });
      const first = await runSync(h.ctx);
      expect(first.status).toBe('succeeded');
      expect(first.counts['account']!.crm.created).toBe(1);
      expect(first.counts['account']!.erp.created).toBe(1);
      expect(snapshot(h.erp, 'customers')).toEqual(snapshot(h.crm, 'Account'));

      // Unrelated edits on both sides merge.
      const erpRow = h.erp.findByKey('customers', 'K1')!;
      const crmRow = h.crm.findByKey('Account', 'K1')!;
      h.erp.update('customers', erpRow.nativeId, { phone: '999' });
      h.crm.update('Account', crmRow.nativeId, { city: 'Bergen' });
      const second = await runSync(h.ctx);
      expect(second.status).toBe('succeeded');
      expect(h.erp.findByKey('customers', 'K1')!.fields).toEqual({ name: 'Acme', phone: '999', city: 'Bergen' });
      expect(snapshot(h.erp, 'customers')).toEqual(snapshot(h.crm, 'Account'));

      // Echoes of tandem's own writes and re-reads write nothing.
      const third = await runSync(h.ctx, { full: true });
      expect(third.writes).toBe(0);
      const fourth = await runSync(h.ctx);
      expect(fourth.writes).toBe(0);
      expect(fourth.counts['account']!.erp.captured + fourth.counts['account']!.crm.captured).toBe(0);
    });

    it('propagates deletes and decides a real conflict by policy', async () => {
      h = await createHarness(backend);
      const a = h.erp.insert('customers', 'A', { name: 'A', phone: '1', city: 'X' });
      h.erp.insert('customers', 'B', { name: 'B', phone: '2', city: 'Y' });
      await runSync(h.ctx);
      h.erp.delete('customers', h.erp.findByKey('customers', 'B')!.nativeId);
      h.erp.update('customers', a.nativeId, { name: 'A-erp' });
      h.crm.update('Account', h.crm.findByKey('Account', 'A')!.nativeId, { name: 'A-crm' }); // later clock
      const run = await runSync(h.ctx);
      expect(run.counts['account']!.crm.deleted).toBe(1);
      expect(run.counts['account']!.conflicts.decided).toBe(1);
      expect(h.crm.findByKey('Account', 'B')).toBeUndefined();
      expect(h.erp.findByKey('customers', 'A')!.fields['name']).toBe('A-crm');
      expect(snapshot(h.erp, 'customers')).toEqual(snapshot(h.crm, 'Account'));
    });

    it('[I10] keeps a rejected record in the failed queue without blocking the rest, and retries it', async () => {
      let rejecting = true;
      h = await createHarness(backend, {
        rejectCrm: (key) =>
          rejecting && key === 'BAD' ? 'FIELD_CUSTOM_VALIDATION_EXCEPTION:phone is invalid' : undefined,
      });
      h.erp.insert('customers', 'GOOD', { name: 'G', phone: '1', city: 'X' });
      h.erp.insert('customers', 'BAD', { name: 'B', phone: 'x', city: 'Y' });
      const run = await runSync(h.ctx);
      expect(run.status).toBe('partial');
      expect(run.counts['account']!.crm.created).toBe(1);
      expect(run.counts['account']!.crm.rejected).toBe(1);
      const failed = await h.store.failed.listFailed('test');
      expect(failed).toHaveLength(1);
      expect(failed[0]!.reason).toContain('phone is invalid');
      rejecting = false;
      const retry = await runSync(h.ctx, {});
      // The retry waits for its backoff; a run with a clock past it retries.
      expect(retry.counts['account']!.crm.created).toBe(0);
      const later = await runSync({ ...h.ctx, now: () => new Date(Date.now() + 3600_000) });
      expect(later.counts['account']!.crm.created).toBe(1);
      expect(await h.store.failed.listFailed('test')).toHaveLength(0);
      expect(snapshot(h.erp, 'customers')).toEqual(snapshot(h.crm, 'Account'));
    });
  });
}

for (const backend of testBackends()) {
  describe(`${backend.name}: a crash after the write and before the commit`, () => {
    let h: Harness;
    afterEach(async () => {
      await h?.close();
    });

    for (const side of ['crm', 'erp'] as const) {
      it(`[I1] loses no update and duplicates nothing when the process dies after the ${side} confirmed its writes`, async () => {
        h = await createHarness(backend);
        if (side === 'crm') {
          h.erp.insert('customers', 'A', { name: 'A', phone: '1', city: 'X' });
          h.erp.insert('customers', 'B', { name: 'B', phone: '2', city: 'Y' });
        } else {
          h.crm.insert('Account', 'A', { name: 'A', phone: '1', city: 'X' });
          h.crm.insert('Account', 'B', { name: 'B', phone: '2', city: 'Y' });
        }
        const crashed = await runSync(h.ctx, {
          checkpoint: (step) => {
            if (step === `before-apply:account:${side}`)
              throw new Error('simulated crash: the side has the records, the state store does not know');
          },
        });
        expect(crashed.status).toBe('failed');
        const target = side === 'crm' ? h.crm : h.erp;
        const entity = side === 'crm' ? 'Account' : 'customers';
        expect(target.live(entity)).toHaveLength(2); // the writes landed before the crash

        // Meanwhile the origin side edits one of the records again.
        const origin = side === 'crm' ? h.erp : h.crm;
        const originEntity = side === 'crm' ? 'customers' : 'Account';
        origin.update(originEntity, origin.findByKey(originEntity, 'A')!.nativeId, { phone: '111' });

        const next = await runSync(h.ctx);
        expect(next.status).toBe('succeeded');
        const keys = target
          .live(entity)
          .map((r) => r.key)
          .sort();
        expect(keys).toEqual(['A', 'B']); // no duplicate
        expect(target.findByKey(entity, 'A')!.fields['phone']).toBe('111'); // no lost update
        expect(snapshot(h.erp, 'customers')).toEqual(snapshot(h.crm, 'Account'));
        expect((await runSync(h.ctx)).writes).toBe(0);
      });
    }
  });
}

for (const backend of testBackends()) {
  describe(`${backend.name}: one run of a sync at a time`, () => {
    let h: Harness;
    afterEach(async () => {
      await h?.close();
    });

    it('refuses a second concurrent run of the same sync, and lets the next one in afterwards', async () => {
      h = await createHarness(backend);
      h.erp.insert('customers', 'A', { name: 'A', phone: '1', city: 'X' });
      let release!: () => void;
      const paused = new Promise<void>((resolve) => (release = resolve));
      let reached!: () => void;
      const atCheckpoint = new Promise<void>((resolve) => (reached = resolve));
      const first = runSync(h.ctx, {
        checkpoint: async (step) => {
          if (step === 'planned:account') {
            reached();
            await paused;
          }
        },
      });
      await atCheckpoint;
      await expect(runSync(h.ctx)).rejects.toThrow(/another tandem run of sync 'test' is in progress/);
      release();
      expect((await first).status).toBe('succeeded');
      expect((await runSync(h.ctx)).status).toBe('succeeded');
    });
  });
}
