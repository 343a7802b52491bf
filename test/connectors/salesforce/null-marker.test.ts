import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../../../src/emulator/salesforce/index.js';
import type { SalesforceConnector } from '../../../src/connectors/salesforce/salesforce-connector.js';
import { MemoryJobLedger } from '../../support/memory-job-ledger.js';
import { accountStream as stream, batchesOf, byKey, collect, connectTo } from './harness.js';

let emu: RunningSalesforceEmulator;
let crm: SalesforceConnector;

beforeEach(async () => {
  emu = await startSalesforceEmulator({ port: 0 });
  crm = connectTo(emu);
  await crm.init([stream]);
});

afterEach(async () => {
  await crm.close();
  await emu.close();
});

function accountByKey(key: string): Record<string, unknown> | undefined {
  return emu.store.list('Account').find((r) => r['External_Id__c'] === key);
}

describe('a literal #N/A value (Bulk API 2.0 null marker)', () => {
  it('is never sent: the record is rejected with a reason and the Salesforce value is not erased', async () => {
    const sink = crm.createSink();
    const ledger = new MemoryJobLedger();
    const first = [
      { key: 'K-1', op: 'upsert' as const, fields: { Name: 'Acme', Phone: '555-1' } },
      { key: 'K-2', op: 'upsert' as const, fields: { Name: 'Beta', Phone: '555-2' } },
    ];
    await collect(sink.write(stream, batchesOf(first), { ledger }));
    const k1Id = String(accountByKey('K-1')?.['Id']);

    const second = [
      { key: 'K-1', op: 'upsert' as const, fields: { Name: '#N/A', Phone: '555-9' } },
      { key: 'K-2', op: 'upsert' as const, fields: { Phone: '555-22' } },
      { key: '#N/A', op: 'upsert' as const, fields: { Name: 'Key is the marker' } },
      { key: 'K-3', op: 'upsert' as const, fields: { Name: 'Gamma', Description: '#N/A' } },
    ];
    const results = byKey(await collect(sink.write(stream, batchesOf(second), { ledger })));

    expect(results.get('K-1')).toMatchObject({ status: 'rejected' });
    expect(results.get('K-1')?.reason).toContain('field Name holds the literal text "#N/A"');
    expect(results.get('#N/A')?.reason).toContain('field External_Id__c holds');
    expect(results.get('K-3')?.reason).toContain('field Description holds');
    // The other record of the same batch went through.
    expect(results.get('K-2')?.status).toBe('updated');

    // Nothing was erased or half-written in Salesforce.
    expect(accountByKey('K-1')).toMatchObject({ Id: k1Id, Name: 'Acme', Phone: '555-1' });
    expect(accountByKey('K-2')).toMatchObject({ Name: 'Beta', Phone: '555-22' });
    expect(accountByKey('K-3')).toBeUndefined();
    expect(accountByKey('#N/A')).toBeUndefined();
  });

  it('still sends a real null as #N/A (the field is cleared on purpose)', async () => {
    const sink = crm.createSink();
    const ledger = new MemoryJobLedger();
    await collect(
      sink.write(stream, batchesOf([{ key: 'K-1', op: 'upsert', fields: { Name: 'A', Phone: '1' } }]), { ledger }),
    );
    const results = await collect(
      sink.write(stream, batchesOf([{ key: 'K-1', op: 'upsert', fields: { Phone: null } }]), { ledger }),
    );
    expect(results).toMatchObject([{ key: 'K-1', status: 'updated' }]);
    expect(accountByKey('K-1')).toMatchObject({ Name: 'A', Phone: null });
  });
});
