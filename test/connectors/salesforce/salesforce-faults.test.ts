import { afterEach, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import {
  startSalesforceEmulator,
  type RunningSalesforceEmulator,
  type SalesforceEmulatorOptions,
} from '../../../src/emulator/salesforce/index.js';
import type { SalesforceConnector } from '../../../src/connectors/salesforce/salesforce-connector.js';
import type { SalesforceConnectorConfigInput } from '../../../src/connectors/salesforce/salesforce-connector-config.js';
import type { HttpClient } from '../../../src/connectors/salesforce/http-client.js';
import { SalesforceAuthError } from '../../../src/connectors/salesforce/errors.js';
import type { WriteResult } from '../../../src/connectors/connector.js';
import { QuotaExceededError } from '../../../src/util/errors.js';
import { MemoryJobLedger } from '../../support/memory-job-ledger.js';
import {
  accountStream as stream,
  batchesOf,
  byKey,
  collect,
  connectTo,
  keyCounts,
  recordingHttp,
  upserts,
} from './harness.js';

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

afterEach(async () => {
  for (const c of connectors.splice(0)) await c.close();
  await emu?.close();
});

function expectAll(results: readonly WriteResult[], n: number, status: WriteResult['status']): void {
  const m = byKey(results);
  expect(m.size).toBe(n);
  for (const r of m.values()) expect(r.status).toBe(status);
}

describe('Salesforce connector under injected faults', () => {
  it('[I9] rides out 503 and 429 on every kind of call without creating a job twice', async () => {
    await startEmu({ faults: { seed: 7, errorRate: 0.3, errorKinds: ['503', '429'], retryAfterSeconds: 0 } });
    const crm = connect({ queryPageSize: 9 });
    await crm.init([stream]);
    const results = await collect(
      crm.createSink().write(stream, batchesOf(upserts(50)), { ledger: new MemoryJobLedger() }),
    );
    expectAll(results, 50, 'created');
    const keys = await collect(crm.createSource().listKeys!(stream, {}));
    expect(keys).toHaveLength(50);
    expect(emu.stats().faultsInjected).toBeGreaterThan(3);
    expect(crm.retries).toBeGreaterThanOrEqual(emu.stats().faultsInjected);
    expect(emu.stats().jobsCreated).toBe(1);
    expect([...keyCounts(emu).values()].every((n) => n === 1)).toBe(true);
  });

  it('waits as long as Retry-After asks', async () => {
    await startEmu();
    let faulted = 0;
    const crm = connect(
      {},
      recordingHttp([], () => {
        // Only the first API call meets the fault: one 503 with Retry-After: 1.
        if (faulted++ === 1) emu.setFaults({});
      }),
    );
    await crm.tokens.getToken();
    emu.setFaults({ errorRate: 1, errorKinds: ['503'], retryAfterSeconds: 1 });
    faulted = 0;
    const started = Date.now();
    await crm.bulk.limits();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(emu.stats().faultsInjected).toBe(1);
  });

  it('[I9] sends a streamed upload refused with 503 again from its start: one job, every record once', async () => {
    await startEmu();
    const calls: string[] = [];
    let puts = 0;
    const crm = connect(
      {},
      recordingHttp(calls, (method) => {
        // Only the first PUT meets the fault; every later call finds it cleared.
        if (method === 'PUT' && puts++ === 0)
          emu.setFaults({ errorRate: 1, errorKinds: ['503'], retryAfterSeconds: 0 });
        else emu.setFaults({});
      }),
    );
    expectAll(
      await collect(crm.createSink().write(stream, batchesOf(upserts(2_000), 100), { ledger: new MemoryJobLedger() })),
      2_000,
      'created',
    );
    expect(calls.filter((c) => c.startsWith('PUT '))).toHaveLength(2);
    expect(emu.stats().faultsInjected).toBe(1);
    expect(emu.stats().jobsCreated).toBe(1);
    expect([...keyCounts(emu).values()].every((n) => n === 1)).toBe(true);
  });

  it('[I1][I9] stops with QuotaExceededError on 403 REQUEST_LIMIT_EXCEEDED mid-job, and a later run resumes the job', async () => {
    await startEmu({ faults: { jobDelayMs: 50 } });
    const crm = connect(
      {},
      recordingHttp([], (method, path) => {
        if (method === 'GET' && /\/jobs\/ingest\/[^/]+$/.test(path)) emu.setFaults({ quotaExhausted: true });
      }),
    );
    const ledger = new MemoryJobLedger();
    await expect(collect(crm.createSink().write(stream, batchesOf(upserts(30)), { ledger }))).rejects.toThrow(
      QuotaExceededError,
    );
    expect(ledger.statuses()).toEqual(['open']);

    emu.setFaults({});
    const later = connect();
    const results = await collect(later.createSink().resume(stream, { ledger }));
    expectAll(results, 30, 'created');
    expect(ledger.statuses()).toEqual(['done']);
    expect(emu.stats().jobsCreated).toBe(1);
  });

  it('keeps the configured share of the daily budget for others: stops before the call', async () => {
    await startEmu({ dailyApiRequests: 40 });
    const crm = connect({ apiReserveShare: 0.5 });
    await crm.init([stream]);
    let error: unknown;
    try {
      for (let i = 0; i < 40; i += 1) await crm.bulk.limits();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect((error as QuotaExceededError).exitCode).toBe(3);
    expect(emu.stats().apiRequests).toBeLessThanOrEqual(20);
  });

  it('[I1] reports every record of a job that failed part-way: processed ones created, the rest unprocessed', async () => {
    await startEmu({ faults: { failJobAfterRecords: 10 } });
    const crm = connect();
    const ledger = new MemoryJobLedger();
    const results = byKey(await collect(crm.createSink().write(stream, batchesOf(upserts(30)), { ledger })));
    expect(results.size).toBe(30);
    const statuses = [...results.values()].map((r) => r.status);
    expect(statuses.filter((s) => s === 'created')).toHaveLength(10);
    expect(statuses.filter((s) => s === 'unprocessed')).toHaveLength(20);
    expect([...results.values()].find((r) => r.status === 'unprocessed')?.reason).toMatch(/Failed/);
    expect(emu.store.count('Account')).toBe(10);
    expect(ledger.statuses()).toEqual(['done']);
  });

  it('waits for slow jobs; a client-side poll timeout leaves the job open, and resume finishes it', async () => {
    await startEmu({ faults: { jobDelayMs: 400 } });
    const ledger = new MemoryJobLedger();
    const impatient = connect({ pollTimeoutMs: 100 });
    const none = await collect(impatient.createSink().write(stream, batchesOf(upserts(20)), { ledger }));
    expect(none).toEqual([]);
    expect(ledger.statuses()).toEqual(['open']);

    const patient = connect();
    expectAll(await collect(patient.createSink().resume(stream, { ledger })), 20, 'created');
    expect(ledger.statuses()).toEqual(['done']);
    expect(emu.stats().jobsCreated).toBe(1);
  });

  it('refreshes an expired token once and carries on', async () => {
    await startEmu({ faults: { tokenTtlSeconds: 1 } });
    const crm = connect();
    await crm.init([stream]);
    await new Promise((r) => setTimeout(r, 1_100));
    expectAll(
      await collect(crm.createSink().write(stream, batchesOf(upserts(5)), { ledger: new MemoryJobLedger() })),
      5,
      'created',
    );
    expect(crm.tokens.fetches).toBeGreaterThanOrEqual(2);
  });

  it('[I1][I9] survives dropped connections: reads retry, a write cut off mid-upload is aborted by resume and sent again, never twice', async () => {
    await startEmu({ faults: { seed: 3, dropConnectionRate: 0.15 } });
    const crm = connect({ queryPageSize: 7 });
    const ledger = new MemoryJobLedger();
    const records = upserts(40);
    let results: WriteResult[] | undefined;
    for (let run = 0; run < 15 && !results; run += 1) {
      try {
        await collect(crm.createSink().resume(stream, { ledger }));
        results = await collect(crm.createSink().write(stream, batchesOf(records), { ledger }));
      } catch {
        // A run that died; the next run resumes.
      }
    }
    expect(results).toBeDefined();
    expect(emu.stats().connectionsDropped).toBeGreaterThan(0);
    const counts = keyCounts(emu);
    expect(counts.size).toBe(40);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    const keys = await collect(crm.createSource().listKeys!(stream, {}));
    expect(keys).toHaveLength(40);
  });

  it('[I1][I9] a process that dies while polling: resume in a new process finishes the job and nothing is sent twice', async () => {
    await startEmu({ faults: { jobDelayMs: 200 } });
    const ledger = new MemoryJobLedger();
    const abort = new AbortController();
    const dying = connect(
      {},
      recordingHttp([], (method) => {
        if (method === 'PATCH') setTimeout(() => abort.abort(new Error('process killed')), 20);
      }),
    );
    await expect(
      collect(dying.createSink().write(stream, batchesOf(upserts(25)), { ledger, signal: abort.signal })),
    ).rejects.toThrow(/killed/);
    expect(ledger.statuses()).toEqual(['open']);

    const reborn = connect();
    expectAll(await collect(reborn.createSink().resume(stream, { ledger })), 25, 'created');
    expect(ledger.statuses()).toEqual(['done']);
    expect(emu.stats().jobsCreated).toBe(1);
    expect(emu.store.count('Account')).toBe(25);
    // Nothing left to resume.
    expect(await collect(reborn.createSink().resume(stream, { ledger }))).toEqual([]);
  });

  it('[I1][I9] a process that dies after uploading but before closing: resume aborts the job and yields nothing', async () => {
    await startEmu();
    const ledger = new MemoryJobLedger();
    ledger.hooks.beforeUpdate = (_id, detail) => {
      if (detail['state'] === 'Closing') throw new Error('process killed');
    };
    const crm = connect();
    await expect(collect(crm.createSink().write(stream, batchesOf(upserts(10)), { ledger }))).rejects.toThrow(/killed/);
    ledger.hooks = {};
    const jobId = [...ledger.entries.keys()][0]!;
    expect(await collect(crm.createSink().resume(stream, { ledger }))).toEqual([]);
    expect(ledger.statuses()).toEqual(['abandoned']);
    expect((await crm.bulk.getJob('ingest', jobId))?.state).toBe('Aborted');
    expect(emu.store.count('Account')).toBe(0);
    expectAll(await collect(crm.createSink().write(stream, batchesOf(upserts(10)), { ledger })), 10, 'created');
    expect(emu.store.count('Account')).toBe(10);
  });
});

describe('Salesforce OAuth flows', () => {
  it('logs in with a JWT bearer assertion signed by the private key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await startEmu({ jwtPublicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() });
    const crm = connect({
      auth: {
        flow: 'jwt',
        clientId: emu.clientId,
        username: 'sync@acme.test',
        privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
    });
    await crm.init([stream]);
    expect(crm.tokens.fetches).toBe(1);

    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const impostor = connect({
      auth: {
        flow: 'jwt',
        clientId: emu.clientId,
        username: 'sync@acme.test',
        privateKeyPem: other.export({ type: 'pkcs1', format: 'pem' }).toString(),
      },
    });
    await expect(impostor.init([stream])).rejects.toThrow(SalesforceAuthError);
  });

  it('names the OAuth error and never shows the secret', async () => {
    await startEmu();
    const secret = 'wrong-secret-5f2a9c';
    const crm = connect({ auth: { flow: 'client_credentials', clientId: emu.clientId, clientSecret: secret } });
    const error = await crm.init([stream]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SalesforceAuthError);
    expect((error as SalesforceAuthError).oauthError).toMatch(/invalid/);
    expect(String((error as Error).message)).not.toContain(secret);
    expect(JSON.stringify((error as SalesforceAuthError).context)).not.toContain(secret);
  });
});
