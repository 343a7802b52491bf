import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../../src/emulator/salesforce/index.js';
import { api, type Api, ingest, token, waitForJob, adminRequest } from './emulator-http.js';

let sf: RunningSalesforceEmulator;
let call: Api;

beforeAll(async () => {
  sf = await startSalesforceEmulator({ queryPageSize: 1000 });
  call = api(sf, await token(sf));
  const parent = sf.store.insert('Account', { Name: 'Parent', External_Id__c: 'PARENT' });
  for (let i = 0; i < 25; i++) {
    sf.store.insert('Contact', {
      LastName: `Person ${String(i).padStart(2, '0')}`,
      FirstName: i % 5 === 0 ? null : `F${i}`,
      AccountId: i % 2 === 0 ? parent['Id'] : null,
      External_Id__c: `K-${i}`,
      HasOptedOutOfEmail: i % 3 === 0,
    });
  }
});
afterAll(() => sf.close());

async function queryJob(soql: string, operation = 'query'): Promise<string> {
  const res = await call('/jobs/query', { method: 'POST', json: { operation, query: soql } });
  if (res.status !== 200) throw new Error(`${res.status} ${res.text}`);
  const id = res.json<{ id: string }>().id;
  expect((await waitForJob(call, 'query', id))['state']).toBe('JobComplete');
  return id;
}

describe('Bulk API 2.0 query', () => {
  it('pages with maxRecords and Sforce-Locator, header on every page, literal null at the end', async () => {
    const id = await queryJob(
      "SELECT Id, LastName, Account.Name FROM Contact WHERE LastName LIKE 'Person%' ORDER BY LastName DESC",
    );
    const seen: string[] = [];
    let locator = '';
    let pages = 0;
    for (;;) {
      const res = await call(`/jobs/query/${id}/results?maxRecords=10${locator ? `&locator=${locator}` : ''}`, {
        headers: { accept: 'text/csv' },
      });
      expect(res.status).toBe(200);
      pages++;
      const page = parse<Record<string, string>>(res.text, { columns: true });
      expect(res.text.startsWith('"Id","LastName","Account.Name"\n')).toBe(true);
      expect(res.headers['sforce-numberofrecords']).toBe(String(page.length));
      seen.push(...page.map((r) => r['LastName']!));
      locator = String(res.headers['sforce-locator']);
      if (locator === 'null') break;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `Person ${String(24 - i).padStart(2, '0')}`));
    const again = await call(
      `/jobs/query/${id}/results?maxRecords=10&locator=${Buffer.from('10').toString('base64').replace(/=+$/, '')}`,
    );
    expect(parse(again.text, { columns: true })[0]).toMatchObject({ LastName: 'Person 14' });
  });

  it('filters with AND/OR/NOT, IN, null, booleans and datetimes; child-to-parent fields; queryAll sees deletes', async () => {
    const doomed = sf.store.list('Contact').find((c) => c['External_Id__c'] === 'K-4')!;
    sf.store.delete('Contact', doomed['Id'] as string);
    const soql =
      "SELECT External_Id__c, FirstName, Account.External_Id__c, IsDeleted FROM Contact WHERE (FirstName = null OR External_Id__c IN ('K-1', 'K-4')) AND NOT HasOptedOutOfEmail = true AND CreatedDate > 2020-01-01T00:00:00.000+00:00 ORDER BY FirstName NULLS LAST, External_Id__c";
    const live = parse<Record<string, string>>((await call(`/jobs/query/${await queryJob(soql)}/results`)).text, {
      columns: true,
    });
    const expected = sf.store
      .list('Contact', { includeDeleted: false })
      .filter(
        (c) =>
          (c['FirstName'] === null || ['K-1', 'K-4'].includes(String(c['External_Id__c']))) &&
          c['HasOptedOutOfEmail'] !== true,
      );
    expect(live.map((r) => r['External_Id__c']).sort()).toEqual(
      expected.map((c) => String(c['External_Id__c'])).sort(),
    );
    expect(live[0]).toMatchObject({
      External_Id__c: 'K-1',
      FirstName: 'F1',
      'Account.External_Id__c': '',
      IsDeleted: 'false',
    });
    expect(live.find((r) => r['External_Id__c'] === 'K-10')).toMatchObject({
      FirstName: '',
      'Account.External_Id__c': 'PARENT',
    });
    const all = parse<Record<string, string>>(
      (await call(`/jobs/query/${await queryJob(soql, 'queryAll')}/results`)).text,
      { columns: true },
    );
    expect(all.find((r) => r['External_Id__c'] === 'K-4')).toMatchObject({ IsDeleted: 'true' });
    expect(all.length).toBe(live.length + 1);
  });

  it('gzips results on Accept-Encoding: gzip and answers 409 for another API version', async () => {
    const id = await queryJob('SELECT Id FROM Contact LIMIT 3');
    const res = await call(`/jobs/query/${id}/results`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(res.buffer).toString('utf8').split('\n').filter(Boolean)).toHaveLength(4);
    const other = await api(sf, await token(sf), '61.0')(`/jobs/query/${id}/results`);
    expect(other.status).toBe(409);
  });

  it('answers Salesforce-shaped errors for bad SOQL at job creation', async () => {
    const cases: [string, string][] = [
      ['SELECT Id FROMM Contact', 'MALFORMED_QUERY'],
      ['SELECT Bogus FROM Contact', 'INVALID_FIELD'],
      ['SELECT Id FROM Bogus__c', 'INVALIDENTITY'],
      ['SELECT Id FROM Contact GROUP BY LastName', 'API_ERROR'],
      ["SELECT Id FROM Contact WHERE CreatedDate > '2020-01-01'", 'INVALID_FIELD'],
    ];
    for (const [query, code] of cases) {
      const res = await call('/jobs/query', { method: 'POST', json: { operation: 'query', query } });
      expect(res.status, query).toBe(400);
      expect(res.json<{ errorCode: string }[]>()[0]?.errorCode, query).toBe(code);
    }
    const res = await call('/jobs/query', {
      method: 'POST',
      json: { operation: 'query', query: 'SELECT Bogus FROM Contact' },
    });
    expect(res.json<{ message: string }[]>()[0]?.message).toContain("No such column 'Bogus' on entity 'Contact'");
  });

  it('aborts, refuses results before completion and deletes only terminal jobs', async () => {
    // Long enough that the job cannot finish before the abort even on a loaded machine (300 ms did not, at load 30);
    // the abort ends it at once, so the test does not wait for this delay.
    sf.setFaults({ jobDelayMs: 120_000 });
    const res = await call('/jobs/query', {
      method: 'POST',
      json: { operation: 'query', query: 'SELECT Id FROM Contact' },
    });
    const id = res.json<{ id: string; state: string }>().id;
    expect(res.json<{ state: string }>().state).toBe('UploadComplete');
    expect((await call(`/jobs/query/${id}/results`)).json<{ errorCode: string }[]>()[0]?.errorCode).toBe(
      'INVALIDJOBSTATE',
    );
    expect((await call(`/jobs/query/${id}`, { method: 'DELETE' })).status).toBe(400);
    expect((await call(`/jobs/query/${id}`, { method: 'PATCH', json: { state: 'Aborted' } })).json()).toMatchObject({
      state: 'Aborted',
    });
    sf.setFaults({});
    expect((await call(`/jobs/query/${id}`, { method: 'DELETE' })).status).toBe(204);
    const list = (await call('/jobs/query')).json<{ records: { id: string }[] }>();
    expect(list.records.some((r) => r.id === id)).toBe(false);
  });
});

describe('fault injection', () => {
  it.each([
    ['500', 500, 'UNKNOWN_EXCEPTION'],
    ['502', 502, 'BAD_GATEWAY'],
    ['503', 503, 'SERVER_UNAVAILABLE'],
    ['429', 429, 'REQUEST_LIMIT_EXCEEDED'],
    ['403-quota', 403, 'REQUEST_LIMIT_EXCEEDED'],
  ] as const)('answers %s as configured, with Retry-After on 429/503', async (kind, status, code) => {
    sf.setFaults({ errorRate: 1, errorKinds: [kind], retryAfterSeconds: 7 });
    const res = await call('/limits');
    sf.setFaults({});
    expect(res.status).toBe(status);
    expect(res.json<{ errorCode: string }[]>()[0]?.errorCode).toBe(code);
    expect(res.headers['retry-after']).toBe(status === 429 || status === 503 ? '7' : undefined);
    expect(res.headers['sforce-limit-info']).toMatch(/^api-usage=\d+\/100000$/);
  });

  it('is deterministic for a seed and leaves the token endpoint and admin API alone', async () => {
    const run = async () => {
      sf.setFaults({ seed: 42, errorRate: 0.5 });
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await call('/limits')).status);
      expect((await adminRequest(sf, `/__emulator/stats`)).status).toBe(200);
      await token(sf);
      sf.setFaults({});
      return statuses;
    };
    const a = await run();
    expect(a).toEqual(await run());
    expect(a.filter((s) => s === 503).length).toBeGreaterThan(3);
    expect(a.filter((s) => s === 200).length).toBeGreaterThan(3);
  });

  it('drops connections without an answer', async () => {
    sf.setFaults({ dropConnectionRate: 1 });
    await expect(call('/limits')).rejects.toThrow();
    sf.setFaults({});
    expect(sf.stats().connectionsDropped).toBeGreaterThan(0);
  });

  it('answers 403 REQUEST_LIMIT_EXCEEDED while the quota is exhausted, and when the real daily count runs out', async () => {
    await adminRequest(sf, `/__emulator/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"quotaExhausted":true}',
    });
    const res = await call('/limits');
    expect(res.status).toBe(403);
    expect(res.json()).toEqual([{ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.' }]);
    await adminRequest(sf, `/__emulator/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect((await call('/limits')).status).toBe(200);
    const small = await startSalesforceEmulator({ dailyApiRequests: 2 });
    try {
      const c = api(small, await token(small));
      expect((await c('/limits')).status).toBe(200);
      expect((await c('/limits')).json()).toMatchObject({ DailyApiRequests: { Max: 2, Remaining: 0 } });
      expect((await c('/limits')).status).toBe(403);
    } finally {
      await small.close();
    }
  });

  it('expires tokens after tokenTtlSeconds', async () => {
    sf.setFaults({ tokenTtlSeconds: 0 });
    const res = await call('/limits');
    sf.setFaults({});
    expect(res.status).toBe(401);
    expect(res.json()).toEqual([{ errorCode: 'INVALID_SESSION_ID', message: 'Session expired or invalid' }]);
  });

  it('fails an ingest job after failJobAfterRecords, the rest in unprocessedrecords', async () => {
    sf.setFaults({ failJobAfterRecords: 3 });
    const csv = `Name\n${Array.from({ length: 5 }, (_, i) => `Fail ${i}`).join('\n')}\n`;
    const info = await ingest(call, { object: 'Account', operation: 'insert' }, csv);
    sf.setFaults({});
    expect(info).toMatchObject({ state: 'Failed', numberRecordsProcessed: 3 });
    expect(String(info['errorMessage'])).toContain('unprocessedrecords');
    expect((await call(`/jobs/ingest/${info.id}/unprocessedrecords`)).text).toBe('Name\n"Fail 3"\n"Fail 4"\n');
    expect(parse((await call(`/jobs/ingest/${info.id}/successfulResults`)).text, { columns: true })).toHaveLength(3);
  });

  it('slows jobs by jobDelayMs per internal batch', async () => {
    const slow = await startSalesforceEmulator({ batchSize: 2, faults: { jobDelayMs: 100 } });
    try {
      const c = api(slow, await token(slow));
      const started = Date.now();
      const info = await ingest(c, { object: 'Account', operation: 'insert' }, 'Name\na\nb\nc\nd\ne\n');
      expect(info['state']).toBe('JobComplete');
      expect(Date.now() - started).toBeGreaterThanOrEqual(300); // 3 batches
      expect(slow.stats().batchesProcessed).toBe(3);
      const limits = (await c('/limits')).json<Record<string, { Max: number; Remaining: number }>>();
      expect(limits['DailyBulkApiBatches']).toEqual({ Max: 15000, Remaining: 14997 });
    } finally {
      await slow.close();
    }
  });
});

describe('admin API', () => {
  it('inserts, updates, lists (with deleted) and deletes records as a CRM user, and validates faults', async () => {
    const post = await adminRequest(sf, `/__emulator/objects/Account/records`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ records: [{ Name: 'Admin Co', NumberOfEmployees: 3 }, { Phone: 'no name' }] }),
    });
    const results = post.json<{ id?: string; success: boolean; errors: { statusCode: string }[] }[]>();
    expect(results[0]).toMatchObject({ success: true, created: true });
    expect(results[1]).toMatchObject({ success: false, errors: [{ statusCode: 'REQUIRED_FIELD_MISSING' }] });
    const id = results[0]!.id!;
    const update = await adminRequest(sf, `/__emulator/objects/Account/records`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ records: [{ Id: id, Phone: '555' }] }),
    });
    expect(update.json()).toEqual([{ id, success: true, created: false, errors: [] }]);
    expect((await adminRequest(sf, `/__emulator/objects/Account/records/${id}`, { method: 'DELETE' })).status).toBe(
      204,
    );
    const list = (await adminRequest(sf, `/__emulator/objects/Account/records`)).json<{
      records: Record<string, unknown>[];
    }>();
    expect(list.records.find((r) => r['Id'] === id)).toMatchObject({ Name: 'Admin Co', Phone: '555', IsDeleted: true });
    const bad = await adminRequest(sf, `/__emulator/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"errorRate":2}',
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('errorRate');
    const stats = (await adminRequest(sf, `/__emulator/stats`)).json<Record<string, number>>();
    expect(stats['jobsCreated']).toBeGreaterThan(0);
    expect(stats['apiRequests']).toBeGreaterThan(0);
  });
});
