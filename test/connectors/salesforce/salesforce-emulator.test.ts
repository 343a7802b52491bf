import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import {
  startSalesforceEmulator,
  type RunningSalesforceEmulator,
  type SalesforceEmulatorOptions,
} from '../../../src/emulator/salesforce/index.js';
import type { SalesforceConnector } from '../../../src/connectors/salesforce/salesforce-connector.js';
import type { SalesforceConnectorConfigInput } from '../../../src/connectors/salesforce/salesforce-connector-config.js';
import type { HttpClient } from '../../../src/connectors/salesforce/http-client.js';
import type { ChangeBatch, OutboundRecord } from '../../../src/connectors/connector.js';
import type { Watermark } from '../../../src/model/watermark.js';
import { MemoryJobLedger } from '../../support/memory-job-ledger.js';
import { accountStream as stream, batchesOf, byKey, collect, connectTo, recordingHttp, upserts } from './harness.js';

let emu: RunningSalesforceEmulator;
const connectors: SalesforceConnector[] = [];

async function startEmu(options: SalesforceEmulatorOptions = {}): Promise<void> {
  emu = await startSalesforceEmulator({ port: 0, ...options });
}

function connect(overrides: Partial<SalesforceConnectorConfigInput> = {}, http?: HttpClient): SalesforceConnector {
  const c = connectTo(emu, overrides, http);
  connectors.push(c);
  return c;
}

function accountByKey(key: string): Record<string, unknown> | undefined {
  return emu.store.list('Account', { includeDeleted: true }).find((r) => r['External_Id__c'] === key);
}

afterEach(async () => {
  for (const c of connectors.splice(0)) await c.close();
  await emu?.close();
});

describe('SalesforceConnector against the emulator: ingest', () => {
  beforeEach(() => startEmu());

  it('upserts new and changed records, nulls with #N/A, keeps quotes, newlines and UTF-8, varying field sets', async () => {
    const crm = connect();
    await crm.init([stream]);
    const sink = crm.createSink();
    const ledger = new MemoryJobLedger();
    const first = upserts(40, 0, (i) =>
      i % 2 === 0
        ? { Name: `Acme "${i}", Ltd`, Description: `line one\nline two ${i} Zoë 東京`, NumberOfEmployees: i }
        : { Name: `Beta ${i}`, Phone: `555-${i}` },
    );
    const created = byKey(await collect(sink.write(stream, batchesOf(first), { ledger })));
    expect(created.size).toBe(40);
    for (const r of created.values()) expect(r.status).toBe('created');
    expect(accountByKey('K-2')).toMatchObject({
      Name: 'Acme "2", Ltd',
      Description: 'line one\nline two 2 Zoë 東京',
      NumberOfEmployees: 2,
    });
    expect(created.get('K-2')?.nativeId).toBe(accountByKey('K-2')?.['Id']);

    const second = [
      { key: 'K-1', op: 'upsert' as const, fields: { Phone: null } },
      { key: 'K-2', op: 'upsert' as const, fields: { Name: 'Renamed' } },
      { key: 'K-99', op: 'upsert' as const, fields: { Name: 'New one' } },
    ];
    const results = byKey(await collect(sink.write(stream, batchesOf(second), { ledger })));
    expect(results.get('K-1')?.status).toBe('updated');
    expect(results.get('K-99')?.status).toBe('created');
    expect(accountByKey('K-1')?.['Phone']).toBeNull();
    // Description was left alone (empty cell), Name changed.
    expect(accountByKey('K-2')).toMatchObject({ Name: 'Renamed', Description: 'line one\nline two 2 Zoë 東京' });
    expect(ledger.statuses().every((s) => s === 'done')).toBe(true);
    expect(emu.stats().jobsCreated).toBe(2);
  });

  it('splits a large write into jobs of one upload each under maxUploadBytes and still matches every record', async () => {
    const calls: string[] = [];
    const crm = connect({ maxUploadBytes: 600 }, recordingHttp(calls));
    const records = upserts(120);
    const results = byKey(
      await collect(crm.createSink().write(stream, batchesOf(records, 7), { ledger: new MemoryJobLedger() })),
    );
    expect(results.size).toBe(120);
    const puts = calls.filter((c) => c.startsWith('PUT '));
    expect(puts.length).toBeGreaterThan(2);
    // Salesforce takes one upload per job: one job per part, each uploaded once.
    expect(new Set(puts).size).toBe(puts.length);
    expect(calls.filter((c) => c === 'POST /services/data/v62.0/jobs/ingest')).toHaveLength(puts.length);
    expect(emu.store.count('Account')).toBe(120);
  });

  it('a record setting a field outside the stream ends the job; the next job names that field, nothing is lost', async () => {
    const calls: string[] = [];
    const crm = connect({}, recordingHttp(calls));
    const records: OutboundRecord[] = [
      { key: 'K-a', op: 'upsert', fields: { Name: 'A' } },
      { key: 'K-b', op: 'upsert', fields: { Name: 'B', AccountNumber: 'AN-1' } },
      { key: 'K-c', op: 'upsert', fields: { Name: 'C' } },
    ];
    const results = byKey(
      await collect(crm.createSink().write(stream, batchesOf(records), { ledger: new MemoryJobLedger() })),
    );
    expect([...results.values()].map((r) => r.status)).toEqual(['created', 'created', 'created']);
    expect(accountByKey('K-b')).toMatchObject({ Name: 'B', AccountNumber: 'AN-1' });
    expect(accountByKey('K-c')).toMatchObject({ Name: 'C', AccountNumber: null });
    expect(calls.filter((c) => c.startsWith('PUT '))).toHaveLength(2);
  });

  it('updates records created in Salesforce by Id and sets their external ID; rejects invalid rows with the reason', async () => {
    const crm = connect();
    const orphan = emu.store.insert('Account', { Name: 'Made in CRM' });
    const records: OutboundRecord[] = [
      { key: 'K-orphan', nativeId: orphan['Id'] as string, op: 'upsert', fields: { Phone: '123' } },
      { key: 'K-bad', op: 'upsert', fields: { Phone: 'no name' } }, // Name is required on create
    ];
    const results = byKey(
      await collect(crm.createSink().write(stream, batchesOf(records), { ledger: new MemoryJobLedger() })),
    );
    expect(results.get('K-orphan')).toMatchObject({ status: 'updated', nativeId: orphan['Id'] });
    expect(emu.store.get('Account', orphan['Id'] as string)).toMatchObject({
      External_Id__c: 'K-orphan',
      Phone: '123',
    });
    expect(results.get('K-bad')?.status).toBe('rejected');
    expect(results.get('K-bad')?.reason).toMatch(/REQUIRED_FIELD_MISSING/);
  });

  it('deletes by Id, looks up Ids for keys, and reports keys that do not exist as deleted', async () => {
    const crm = connect();
    const sink = crm.createSink();
    const ledger = new MemoryJobLedger();
    const made = byKey(await collect(sink.write(stream, batchesOf(upserts(3)), { ledger })));
    const deletes: OutboundRecord[] = [
      { key: 'K-0', nativeId: made.get('K-0')!.nativeId!, op: 'delete', fields: {} },
      { key: 'K-1', op: 'delete', fields: {} },
      { key: 'K-missing', op: 'delete', fields: {} },
    ];
    const results = byKey(await collect(sink.write(stream, batchesOf(deletes), { ledger })));
    expect([...results.values()].map((r) => r.status)).toEqual(['deleted', 'deleted', 'deleted']);
    expect(results.get('K-1')?.nativeId).toBe(made.get('K-1')?.nativeId);
    expect(emu.store.count('Account')).toBe(1);
  });
});

describe('SalesforceConnector against the emulator: query', () => {
  beforeEach(() => startEmu());

  it('[I6] reads everything, then only changes after the cursor, never skipping records sharing a timestamp; deletes via queryAll', async () => {
    const calls: string[] = [];
    const crm = connect({ queryPageSize: 7 }, recordingHttp(calls));
    await crm.init([stream]);
    for (let i = 0; i < 30; i += 1)
      emu.store.insert('Account', {
        Name: `A${i}`,
        External_Id__c: `E${i}`,
        NumberOfEmployees: i,
        AnnualRevenue: 1000.5,
      });
    const source = crm.createSource();
    const seen: string[] = [];
    let watermark: Watermark | undefined;
    for await (const batch of source.readChanges(stream, undefined, { batchSize: 4 })) {
      seen.push(...batch.records.map((r) => r.key));
      watermark = batch.watermark;
    }
    expect(seen.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `E${i}`).sort());
    expect(calls.filter((c) => c.endsWith('/results')).length).toBeGreaterThanOrEqual(5); // 30 rows / 7 per page

    // Restart from a watermark in the middle of records that share one SystemModstamp.
    const firstBatches: ChangeBatch[] = [];
    for await (const b of source.readChanges(stream, undefined, { batchSize: 4 })) firstBatches.push(b);
    const cut = firstBatches[2]!.watermark;
    const rest: string[] = [];
    for await (const b of source.readChanges(stream, cut, { batchSize: 100 }))
      rest.push(...b.records.map((r) => r.key));
    // The whole second of the cut is read again (SystemModstamp has whole seconds): nothing after the cut is missed.
    const afterCut = firstBatches.slice(3).flatMap((b) => b.records.map((r) => r.key));
    for (const key of afterCut) expect(rest).toContain(key);
    expect(new Set([...firstBatches.slice(0, 3).flatMap((b) => b.records.map((r) => r.key)), ...rest]).size).toBe(30);

    const rec = firstBatches[0]!.records[0]!;
    expect(typeof rec.fields['NumberOfEmployees']).toBe('number');
    expect(rec.fields['AnnualRevenue']).toBe(1000.5);
    expect(rec.fields['Phone']).toBeNull();
    expect(rec.modifiedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

    // A delete and an edit after the watermark come back; the delete as a tombstone.
    await new Promise((r) => setTimeout(r, 1_050)); // the emulator's clock has whole seconds
    const victim = emu.store.list('Account').find((r) => r['External_Id__c'] === 'E3')!;
    emu.store.delete('Account', victim['Id'] as string);
    const edited = emu.store.list('Account').find((r) => r['External_Id__c'] === 'E4')!;
    emu.store.update('Account', edited['Id'] as string, { Phone: '999' });
    const changes = await collect(
      (async function* () {
        for await (const b of source.readChanges(stream, watermark, {})) yield b.records;
      })(),
    );
    // The changes come back; anything else is a re-read of the watermark's own second (unchanged records).
    const second = (watermark as { modifiedAt: string }).modifiedAt.slice(0, 19);
    const changed = changes.filter((r) => r.modifiedAt.slice(0, 19) > second);
    expect(changed.map((r) => [r.key, r.deleted]).sort()).toEqual([
      ['E3', true],
      ['E4', false],
    ]);
    for (const r of changes.filter((c) => !changed.includes(c))) expect(r.modifiedAt.slice(0, 19)).toBe(second);
    expect(changes.find((r) => r.key === 'E4')?.fields['Phone']).toBe('999');
  });

  it('asks for gzip and decompresses result pages as a stream', async () => {
    const encodings: string[] = [];
    const http: HttpClient = async (url, options) => {
      const res = await request(url, options);
      if (url.includes('/results')) encodings.push(String(res.headers['content-encoding'] ?? 'identity'));
      return res;
    };
    const crm = connect({ queryPageSize: 5 }, http);
    for (let i = 0; i < 12; i += 1) emu.store.insert('Account', { Name: `G${i}`, External_Id__c: `G${i}` });
    const keys = (await collect(crm.createSource().listKeys!(stream, {}))).map((k) => k.key);
    expect(keys.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `G${i}`).sort());
    expect(encodings.length).toBe(3);
    expect(encodings.every((e) => e === 'gzip')).toBe(true);
  });

  it('checks streams against describe in init with clear errors', async () => {
    const crm = connect();
    await expect(crm.init([{ ...stream, fields: ['Name', 'Nope__c'] }])).rejects.toThrow(
      /account.*has no field 'Nope__c'.*Fields that exist: .*AccountNumber/s,
    );
    await expect(crm.init([{ ...stream, entity: 'Widget__c' }])).rejects.toThrow(/no object 'Widget__c'/);
    await expect(crm.init([{ ...stream, options: { lookback: 5 } }])).rejects.toThrow(
      /allowed: lookbackSeconds, deletes/,
    );
  });
});
