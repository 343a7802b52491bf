import { scaled } from '../support/timeouts.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorRecord } from '../../src/emulator/salesforce/index.js';
import type { SalesforceE2eCrm } from './support/e2e-crm.js';
import { runSync, type SyncRunResult } from '../../src/pipeline/run-sync.js';
import { openStateDatabase } from '../../src/state/state-database.js';
import { StateStore } from '../../src/state/state-store.js';
import { testBackends, uniqueSchemaName } from '../support/test-databases.js';
import {
  crmSnapshot,
  startE2eEmulator,
  E2E_POLICY,
  erpSnapshot,
  openE2eRun,
  type E2eRun,
} from './support/e2e-system.js';
import { openErpDatabase, type ErpDatabase } from './support/erp-database.js';

/**
 * Deterministic regressions for bugs the system model (system-model.pbt.test.ts) found, each over the real
 * connectors: a Postgres ERP table, the Salesforce emulator and the state store.
 */

/** Crashes the run at the first step whose name starts with `prefix`. */
function crashAt(prefix: string): (step: string) => void {
  return (step) => {
    if (step.startsWith(prefix)) throw new Error(`simulated crash at ${step}`);
  };
}

/**
 * A CRM account without a key, and a keyed one modified in a later second: the CRM watermark then lies beyond the
 * first one's SystemModstamp, so later runs do not read it again (only tandem's state says it lacks the key).
 */
async function crmRecordNotReadAgain(run: E2eRun<SalesforceE2eCrm>): Promise<EmulatorRecord> {
  const record = run.crmSide.emulator.store.insert('Account', { Name: 'Made in the CRM' });
  const second = Math.floor(Date.now() / 1000);
  while (Math.floor(Date.now() / 1000) === second) await sleep(20);
  run.crmSide.emulator.store.insert('Account', { Name: 'Later', External_Id__c: 'K9' });
  return record;
}

async function expectAligned(run: E2eRun<SalesforceE2eCrm>): Promise<void> {
  const erp = await erpSnapshot(run);
  const crm = crmSnapshot(run);
  expect(erp.storedKeys.filter((k) => k === '')).toEqual([]);
  expect(crm.storedKeys.filter((k) => k === '')).toEqual([]);
  expect(Object.fromEntries(crm.records)).toEqual(Object.fromEntries(erp.records));
  expect(await run.store.failed.listFailed(run.sync)).toEqual([]);
}

for (const backend of testBackends()) {
  describe(`${backend.name}: end-to-end regressions`, () => {
    let store: StateStore;
    let erp: ErpDatabase;
    let policiesDir: string;
    let emulator: SalesforceE2eCrm;
    let run: E2eRun<SalesforceE2eCrm> | undefined;
    let runs = 0;

    beforeAll(async () => {
      store = new StateStore(
        await openStateDatabase(
          backend.url ? { kind: 'postgres', url: backend.url } : { kind: 'embedded', dataDir: null },
          uniqueSchemaName('e2e_reg'),
        ),
      );
      await store.migrate();
      erp = await openErpDatabase(backend);
      emulator = await startE2eEmulator();
      policiesDir = await mkdtemp(join(tmpdir(), 'tandem-e2e-reg-'));
      await writeFile(join(policiesDir, 'account.yaml'), E2E_POLICY, 'utf8');
    }, scaled(180_000));
    afterEach(async () => {
      await run?.close();
      run = undefined;
    });
    afterAll(async () => {
      if (backend.url) await store?.database.db.schema.dropSchema(store.database.schema).ifExists().cascade().execute();
      await store?.close();
      await erp?.close();
      await emulator?.close();
      if (policiesDir) await rm(policiesDir, { recursive: true, force: true });
    });

    const open = async (
      crmLookbackSeconds?: number,
      capture: 'watermark' | 'changelog' = 'watermark',
    ): Promise<E2eRun<SalesforceE2eCrm>> =>
      (run = await openE2eRun({
        erp,
        store,
        crmSide: emulator,
        run: ++runs,
        capture,
        policiesDir,
        ...(crmLookbackSeconds === undefined ? {} : { crmLookbackSeconds }),
      }));

    it('a row captured by a crashed run and deleted before planning is not created in the CRM by the next full sync', async () => {
      // Bug: reconciliation tombstoned only keys in record_state, so the inbox still said "exists" and the full sync
      // created CRM accounts for rows the ERP user had deleted (and, for a keyless row, failed forever writing its
      // key back to a row that was gone).
      const r = await open();
      await r.erp.query(`insert into ${r.table} (customer_no, name) values ('K1', 'Keyed')`);
      await r.erp.query(`insert into ${r.table} (name) values ('Keyless')`);
      const crashed = await runSync(r.ctx, { batchSize: 3, checkpoint: crashAt('captured:account:erp') });
      expect(crashed.status).toBe('failed');
      await r.erp.query(`delete from ${r.table}`);

      const full = await runSync(r.ctx, { full: true, batchSize: 3 });
      expect(full.error).toBeUndefined();
      expect(r.crmSide.emulator.store.count('Account')).toBe(0);
      await expectAligned(r);
      expect((await runSync(r.ctx, { batchSize: 3 })).writes).toBe(0);
    });

    it('a full sync weighs a CRM delete by its own time, not the time reconciliation noticed it', async () => {
      // Bug (system model, seed 741216058): the CRM capture staged the delete with its SystemModstamp, then key
      // reconciliation replaced it with a tombstone stamped "now". Latest-wins took that delete over the ERP edit
      // made after it and deleted the ERP row; the next incremental run read the real time, kept the record and
      // recreated it in the CRM, leaving the two sides apart.
      const r = await open();
      await r.erp.query(`insert into ${r.table} (customer_no, name) values ('K3', 'Before')`);
      expect((await runSync(r.ctx, { batchSize: 3 })).error).toBeUndefined();
      const id = String(r.crmSide.emulator.store.list('Account').find((a) => a['External_Id__c'] === 'K3')?.['Id']);
      r.crmSide.emulator.store.delete('Account', id);
      await sleep(5);
      await r.erp.query(`update ${r.table} set name = 'Edited after the delete' where customer_no = 'K3'`);

      const full = await runSync(r.ctx, { full: true, batchSize: 3 });
      expect(full.error).toBeUndefined();
      expect((await erpSnapshot(r)).records.get('K3')?.name).toBe('Edited after the delete');
      await expectAligned(r);
      expect((await runSync(r.ctx, { batchSize: 3 })).writes).toBe(0);
      await expectAligned(r);
    });

    it('a keyless ERP row tandem knows but has not keyed yet survives a full sync', async () => {
      // Bug: the Postgres source listed only rows with a key, so reconciliation took the keyless row tandem had
      // planned (under its derived key) for deleted and dropped it: the ERP kept the row, the CRM never got it.
      const r = await open();
      await r.erp.query(`insert into ${r.table} (name, city) values ('Keyless', 'Oslo')`);
      await r.erp.query(`insert into ${r.table} (customer_no, name) values ('K2', 'Later')`);
      const crashed: SyncRunResult = await runSync(r.ctx, { batchSize: 3, checkpoint: crashAt('planned:account') });
      expect(crashed.status).toBe('failed');

      const full = await runSync(r.ctx, { full: true, batchSize: 3 });
      expect(full.error).toBeUndefined();
      expect(r.crmSide.emulator.store.count('Account')).toBe(2);
      await expectAligned(r);
      expect((await runSync(r.ctx, { batchSize: 3 })).writes).toBe(0);
    });

    it('a CRM record whose key write-back failed is keyed by its Id on retry, never duplicated by an upsert', async () => {
      // Bug: only a fresh capture said "this record has no key yet". Once the write of External_Id__c to a record
      // created in the CRM failed, the retry (and any later change from the ERP) upserted on External_Id__c, which
      // created a second Account and left the original without a key.
      const r = await open();
      const original = await crmRecordNotReadAgain(r);
      r.crmSide.emulator.setFaults({ failJobAfterRecords: 0 });
      const first = await runSync(r.ctx, { batchSize: 3 });
      r.crmSide.emulator.setFaults({});
      expect(first.counts['account']!.crm.unprocessed).toBe(1);
      const key = `crm-${String(original['Id'])}`;
      await r.erp.query(`update ${r.table} set name = 'Renamed in the ERP' where customer_no = $1`, [key]);

      const retry = await runSync({ ...r.ctx, now: () => new Date(Date.now() + 86_400_000) }, { batchSize: 3 });
      expect(retry.error).toBeUndefined();
      expect(r.crmSide.emulator.store.list('Account').map((a) => [a['Id'], a['External_Id__c'], a['Name']])).toEqual([
        [original['Id'], key, 'Renamed in the ERP'],
        [expect.any(String), 'K9', 'Later'],
      ]);
      await expectAligned(r);
      expect((await runSync(r.ctx, { batchSize: 3 })).writes).toBe(0);
    });

    it('a failed key write-back with nothing else to write is retried, so the CRM record ends up keyed', async () => {
      const r = await open();
      const original = await crmRecordNotReadAgain(r);
      r.crmSide.emulator.setFaults({ failJobAfterRecords: 0 });
      await runSync(r.ctx, { batchSize: 3 });
      r.crmSide.emulator.setFaults({});
      await runSync({ ...r.ctx, now: () => new Date(Date.now() + 86_400_000) }, { batchSize: 3 });
      expect(r.crmSide.emulator.store.get('Account', String(original['Id']))?.['External_Id__c']).toBe(
        `crm-${String(original['Id'])}`,
      );
      expect(r.crmSide.emulator.store.count('Account')).toBe(2);
      await expectAligned(r);
    });

    it("re-reading a deleted keyless CRM record's tombstone does not delete the record tandem recreated under its key", async () => {
      // Bug: a record created in the CRM without a key is known under the key derived from its Id. Deleted there
      // before its key was written back, while the ERP row was edited, it is recreated in the CRM under that key.
      // A later read that returns the old record's tombstone again (here a lookback window) took it for the delete
      // of the new one and deleted the ERP row.
      const r = await open(3600);
      const original = r.crmSide.emulator.store.insert('Account', { Name: 'Made in the CRM' });
      const key = `crm-${String(original['Id'])}`;
      const first = await runSync(r.ctx, { batchSize: 3, checkpoint: crashAt('written:account:erp') });
      expect(first.status).toBe('failed');
      r.crmSide.emulator.store.delete('Account', String(original['Id']));
      await r.erp.query(`update ${r.table} set name = 'Edited in the ERP' where customer_no = $1`, [key]);

      const second = await runSync(r.ctx, { batchSize: 3 });
      expect(second.error).toBeUndefined();
      expect(r.crmSide.emulator.store.list('Account').map((a) => [a['External_Id__c'], a['Name']])).toEqual([
        [key, 'Edited in the ERP'],
      ]);
      const quiet = await runSync(r.ctx, { batchSize: 3 });
      expect(quiet.writes).toBe(0);
      await expectAligned(r);
    });

    it("an ERP user's edit of a record tandem created there just before a crash is not undone", async () => {
      // Bug: the ERP committed tandem's create but the run died before recording it. The ERP user then cleared a
      // field; the echo no longer matched what tandem wrote, so the create was not recognised, the record was merged
      // as "created on both sides" against an empty base, and the cleared field was filled again from the CRM.
      const r = await open();
      const original = r.crmSide.emulator.store.insert('Account', { Name: 'Made in the CRM', NumberOfEmployees: 2 });
      const key = `crm-${String(original['Id'])}`;
      const crashed = await runSync(r.ctx, { batchSize: 3, checkpoint: crashAt('before-apply:account:erp') });
      expect(crashed.status).toBe('failed');
      await r.erp.query(`update ${r.table} set employees = null where customer_no = $1`, [key]);

      const next = await runSync(r.ctx, { batchSize: 3 });
      expect(next.error).toBeUndefined();
      expect(r.crmSide.emulator.store.get('Account', String(original['Id']))?.['NumberOfEmployees']).toBeNull();
      await expectAligned(r);
      expect((await runSync(r.ctx, { batchSize: 3 })).writes).toBe(0);
    });

    it('a record whose key write-back job never ran takes the ERP edits made meanwhile, cleared fields included', async () => {
      // Bug: the ERP row was created and confirmed, but the CRM job writing the key back died before its upload.
      // The base stayed empty until that key-only write was confirmed, so the next run merged the record as
      // "created on both sides", and a field the ERP user had cleared was filled again from the CRM.
      const r = await open();
      const original = r.crmSide.emulator.store.insert('Account', { Name: 'Made in the CRM', NumberOfEmployees: 2 });
      const key = `crm-${String(original['Id'])}`;
      r.crm.arm('record');
      const crashed = await runSync(r.ctx, { batchSize: 3 });
      expect(crashed.status).toBe('failed');
      await r.erp.query(`update ${r.table} set employees = null where customer_no = $1`, [key]);

      const next = await runSync(r.ctx, { batchSize: 3 });
      expect(next.error).toBeUndefined();
      expect(r.crmSide.emulator.store.get('Account', String(original['Id']))?.['NumberOfEmployees']).toBeNull();
      await expectAligned(r);
      expect((await runSync(r.ctx, { batchSize: 3 })).writes).toBe(0);
    });

    it('changelog capture reports the delete of a row that never had a key', async () => {
      // Bug: the change log's tombstones skipped rows without a key, so a keyless row captured by a crashed run and
      // deleted before planning was planned as existing: created in the CRM, and its key write-back failed forever.
      const r = await open(undefined, 'changelog');
      await r.erp.query(`insert into ${r.table} (name) values ('Keyless')`);
      const crashed = await runSync(r.ctx, { batchSize: 3, checkpoint: crashAt('captured:account:erp') });
      expect(crashed.status).toBe('failed');
      await r.erp.query(`delete from ${r.table}`);
      await r.erpSettled();

      const next = await runSync(r.ctx, { batchSize: 3 });
      expect(next.error).toBeUndefined();
      expect(r.crmSide.emulator.store.count('Account')).toBe(0);
      await expectAligned(r);
    });

    it("a CRM user's own record under the same key is not mistaken for tandem's create that never ran", async () => {
      // Found while fixing the previous case: settling any create whose record had appeared took a CRM user's own
      // Account with the ERP's key for tandem's (never uploaded) create, and the ERP's city was lost without a
      // conflict. Only a key derived from the other side's id proves that tandem created the record.
      const r = await open();
      await r.erp.query(`insert into ${r.table} (customer_no, name, city) values ('K2', 'From the ERP', 'Oslo')`);
      r.crm.arm('record');
      expect((await runSync(r.ctx, { batchSize: 3 })).status).toBe('failed');
      r.crmSide.emulator.store.insert('Account', { Name: 'From the CRM', External_Id__c: 'K2' });

      const next = await runSync(r.ctx, { batchSize: 3 });
      expect(next.error).toBeUndefined();
      const [account] = r.crmSide.emulator.store.list('Account');
      expect(account?.['BillingCity']).toBe('Oslo');
      expect((await r.store.status.decisionsFor(r.sync, 'account', 'K2')).length).toBeGreaterThan(0);
      await expectAligned(r);
    });

    it('results of a bulk job that finished just before a crash are applied by the next run, not lost', async () => {
      // Bug: the results were applied only after the sink's generator ended, and the sink marks its job done in the
      // ledger when its consumer comes back after the last results. A crash in between (before-apply) left a job
      // "done" whose results were never recorded; the next run merged the record against an empty base and a field
      // the CRM user had cleared meanwhile was filled again from the ERP.
      const r = await open();
      await r.erp.query(`insert into ${r.table} (customer_no, name, employees) values ('K0', 'From the ERP', 2)`);
      expect((await runSync(r.ctx, { batchSize: 3, checkpoint: crashAt('before-apply:account:crm') })).status).toBe(
        'failed',
      );
      expect(await r.store.status.openJobCount(r.sync)).toBe(1);
      const [account] = r.crmSide.emulator.store.list('Account');
      r.crmSide.emulator.store.update('Account', String(account!['Id']), { NumberOfEmployees: null });

      const next = await runSync(r.ctx, { batchSize: 3 });
      expect(next.error).toBeUndefined();
      const [row] = await r.erp.query<{ employees: number | null }>(`select employees from ${r.table}`);
      expect(row?.employees).toBeNull();
      await expectAligned(r);
    });
  });
}
