import { scaled } from '../support/timeouts.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryConnector } from '../../src/connectors/memory/memory-connector.js';
import { MemorySystem } from '../../src/connectors/memory/memory-system.js';
import type { SalesforceConnector } from '../../src/connectors/salesforce/salesforce-connector.js';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../../src/emulator/salesforce/index.js';
import { runSync } from '../../src/pipeline/run-sync.js';
import type { SyncContext, SyncObject } from '../../src/pipeline/sync-object.js';
import { StateStore } from '../../src/state/state-store.js';
import { silentLogger } from '../../src/util/logger.js';
import { connectTo } from '../connectors/salesforce/harness.js';
import { identityMapper, snapshot, testLatestWins } from '../support/sync-harness.js';
import { testBackends, uniqueSchemaName } from '../support/test-databases.js';
import { openTestStateDatabase } from '../support/test-state.js';

const FIELDS = ['Name', 'Description'];

for (const backend of testBackends()) {
  describe(`${backend.name}: [I15] U+0000 (NUL) characters through the pipeline`, () => {
    let emu: RunningSalesforceEmulator;
    let crm: SalesforceConnector;
    let store: StateStore;
    let erp: MemorySystem;
    let ctx: SyncContext;

    beforeEach(async () => {
      emu = await startSalesforceEmulator({ port: 0 });
      crm = connectTo(emu);
      store = new StateStore(await openTestStateDatabase(backend, uniqueSchemaName('nul')));
      await store.migrate();
      erp = new MemorySystem({ idPrefix: 'E' });
      const object: SyncObject = {
        name: 'account',
        streams: {
          erp: { name: 'account', entity: 'customers', keyField: 'customer_no', fields: FIELDS, options: {} },
          crm: { name: 'account', entity: 'Account', keyField: 'External_Id__c', fields: FIELDS, options: {} },
        },
        mapper: identityMapper(FIELDS),
        resolver: testLatestWins,
        policyVersion: 'test',
      };
      ctx = {
        sync: 'test',
        store,
        connectors: { erp: new MemoryConnector({ system: 'erp', data: erp }), crm },
        objects: [object],
        logger: silentLogger(),
      };
    });
    afterEach(async () => {
      await crm.close();
      await emu.close();
      await store.close();
    });

    it(
      'a NUL in a CRM value is removed and the record syncs; a NUL in a key fails that record only',
      async () => {
        emu.store.insert('Account', { External_Id__c: 'K1', Name: 'Plain' });
        emu.store.insert('Account', { External_Id__c: 'K2', Name: 'Bad\u0000Name', Description: 'one\u0000two' });
        const badKey = emu.store.insert('Account', { External_Id__c: 'K\u00003', Name: 'Key with NUL' });
        emu.store.insert('Account', { External_Id__c: 'K4', Name: 'Also plain' });

        const first = await runSync(ctx);
        expect(first.error?.message).toBeUndefined();
        expect(first.status).not.toBe('failed');
        const rows = snapshot(erp, 'customers');
        expect([...rows.keys()].sort()).toEqual(['K1', 'K2', 'K4']);
        expect(rows.get('K2')).toEqual({ Name: 'BadName', Description: 'onetwo' });

        const failed = await store.failed.listFailed('test');
        expect(failed).toHaveLength(1);
        expect(failed[0]).toMatchObject({ key: `crm-${badKey.Id}`, status: 'rejected' });
        expect(failed[0]?.reason).toMatch(/U\+0000 \(NUL\).*in its key "K\\u00003"/);

        // Every later run proceeds too, and a quiet one writes nothing: the CRM's value still has its NUL, but
        // without it it equals what tandem knows.
        const second = await runSync(ctx);
        expect(second.status).toBe('succeeded');
        expect(second.writes).toBe(0);
        const k2 = emu.store.list('Account').find((r) => r['External_Id__c'] === 'K2');
        expect(k2?.['Name']).toBe('Bad\u0000Name');

        // Editing the record on the CRM side carries it through.
        emu.store.update('Account', String(badKey.Id), { External_Id__c: 'K3' });
        const third = await runSync(ctx);
        expect(third.status).toBe('succeeded');
        expect(snapshot(erp, 'customers').get('K3')).toMatchObject({ Name: 'Key with NUL' });
      },
      scaled(120_000),
    );

    it('error texts and reasons with NUL are stored with the NUL escaped', async () => {
      const runId = await store.runs.startRun('test', ['account'], false, {});
      await store.records.apply('test', 'account', {
        failed: [
          { system: 'erp', key: 'k', status: 'rejected', reason: 'refused: a\u0000b', payload: { n: 'x\u0000' } },
        ],
      });
      await store.runs.finishRun(
        runId,
        'failed',
        {},
        { name: 'Error', message: 'boom \u0000 here', context: { v: '\u0000' } },
      );
      const [run] = await store.runs.listRuns('test', 1);
      expect(run?.status).toBe('failed');
      expect(run?.error).toMatchObject({ message: 'boom \\u0000 here', context: { v: '\\u0000' } });
      const [failed] = await store.failed.listFailed('test');
      expect(failed?.reason).toBe('refused: a\\u0000b');
    });
  });
}
