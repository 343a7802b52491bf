import { afterEach, describe, expect, it } from 'vitest';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../../../src/emulator/salesforce/index.js';
import type { SalesforceConnector } from '../../../src/connectors/salesforce/salesforce-connector.js';
import type { Watermark } from '../../../src/model/watermark.js';
import { accountStream as stream, connectTo } from './harness.js';

let emu: RunningSalesforceEmulator | undefined;
let crm: SalesforceConnector | undefined;

afterEach(async () => {
  await crm?.close();
  await emu?.close();
});

async function readAll(
  source: ReturnType<SalesforceConnector['createSource']>,
  since: Watermark | undefined,
): Promise<{ keys: string[]; watermark: Watermark | undefined }> {
  const keys: string[] = [];
  let watermark = since;
  for await (const batch of source.readChanges(stream, since, {})) {
    for (const r of batch.records) keys.push(r.key);
    watermark = batch.watermark ?? watermark;
  }
  return { keys, watermark };
}

describe('the CRM side reads with a lookback by default', () => {
  it('a record whose SystemModstamp became visible late (earlier than the watermark) is still read', async () => {
    let now = Date.parse('2026-01-10T12:00:00Z');
    emu = await startSalesforceEmulator({ port: 0, clock: () => now });
    crm = connectTo(emu);
    await crm.init([stream]);
    const source = crm.createSource();

    emu.store.insert('Account', { Name: 'First', External_Id__c: 'K-1' });
    const first = await readAll(source, undefined);
    expect(first.keys).toEqual(['K-1']);

    // A record stamped 60 s before the last one read, visible only now (a long transaction committing late).
    now -= 60_000;
    emu.store.insert('Account', { Name: 'Late', External_Id__c: 'K-LATE' });
    now += 120_000;
    const second = await readAll(source, first.watermark);
    expect(second.keys).toContain('K-LATE');
  });

  it('an explicit lookbackSeconds: 0 still reads strictly after the watermark', async () => {
    let now = Date.parse('2026-01-10T12:00:00Z');
    emu = await startSalesforceEmulator({ port: 0, clock: () => now });
    crm = connectTo(emu);
    const zero = { ...stream, options: { lookbackSeconds: 0 } };
    await crm.init([zero]);
    const source = crm.createSource();
    emu.store.insert('Account', { Name: 'First', External_Id__c: 'K-1' });
    const keys = async (
      since: Watermark | undefined,
    ): Promise<{ keys: string[]; watermark: Watermark | undefined }> => {
      const out: string[] = [];
      let watermark = since;
      for await (const batch of source.readChanges(zero, since, {})) {
        for (const r of batch.records) out.push(r.key);
        watermark = batch.watermark ?? watermark;
      }
      return { keys: out, watermark };
    };
    const first = await keys(undefined);
    now -= 60_000;
    emu.store.insert('Account', { Name: 'Late', External_Id__c: 'K-LATE' });
    now += 120_000;
    expect((await keys(first.watermark)).keys).not.toContain('K-LATE');
  });
});
