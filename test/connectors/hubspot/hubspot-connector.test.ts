import { scaled } from '../../support/timeouts.js';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { OutboundRecord, WriteResult } from '../../../src/connectors/connector.js';
import { HubSpotConnector } from '../../../src/connectors/hubspot/hubspot-connector.js';
import type { HubSpotSettingsInput } from '../../../src/connectors/hubspot/hubspot-settings.js';
import { HubSpotSink } from '../../../src/connectors/hubspot/hubspot-sink.js';
import { HubSpotSource } from '../../../src/connectors/hubspot/hubspot-source.js';
import {
  startHubSpotEmulator,
  type HubSpotEmulatorOptions,
  type RunningHubSpotEmulator,
} from '../../../src/emulator/hubspot/index.js';
import type { NativeRecord } from '../../../src/model/record.js';
import type { StreamRef } from '../../../src/model/stream.js';
import type { Watermark } from '../../../src/model/watermark.js';
import { EXIT, QuotaExceededError } from '../../../src/util/errors.js';
import { MemoryJobLedger } from '../../support/memory-job-ledger.js';

const COMPANY: StreamRef = {
  name: 'account',
  entity: 'companies',
  keyField: 'erp_id',
  fields: ['name', 'city', 'numberofemployees'],
  options: {},
};

let opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of opened.reverse()) await o.close().catch(() => undefined);
  opened = [];
});

async function setup(
  emulatorOptions: HubSpotEmulatorOptions = {},
  settings: Partial<HubSpotSettingsInput> = {},
): Promise<{ hs: RunningHubSpotEmulator; crm: HubSpotConnector }> {
  const hs = await startHubSpotEmulator(emulatorOptions);
  opened.push(hs);
  hs.store.createProperty(hs.store.type('companies')!, { name: 'erp_id', type: 'string', hasUniqueValue: true });
  const crm = new HubSpotConnector({
    baseUrl: hs.url,
    auth: { kind: 'private-app', accessToken: hs.privateAppToken },
    retry: { initialDelayMs: 5, maxDelayMs: 50, maxRetries: 4 },
    ...settings,
  });
  opened.push(crm);
  await crm.init([COMPANY]);
  return { hs, crm };
}

async function write(
  crm: HubSpotConnector,
  records: readonly OutboundRecord[],
): Promise<{ results: WriteResult[]; sink: HubSpotSink }> {
  const sink = crm.createSink() as HubSpotSink;
  async function* one(): AsyncGenerator<readonly OutboundRecord[]> {
    yield records;
  }
  const results: WriteResult[] = [];
  for await (const batch of sink.write(COMPANY, one(), { ledger: new MemoryJobLedger() })) results.push(...batch);
  return { results, sink };
}

async function readAll(
  crm: HubSpotConnector,
  since: Watermark | undefined,
): Promise<{ records: NativeRecord[]; watermark: Watermark | undefined; source: HubSpotSource }> {
  const source = crm.createSource() as HubSpotSource;
  const records: NativeRecord[] = [];
  let watermark = since;
  for await (const batch of source.readChanges(COMPANY, since, { batchSize: 1000 })) {
    records.push(...batch.records);
    watermark = batch.watermark;
  }
  return { records, watermark, source };
}

const company = (i: number): OutboundRecord => ({
  key: `E-${i}`,
  op: 'upsert',
  fields: { name: `Company ${i}`, city: 'Lyon', numberofemployees: i },
});

describe('HubSpot connector against the emulator', () => {
  it('a batch HubSpot refuses whole for one bad record is split: the other 99 land, the bad one is rejected with its message', async () => {
    const { hs, crm } = await setup({}, { traceIds: false });
    const records = Array.from({ length: 100 }, (_, i) => company(i));
    records[37] = { key: 'E-37', op: 'upsert', fields: { name: 'Bad', numberofemployees: 'lots' } };
    const { results, sink } = await write(crm, records);
    expect(results).toHaveLength(100);
    const bad = results.filter((r) => r.status === 'rejected');
    expect(bad.map((r) => r.key)).toEqual(['E-37']);
    expect(bad[0]?.reason).toContain('INVALID_DECIMAL');
    expect(results.filter((r) => r.status === 'created')).toHaveLength(99);
    expect(sink.requests.splits).toBeGreaterThanOrEqual(6); // about log2(100) halvings down to the one record
    expect(sink.requests.splits).toBeLessThanOrEqual(8);
    expect(
      hs.store
        .list('companies')
        .map((r) => r.properties['erp_id'])
        .sort(),
    ).toEqual(
      records
        .filter((r) => r.key !== 'E-37')
        .map((r) => r.key)
        .sort(),
    );
  });

  it('with trace ids the same batch is one request: 207 per-record results, matched by trace id, not position', async () => {
    const { crm } = await setup();
    const records = Array.from({ length: 100 }, (_, i) => company(i));
    records[5] = { key: 'E-5', op: 'upsert', fields: { numberofemployees: 'x' } };
    const { results, sink } = await write(crm, records);
    expect(sink.requests.upsert).toBe(1);
    expect(results.find((r) => r.key === 'E-5')?.status).toBe('rejected');
    const second = await write(crm, records.slice(0, 10));
    // nativeIds of the update match the creates key for key (results come back shuffled).
    for (const r of second.results.filter((x) => x.status === 'updated')) {
      expect(r.nativeId).toBe(results.find((x) => x.key === r.key)?.nativeId);
    }
  });

  it('a daily-limit 429 throws QuotaExceededError (exit 3); writing again later creates no duplicate', async () => {
    const { hs, crm } = await setup({}, { concurrency: 1 });
    const records = Array.from({ length: 250 }, (_, i) => company(i));
    const sink = crm.createSink();
    let written = 0;
    const thrown = await (async () => {
      async function* one(): AsyncGenerator<readonly OutboundRecord[]> {
        yield records;
      }
      for await (const batch of sink.write(COMPANY, one(), { ledger: new MemoryJobLedger() })) {
        written += batch.length;
        hs.setFaults({ dailyLimitExhausted: true });
      }
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(thrown).toBeInstanceOf(QuotaExceededError);
    expect((thrown as QuotaExceededError).exitCode).toBe(EXIT.quota);
    expect(written).toBe(100);
    hs.setFaults({});
    const again = await write(crm, records);
    expect(again.results.filter((r) => r.status === 'updated')).toHaveLength(100);
    expect(again.results.filter((r) => r.status === 'created')).toHaveLength(150);
    const keys = hs.store.list('companies').map((r) => r.properties['erp_id']);
    expect(keys).toHaveLength(250);
    expect(new Set(keys).size).toBe(250);
  });

  it("stops before the daily budget's reserve is touched, counting other apps' use (QuotaExceededError, no 429)", async () => {
    const { hs, crm } = await setup(
      { dailyLimit: 1000, tenSecondLimit: 100_000 },
      { budgets: { daily: 1000, per10Seconds: 100_000 }, apiReserveShare: 0.5 },
    );
    // Another integration of the account used 300 requests today.
    for (let i = 0; i < 300; i++) {
      const res = await request(`${hs.url}/crm/v3/objects/companies?limit=1`, {
        headers: { authorization: `Bearer ${hs.privateAppToken}` },
      });
      await res.body.dump();
    }
    const thrown = await (async () => {
      for (let i = 0; i < 600; i++) await crm.http.call('GET', '/crm/v3/objects/companies?limit=1', undefined);
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(thrown).toBeInstanceOf(QuotaExceededError);
    // tandem's share is 500 of 1,000: the account's use (HubSpot's Daily-Remaining header) stops it there.
    expect(hs.stats().daily).toBeGreaterThanOrEqual(495);
    expect(hs.stats().daily).toBeLessThanOrEqual(501);
    expect(hs.stats().rateLimited).toBe(0);
  });

  it('a write applied before its answer timed out is resolved by reading it back: no duplicate, no second upsert', async () => {
    const { hs, crm } = await setup({}, { requestTimeoutMs: 300 });
    hs.setFaults({ writeResponseDelayMs: 1500 });
    const records = Array.from({ length: 30 }, (_, i) => company(i));
    const { results, sink } = await write(crm, records);
    expect(results.every((r) => r.status === 'created' || r.status === 'updated')).toBe(true);
    expect(sink.requests.upsert).toBe(1);
    expect(sink.requests.resolved).toBe(1);
    expect(hs.store.list('companies')).toHaveLength(30);
    expect(hs.stats().recordsCreated).toBe(30);
    hs.setFaults({ dropAfterApply: 1 });
    const dropped = await write(crm, [company(1), company(99)]);
    expect(dropped.results.map((r) => r.status).sort()).toEqual(['created', 'updated']);
    expect(hs.store.list('companies')).toHaveLength(31);
  });

  it(
    'a search that would pass 10,000 results is read completely (re-anchored on the last id)',
    async () => {
      const { hs, crm } = await setup({}, { searchesPerSecond: 5 });
      const start = (await readAll(crm, undefined)).watermark!;
      const type = hs.store.type('companies')!;
      const total = 10_250;
      for (let i = 0; i < total; i++) hs.store.create(type, { name: `C${i}`, erp_id: `K${i}` });
      const { records, source } = await readAll(crm, start);
      expect(source.reanchors).toBeGreaterThanOrEqual(1);
      const ids = new Set(records.map((r) => r.nativeId));
      expect(ids.size).toBe(total);
      expect(new Set(records.map((r) => r.key)).size).toBe(total);
    },
    scaled(60_000),
  );

  it('an edit made inside the index-lag window is not missed: the lookback re-reads it once search has it', async () => {
    const { hs, crm } = await setup({ indexLagMs: 800 }, { indexLagSeconds: 2 });
    const created = hs.store.insert('companies', { name: 'Acme', erp_id: 'E-1' });
    await new Promise((r) => setTimeout(r, 900));
    const first = await readAll(crm, { kind: 'cursor', modifiedAt: new Date(Date.now() - 5000).toISOString(), id: '' });
    expect(first.records.map((r) => r.fields['name'])).toEqual(['Acme']);
    hs.store.patch('companies', created.id, { name: 'Acme Edited' });
    const blind = await readAll(crm, first.watermark);
    // Search has not indexed the edit yet: this read sees the old version (or nothing new)...
    expect(blind.records.some((r) => r.fields['name'] === 'Acme Edited')).toBe(false);
    await new Promise((r) => setTimeout(r, 900));
    const later = await readAll(crm, blind.watermark);
    // ...and the next one, from a watermark already past the edit, still finds it through the lookback.
    expect(later.records.map((r) => r.fields['name'])).toContain('Acme Edited');
  });

  it('the schema check refuses unknown properties with the closest names, a non-unique key, and read-only writes', async () => {
    const { crm } = await setup();
    await expect(crm.init([{ ...COMPANY, fields: ['nmae'] }])).rejects.toThrow(
      /has no property 'nmae' \(mapped\); closest: name/,
    );
    await expect(crm.init([{ ...COMPANY, keyField: 'name' }])).rejects.toThrow(/does not have unique values/);
    await expect(crm.init([{ ...COMPANY, entity: 'widgets' }])).rejects.toThrow(/HubSpot has no object 'widgets'/);
    // A read-only property tandem writes is refused at start; mapped one way (never written) it passes...
    await expect(crm.init([{ ...COMPANY, fields: ['name', 'hs_object_id'] }])).rejects.toThrow(
      /hs_object_id is read-only in HubSpot, and tandem writes it/,
    );
    const stream = { ...COMPANY, fields: ['name', 'hs_object_id'], writtenFields: ['name'] };
    await crm.init([stream]);
    // ...and the sink still refuses a write to it per record.
    const sink = crm.createSink();
    const out: WriteResult[] = [];
    async function* one(): AsyncGenerator<readonly OutboundRecord[]> {
      yield [{ key: 'E-1', op: 'upsert', fields: { name: 'A', hs_object_id: '5' } }];
    }
    for await (const b of sink.write(stream, one(), { ledger: new MemoryJobLedger() })) out.push(...b);
    expect(out).toEqual([
      expect.objectContaining({ key: 'E-1', status: 'rejected', reason: expect.stringContaining('read-only') }),
    ]);
  });

  it(
    'OAuth: refreshes before expiry and after a 401, stays within the 10-second budget',
    async () => {
      const hs = await startHubSpotEmulator({ tokenTtlSeconds: 1, tenSecondLimit: 12 });
      opened.push(hs);
      const crm = new HubSpotConnector({
        baseUrl: hs.url,
        auth: { kind: 'oauth', clientId: hs.clientId, clientSecret: hs.clientSecret, refreshToken: hs.refreshToken },
        budgets: { per10Seconds: 12 },
        apiReserveShare: 0.5,
      });
      opened.push(crm);
      await crm.init([{ ...COMPANY, keyField: 'domain' }]).catch(() => undefined);
      const started = Date.now();
      for (let i = 0; i < 8; i++) {
        const res = await crm.http.call('GET', '/crm/v3/objects/companies?limit=1', undefined);
        expect(res.status).toBe(200);
        if (i === 3) await new Promise((r) => setTimeout(r, 1100));
      }
      // 6 requests per 10 s after the 50% reserve: the 9 calls (init included) needed a wait, and no 429 came back.
      expect(Date.now() - started).toBeGreaterThanOrEqual(8000);
      expect(hs.stats().rateLimited).toBe(0);
      expect(crm.tokens.refreshes).toBeGreaterThanOrEqual(2);
    },
    scaled(30_000),
  );
});
