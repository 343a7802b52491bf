import { afterEach, describe, expect, it } from 'vitest';
import type { OutboundRecord } from '../../src/connectors/connector.js';
import type { Conflict, Resolution } from '../../src/model/conflict.js';
import { SYSTEMS, type SystemId } from '../../src/model/system.js';
import { dryRunSync, type DryRunObjectPlan } from '../../src/pipeline/dry-run.js';
import { runSync, type SyncRunResult } from '../../src/pipeline/run-sync.js';
import { outboundRecord } from '../../src/pipeline/write-stage.js';
import type { ConflictResolver } from '../../src/model/conflict-resolver.js';
import { createHarness, type Harness } from '../support/sync-harness.js';
import { testBackends } from '../support/test-databases.js';

/** Every conflicting field and every delete-versus-change waits for a person. */
const askAPerson: ConflictResolver = {
  name: 'test-manual',
  resolve(conflict: Conflict): Resolution {
    if (conflict.kind !== 'fields')
      return {
        policyVersion: 'test',
        decisions: [{ kind: 'existence', take: 'manual', rule: 'test-manual', reason: 'a person decides' }],
      };
    return {
      policyVersion: 'test',
      decisions: conflict.fields.map((field) => ({
        kind: 'field' as const,
        field,
        take: 'manual' as const,
        rule: 'test-manual',
        reason: 'a person decides',
      })),
    };
  },
};

type Writes = Record<SystemId, OutboundRecord[]>;

function byKey(writes: readonly OutboundRecord[]): OutboundRecord[] {
  return [...writes].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Runs `sync --dry-run`, then the real run, and returns both: the dry run's plan, and what the real run planned
 * (its whole outbox once planning is done, i.e. everything its write stage sends) with its counts.
 */
async function dryRunThenRun(
  h: Harness,
): Promise<{ dry: DryRunObjectPlan; real: { writes: Writes; result: SyncRunResult } }> {
  const [dry] = await dryRunSync(h.ctx, { examples: 10_000 });
  let writes: Writes | undefined;
  const result = await runSync(h.ctx, {
    checkpoint: async (step) => {
      if (step !== 'planned:account') return;
      writes = { erp: [], crm: [] };
      for (const system of SYSTEMS) {
        const entries = await h.store.staging.readOutbox('test', 'account', system, null, 10_000);
        writes[system] = entries.map((entry) => outboundRecord(entry, h.object.mapper, system));
      }
    },
  });
  expect(result.error).toBeUndefined();
  return { dry: dry!, real: { writes: writes!, result } };
}

function expectSamePlan(dry: DryRunObjectPlan, real: { writes: Writes; result: SyncRunResult }): void {
  const counts = real.result.counts['account']!;
  for (const system of SYSTEMS) expect(byKey(dry.examples[system]), system).toEqual(byKey(real.writes[system]));
  expect(dry.writes).toEqual({ erp: real.writes.erp.length, crm: real.writes.crm.length });
  expect(dry.plan).toEqual(counts.plan);
  expect(dry.conflicts).toEqual(counts.conflicts);
  expect(dry.captured).toEqual({ erp: counts.erp.captured, crm: counts.crm.captured });
  expect(dry.truncated).toBe(false);
}

for (const backend of testBackends()) {
  describe(`${backend.name}: [I7][I13] the dry-run plan is the plan the next real run carries out`, () => {
    let h: Harness;
    afterEach(async () => {
      await h?.close();
    });

    const crashes = [
      'captured:account:erp',
      'planned:account',
      'before-apply:account:erp',
      'before-apply:account:crm',
    ] as const;
    for (const crashAt of crashes) {
      it(`after a crash at ${crashAt}, before the write results were applied`, async () => {
        h = await createHarness(backend);
        h.erp.insert('customers', 'A', { name: 'A', phone: '1', city: 'X' });
        h.erp.insert('customers', 'B', { name: 'B', phone: '2', city: 'Y' });
        h.crm.insert('Account', 'C', { name: 'C', phone: '3', city: 'Z' });
        h.crm.insert('Account', '', { name: 'Keyless', phone: '4', city: 'W' });
        const crashed = await runSync(h.ctx, {
          checkpoint: (step) => {
            if (step === crashAt) throw new Error(`simulated crash at ${step}`);
          },
        });
        expect(crashed.status).toBe('failed');
        // Meanwhile both sides edit.
        h.erp.update('customers', h.erp.findByKey('customers', 'A')!.nativeId, { phone: '111' });
        h.crm.update('Account', h.crm.findByKey('Account', 'C')!.nativeId, { city: 'ZZ' });

        const { dry, real } = await dryRunThenRun(h);
        expectSamePlan(dry, real);
        expect(real.writes.erp.length + real.writes.crm.length).toBeGreaterThan(0);
        // The dry run changed nothing: the real run converged as if it had not happened.
        expect((await runSync(h.ctx)).writes).toBe(0);
      });
    }

    it('after a person answered a conflict', async () => {
      h = await createHarness(backend, { resolver: askAPerson });
      h.erp.insert('customers', 'A', { name: 'A', phone: '1', city: 'X' });
      h.erp.insert('customers', 'B', { name: 'B', phone: '2', city: 'Y' });
      expect((await runSync(h.ctx)).status).toBe('succeeded');
      h.erp.update('customers', h.erp.findByKey('customers', 'A')!.nativeId, { phone: 'erp' });
      h.crm.update('Account', h.crm.findByKey('Account', 'A')!.nativeId, { phone: 'crm' });
      h.erp.update('customers', h.erp.findByKey('customers', 'B')!.nativeId, { city: 'erp' });
      h.crm.update('Account', h.crm.findByKey('Account', 'B')!.nativeId, { city: 'crm' });
      const queued = await runSync(h.ctx);
      expect(queued.counts['account']!.conflicts.queued).toBe(2);
      expect(await h.store.conflicts.answerConflict('test', 'account', 'A', { take: 'crm', by: 'test' })).toBe(true);
      // B stays unanswered, and gets a new one-sided edit: planned again, queued again.
      h.erp.update('customers', h.erp.findByKey('customers', 'B')!.nativeId, { name: 'B2' });

      const { dry, real } = await dryRunThenRun(h);
      expectSamePlan(dry, real);
      expect(real.writes.erp.map((w) => [w.key, w.fields['phone']])).toEqual([['A', 'crm']]);
      expect(h.erp.findByKey('customers', 'A')!.fields['phone']).toBe('crm');
    });
  });
}
