import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { reloadPolicies } from '../../src/engine/open-engine.js';
import type { SyncObject } from '../../src/pipeline/sync-object.js';
import { runSync } from '../../src/pipeline/run-sync.js';
import { ConfigError } from '../../src/util/errors.js';
import { loadPolicyFile } from '../../src/resolve/policy/load-policy-file.js';
import { explainRecord } from '../../src/resolve/tooling/explain-record.js';
import { policyContextFor } from '../../src/engine/policy-context.js';
import type { TandemConfig } from '../../src/config/tandem-config.js';
import { createHarness, snapshot, FIELDS, type Harness } from '../support/sync-harness.js';
import { testBackends } from '../support/test-databases.js';

const mapping = { object: 'account', fields: FIELDS.map((name) => ({ name, type: 'string' })) };

for (const backend of testBackends()) {
  describe(`${backend.name}: conflict policies inside a sync`, () => {
    let h: Harness;
    let dir: string;
    afterEach(async () => {
      await h?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('queues a manual field for a person while the record keeps syncing its other fields; the answer flows out on the next run', async () => {
      dir = await mkdtemp(join(tmpdir(), 'tandem-policy-'));
      const file = join(dir, 'account.yaml');
      await writeFile(file, 'object: account\ndefault: latest-wins\ndeletes: keep\nfields:\n  name: manual\n');
      const policy = await loadPolicyFile(file, { mapping });
      h = await createHarness(backend, { resolver: policy.resolver });
      const row = h.erp.insert('customers', 'K', { name: 'Acme', phone: '1', city: 'Oslo' });
      await runSync(h.ctx);
      const crmRow = h.crm.findByKey('Account', 'K')!;
      h.erp.update('customers', row.nativeId, { name: 'Acme ERP', phone: '2' });
      h.crm.update('Account', crmRow.nativeId, { name: 'Acme CRM', city: 'Bergen' });

      const queued = await runSync(h.ctx);
      expect(queued.status).toBe('partial');
      expect(queued.counts['account']!.conflicts.queued).toBe(1);
      // The non-conflicting fields flowed; the conflicting one waits, each side keeping its own value.
      expect(h.crm.findByKey('Account', 'K')!.fields).toEqual({ name: 'Acme CRM', phone: '2', city: 'Bergen' });
      expect(h.erp.findByKey('customers', 'K')!.fields).toEqual({ name: 'Acme ERP', phone: '2', city: 'Bergen' });
      const [conflict] = await h.store.conflicts.listConflicts('test');
      expect(conflict?.fields).toEqual([{ field: 'name', base: 'Acme', erp: 'Acme ERP', crm: 'Acme CRM' }]);
      expect(conflict?.rule).toContain('account.yaml');
      expect(conflict?.policyVersion).toBe(policy.version);

      // A quiet run keeps it queued and writes nothing.
      expect((await runSync(h.ctx)).writes).toBe(0);

      expect(
        await h.store.conflicts.answerConflict('test', 'account', 'K', { set: { name: 'Acme Group' }, by: 'ann' }),
      ).toBe(true);
      const answered = await runSync(h.ctx);
      expect(answered.status).toBe('succeeded');
      expect(h.erp.findByKey('customers', 'K')!.fields['name']).toBe('Acme Group');
      expect(h.crm.findByKey('Account', 'K')!.fields['name']).toBe('Acme Group');
      expect(await h.store.conflicts.listConflicts('test')).toEqual([]);
      expect((await h.store.conflicts.listConflicts('test', { status: 'resolved' })).map((c) => c.key)).toEqual(['K']);
      expect(snapshot(h.erp, 'customers')).toEqual(snapshot(h.crm, 'Account'));
      const timeline = await h.store.status.decisionsFor('test', 'account', 'K');
      expect(timeline.length).toBe(2); // queued by the policy, then the person's answer
    });

    it("picks up an admin's edit to a policy file on the next run as a new version, in decisions, the run record and explain", async () => {
      dir = await mkdtemp(join(tmpdir(), 'tandem-policy-'));
      const file = join(dir, 'account.yaml');
      await writeFile(file, 'object: account\ndefault: erp-wins\ndeletes: keep\n');
      const v1 = await loadPolicyFile(file, { mapping });
      h = await createHarness(backend, { resolver: v1.resolver });
      const row = h.erp.insert('customers', 'K', { name: 'A', phone: '1', city: 'X' });
      await runSync(h.ctx);
      const conflictOn = async (field: 'name' | 'phone', erpValue: string, crmValue: string, ctx = h.ctx) => {
        h.erp.update('customers', row.nativeId, { [field]: erpValue });
        h.crm.update('Account', h.crm.findByKey('Account', 'K')!.nativeId, { [field]: crmValue });
        return runSync(ctx);
      };
      const first = await conflictOn('name', 'erp-1', 'crm-1');
      expect(h.crm.findByKey('Account', 'K')!.fields['name']).toBe('erp-1');

      // The admin edits the file: the CRM wins from now on.
      await writeFile(file, 'object: account\nversion: crm-owns-names\ndefault: crm-wins\ndeletes: keep\n');
      const v2 = await loadPolicyFile(file, { mapping });
      expect(v2.version).not.toBe(v1.version);
      const ctx2 = {
        ...h.ctx,
        objects: [{ ...h.object, resolver: v2.resolver, policyVersion: `account.yaml@${v2.version}` }],
      };
      const second = await conflictOn('phone', 'erp-2', 'crm-2', ctx2);
      expect(h.erp.findByKey('customers', 'K')!.fields['phone']).toBe('crm-2');

      const runs = await h.store.runs.listRuns('test');
      expect(runs.find((r) => r.id === second.runId)?.policyVersions['account']).toBe(`account.yaml@${v2.version}`);
      expect(runs.find((r) => r.id === first.runId)?.policyVersions['account']).toBe('test');
      const timeline = await h.store.status.decisionsFor('test', 'account', 'K');
      expect(timeline.map((d) => d.policyVersion)).toEqual([v2.version, v1.version]);

      // explain, fed from the state store as `tandem policy explain` is, names the current version.
      const config = {
        sync: 'test',
        objects: [
          {
            name: 'account',
            policy: 'account.yaml',
            fields: FIELDS.map((name) => ({
              name,
              type: 'string',
              direction: 'both',
              erp: [name],
              crm: [name],
              transforms: [],
              line: 1,
            })),
            erp: { table: 'customers', key: 'customer_no', options: {} },
            crm: { object: 'Account', externalId: 'External_Id__c', options: {} },
            line: 1,
          },
        ],
        policies: { dir },
      } as unknown as TandemConfig;
      const input = await policyContextFor(config, h.store).explain('account', 'K');
      const explanation = explainRecord(
        {
          ...input!,
          crm: { ...input!.crm!, fields: { ...input!.crm!.fields, name: 'crm-3' } },
          erp: { ...input!.erp!, fields: { ...input!.erp!.fields, name: 'erp-3' } },
        },
        v2.resolver,
      );
      expect(explanation.policyVersion).toBe(v2.version);
    });

    it('a run re-reads a changed policy file as it starts (reloadPolicies, as openEngine sets it up); a file that does not check stops the run', async () => {
      dir = await mkdtemp(join(tmpdir(), 'tandem-policy-'));
      const file = join(dir, 'account.yaml');
      await writeFile(file, 'object: account\nversion: v1\ndefault: erp-wins\ndeletes: keep\n');
      const v1 = await loadPolicyFile(file, { mapping });
      h = await createHarness(backend, { resolver: v1.resolver });
      const config = {
        sync: 'test',
        objects: [
          {
            name: 'account',
            policy: 'account.yaml',
            fields: FIELDS.map((name) => ({ name, type: 'string', direction: 'both' })),
          },
        ],
        policies: { dir },
      } as unknown as TandemConfig;
      const objects: SyncObject[] = [{ ...h.object, policyVersion: `account.yaml@${v1.version}` }];
      const ctx = { ...h.ctx, objects, refreshPolicies: () => reloadPolicies(config, objects, undefined) };
      const row = h.erp.insert('customers', 'K', { name: 'A', phone: '1', city: 'X' });
      await runSync(ctx);
      const conflictOn = async (erpValue: string, crmValue: string) => {
        h.erp.update('customers', row.nativeId, { name: erpValue });
        h.crm.update('Account', h.crm.findByKey('Account', 'K')!.nativeId, { name: crmValue });
        return runSync(ctx);
      };
      const first = await conflictOn('erp-1', 'crm-1');
      expect(h.crm.findByKey('Account', 'K')!.fields['name']).toBe('erp-1');

      // Edited on disk while the engine stays open: the next run decides with the new version.
      await writeFile(file, 'object: account\nversion: v2\ndefault: crm-wins\ndeletes: keep\n');
      const second = await conflictOn('erp-2', 'crm-2');
      expect(h.erp.findByKey('customers', 'K')!.fields['name']).toBe('crm-2');
      const runs = await h.store.runs.listRuns('test');
      expect(runs.find((r) => r.id === first.runId)?.policyVersions['account']).toMatch(/^account\.yaml@v1@/);
      expect(runs.find((r) => r.id === second.runId)?.policyVersions['account']).toMatch(/^account\.yaml@v2@/);
      const decisions = await h.store.status.decisionsFor('test', 'account', 'K');
      expect(decisions.map((d) => d.policyVersion?.split('@')[0])).toEqual(['v2', 'v1']);

      // A file that does not check: the run does not start, and the objects keep the last good policy.
      await writeFile(file, 'object: account\ndefault: crm-winz\n');
      const broken = await runSync(ctx).catch((error: unknown) => error);
      expect(broken).toBeInstanceOf(ConfigError);
      expect((broken as ConfigError).message).toContain('crm-winz');
      expect(objects[0]?.policyVersion).toMatch(/^account\.yaml@v2@/);
      expect((await h.store.runs.listRuns('test')).length).toBe(runs.length);
    });
  });
}
