import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { FormData, request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startZohoEmulator, type RunningZohoEmulator } from '../../src/emulator/zoho/index.js';

/** Plain undici calls shaped like the examples of the Zoho reference (no Zoho library in between). */
interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  buffer: Buffer;
  json: <T = Record<string, unknown>>() => T;
}

async function call(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer | FormData } = {},
): Promise<Raw> {
  const res = await request(url, {
    method: (options.method ?? 'GET') as 'GET',
    headers: options.headers ?? {},
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  const buffer = Buffer.from(await res.body.arrayBuffer());
  return {
    status: res.statusCode,
    headers: res.headers,
    buffer,
    json: <T>() => JSON.parse(buffer.toString('utf8')) as T,
  };
}

let zoho: RunningZohoEmulator;
beforeEach(async () => {
  zoho = await startZohoEmulator({ jobDelayMs: 30 });
});
afterEach(async () => {
  await zoho.close();
});

async function accessToken(): Promise<string> {
  const res = await call(`${zoho.url}/oauth/v2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: zoho.clientId,
      client_secret: zoho.clientSecret,
      refresh_token: zoho.refreshToken,
    }).toString(),
  });
  return res.json<{ access_token: string }>().access_token;
}

function api(token: string) {
  return (path: string, options: { method?: string; json?: unknown; headers?: Record<string, string> } = {}) =>
    call(`${zoho.url}${path}`, {
      method: options.method ?? 'GET',
      headers: {
        authorization: `Zoho-oauthtoken ${token}`,
        ...(options.json === undefined ? {} : { 'content-type': 'application/json' }),
        ...(options.headers ?? {}),
      },
      ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) }),
    });
}

async function waitFor<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('timed out waiting');
}

describe('zoho emulator: accounts', () => {
  it('grants from the query string and from a form body, with api_domain and expires_in in seconds', async () => {
    const q = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: zoho.clientId,
      client_secret: zoho.clientSecret,
      refresh_token: zoho.refreshToken,
    });
    const viaQuery = await call(`${zoho.url}/oauth/v2/token?${q.toString()}`, { method: 'POST' });
    expect(viaQuery.status).toBe(200);
    expect(viaQuery.json()).toMatchObject({ api_domain: zoho.url, token_type: 'Bearer', expires_in: 3600 });
    expect(viaQuery.json()).not.toHaveProperty('refresh_token');
    const viaForm = await accessToken();
    expect(viaForm).toMatch(/^1000\./);
  });

  it('reports errors inside a 200 body: invalid_client, invalid_code', async () => {
    const bad = await call(
      `${zoho.url}/oauth/v2/token?grant_type=refresh_token&client_id=${zoho.clientId}&client_secret=wrong&refresh_token=x`,
      { method: 'POST' },
    );
    expect(bad.status).toBe(200);
    expect(bad.json()).toEqual({ error: 'invalid_client' });
    const unknown = await call(
      `${zoho.url}/oauth/v2/token?grant_type=refresh_token&client_id=${zoho.clientId}&client_secret=${zoho.clientSecret}&refresh_token=nope`,
      { method: 'POST' },
    );
    expect(unknown.json()).toEqual({ error: 'invalid_code' });
  });

  it('lets a refresh token mint 10 access tokens per window, then refuses', async () => {
    for (let i = 0; i < 10; i++) expect(await accessToken()).toMatch(/^1000\./);
    const eleventh = await call(`${zoho.url}/oauth/v2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=refresh_token&client_id=${zoho.clientId}&client_secret=${zoho.clientSecret}&refresh_token=${zoho.refreshToken}`,
    });
    expect(eleventh.status).toBe(200);
    expect(eleventh.json()).toMatchObject({ error: 'Access Denied' });
    expect(zoho.stats().refreshRateLimited).toBe(1);
  });

  it('answers 401 AUTHENTICATION_FAILURE without a header and INVALID_TOKEN with a wrong one', async () => {
    const none = await call(`${zoho.url}/crm/v7/Contacts?fields=Last_Name`);
    expect(none.status).toBe(401);
    expect(none.json()).toEqual({
      code: 'AUTHENTICATION_FAILURE',
      details: {},
      message: 'Authentication failed',
      status: 'error',
    });
    const wrong = await api('1000.nope')('/crm/v7/Contacts?fields=Last_Name');
    expect(wrong.status).toBe(401);
    expect(wrong.json()).toEqual({
      code: 'INVALID_TOKEN',
      details: {},
      message: 'invalid oauth token',
      status: 'error',
    });
  });
});

describe('zoho emulator: bulk write', () => {
  async function upload(token: string, csv: string, headers: Record<string, string>): Promise<Raw> {
    const form = new FormData();
    form.append('file', new Blob([zipSync({ 'contacts.csv': strToU8(csv) })]), 'contacts.zip');
    return call(`${zoho.url}/crm/v7/upload`, {
      method: 'POST',
      headers: { authorization: `Zoho-oauthtoken ${token}`, ...headers },
      body: form,
    });
  }

  it('needs feature and X-CRM-ORG on the upload host, and a zip', async () => {
    const token = await accessToken();
    const missing = await upload(token, 'ERP_Customer_No\nC-1\n', {});
    expect(missing.status).toBe(400);
    expect(missing.json()).toMatchObject({
      status: 'error',
      message: 'check if headers [feature, X-CRM-ORG] are present and valid',
    });
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('not a zip')]), 'x.zip');
    const notZip = await call(`${zoho.url}/crm/v7/upload`, {
      method: 'POST',
      headers: { authorization: `Zoho-oauthtoken ${token}`, feature: 'bulk-write', 'X-CRM-ORG': zoho.orgId },
      body: form,
    });
    expect(notZip.status).toBe(400);
    expect(notZip.json()).toMatchObject({ code: 'INVALID_FILE_FORMAT', status: 'error' });
  });

  it('runs an upsert job: ADDED/IN PROGRESS then COMPLETED, a relative download_url, a zip with 3 echoed columns', async () => {
    const token = await accessToken();
    const existing = zoho.store.insert('Contacts', { ERP_Customer_No: 'C-18', Last_Name: 'Old', Email: 'old@acme.io' });
    const csv = 'ERP_Customer_No,Last_Name,Email,Phone\nC-17,Ng,ana@acme.io,1\nC-18,Bo,,2\nC-19,,cy@acme.io,3\n';
    const up = await upload(token, csv, { feature: 'bulk-write', 'X-CRM-ORG': zoho.orgId });
    expect(up.status).toBe(200);
    const fileId = up.json<{ code: string; details: { file_id: string } }>();
    expect(fileId.code).toBe('FILE_UPLOAD_SUCCESS');
    const call1 = api(token);
    const noFindBy = await call1('/crm/bulk/v7/write', {
      method: 'POST',
      json: {
        operation: 'upsert',
        resource: [{ type: 'data', module: { api_name: 'Contacts' }, file_id: fileId.details.file_id }],
      },
    });
    expect(noFindBy.status).toBe(400);
    expect(noFindBy.json()).toMatchObject({ code: 'MANDATORY_NOT_FOUND', status: 'error' });
    zoho.setFaults({ jobDelayMs: 3_600_000 });
    const created = await call1('/crm/bulk/v7/write', {
      method: 'POST',
      json: {
        operation: 'upsert',
        ignore_empty: true,
        resource: [
          {
            type: 'data',
            module: { api_name: 'Contacts' },
            file_id: fileId.details.file_id,
            find_by: 'ERP_Customer_No',
            field_mappings: [
              { api_name: 'ERP_Customer_No', index: 0 },
              { api_name: 'Last_Name', index: 1 },
              { api_name: 'Email', index: 2 },
              { api_name: 'Phone', index: 3 },
            ],
          },
        ],
      },
    });
    expect(created.status).toBe(201);
    const jobId = created.json<{ details: { id: string } }>().details.id;
    // Held by a long job delay, the job stays ADDED with no result; released, it completes.
    const first = await call1(`/crm/bulk/v7/write/${jobId}`);
    expect(first.json<{ status: string }>().status).toBe('ADDED');
    expect(first.json()).not.toHaveProperty('result');
    zoho.setFaults({ jobDelayMs: 0 });
    const done = await waitFor(async () => {
      const res = (await call1(`/crm/bulk/v7/write/${jobId}`)).json<{
        status: string;
        result?: { download_url: string };
        resource: { file: Record<string, number> }[];
      }>();
      return res.status === 'COMPLETED' ? res : undefined;
    });
    expect(done.resource[0]?.file).toMatchObject({
      added_count: 1,
      updated_count: 1,
      skipped_count: 1,
      total_count: 3,
    });
    expect(done.result?.download_url).toBe(`/v7/crm/org${zoho.orgId}/bulk-write/${jobId}/${jobId}.zip`);
    const zip = await call1(done.result!.download_url);
    const files = unzipSync(new Uint8Array(zip.buffer));
    const [name, bytes] = Object.entries(files)[0]!;
    expect(name).toBe('Contacts-contacts.csv');
    const lines = strFromU8(bytes).trim().split('\n');
    expect(lines[0]).toBe('ERP_Customer_No,Last_Name,Email,STATUS,RECORD_ID,ERRORS');
    expect(lines[1]).toMatch(/^C-17,Ng,ana@acme\.io,ADDED,\d{19},$/);
    expect(lines[2]).toBe(`C-18,Bo,,UPDATED,${existing.id},`);
    expect(lines[3]).toBe('C-19,,cy@acme.io,SKIPPED,,MANDATORY_NOT_FOUND-Last_Name');
    // ignore_empty: the empty Email cell left C-18's email alone.
    expect(zoho.store.findBy(zoho.store.module('Contacts')!, 'ERP_Customer_No', 'C-18')?.values.get('Email')).toBe(
      'old@acme.io',
    );
    expect(zoho.stats().creditsSpent).toBeGreaterThanOrEqual(500);
  });
});

describe('zoho emulator: bulk read', () => {
  it('pages with next_page_token, rows unsorted, criteria applied, and 429 on the 11th download in a minute', async () => {
    zoho = await restart({ bulkReadPageSize: 3, jobDelayMs: 10 });
    const token = await accessToken();
    for (let i = 0; i < 7; i++) zoho.store.insert('Contacts', { ERP_Customer_No: `C-${i}`, Last_Name: `N${i}` });
    const call1 = api(token);
    const noJson = await call(`${zoho.url}/crm/bulk/v7/read`, {
      method: 'POST',
      headers: { authorization: `Zoho-oauthtoken ${token}`, 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(noJson.status).toBe(415);
    expect(noJson.json()).toMatchObject({ code: 'MEDIA_TYPE_NOT_SUPPORTED' });
    const ids: string[] = [];
    let pageToken: string | undefined;
    let downloads = 0;
    for (;;) {
      const created = await call1('/crm/bulk/v7/read', {
        method: 'POST',
        json: {
          query: {
            module: { api_name: 'Contacts' },
            fields: ['ERP_Customer_No', 'Modified_Time'],
            criteria: { field: { api_name: 'Last_Name' }, comparator: 'not_equal', value: 'N3' },
            ...(pageToken ? { page_token: pageToken } : {}),
          },
        },
      });
      expect(created.status).toBe(201);
      const jobId = created.json<{ data: { details: { id: string } }[] }>().data[0]!.details.id;
      const result = await waitFor(async () => {
        const d = (await call1(`/crm/bulk/v7/read/${jobId}`)).json<{
          data: { state: string; result?: { download_url: string; more_records: boolean; next_page_token?: string } }[];
        }>().data[0]!;
        return d.state === 'COMPLETED' ? d.result : undefined;
      });
      const zip = await call1(result.download_url);
      downloads += 1;
      const csv = strFromU8(unzipSync(new Uint8Array(zip.buffer))[`${jobId}.csv`]!)
        .trim()
        .split('\n');
      expect(csv[0]).toBe('id,ERP_Customer_No,Modified_Time');
      ids.push(...csv.slice(1).map((l) => l.split(',')[0]!));
      for (const line of csv.slice(1))
        expect(line.split(',')[2]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+05:30$/);
      if (!result.more_records) break;
      pageToken = result.next_page_token;
    }
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
    expect(ids).not.toEqual([...ids].sort());
    expect(downloads).toBe(2);
    // The download limit counts every download of the minute.
    const lastJob = (
      await call1('/crm/bulk/v7/read', { method: 'POST', json: { query: { module: { api_name: 'Contacts' } } } })
    ).json<{
      data: { details: { id: string } }[];
    }>().data[0]!.details.id;
    await waitFor(async () =>
      (await call1(`/crm/bulk/v7/read/${lastJob}`)).json<{ data: { state: string }[] }>().data[0]!.state === 'COMPLETED'
        ? true
        : undefined,
    );
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) statuses.push((await call1(`/crm/bulk/v7/read/${lastJob}/result`)).status);
    expect(statuses.slice(0, 8).every((s) => s === 200)).toBe(true);
    expect(statuses[8]).toBe(429);
  });
});

describe('zoho emulator: REST', () => {
  it('lists with mandatory fields, If-Modified-Since and page tokens; upserts with duplicate_check_fields; deletes; deleted records', async () => {
    const call1 = api(await accessToken());
    const noFields = await call1('/crm/v7/Contacts');
    expect(noFields.status).toBe(400);
    expect(noFields.json()).toMatchObject({ code: 'REQUIRED_PARAM_MISSING', details: { param_name: 'fields' } });
    expect((await call1('/crm/v7/Contacts?fields=Last_Name')).status).toBe(204);

    const upsert = await call1('/crm/v7/Contacts/upsert', {
      method: 'POST',
      json: {
        data: [
          { ERP_Customer_No: 'C-1', Last_Name: 'One', Email: 'one@acme.io' },
          { ERP_Customer_No: 'C-2', Email: 'two@acme.io' },
          { ERP_Customer_No: 'C-3', Last_Name: 'Three', Email: 'not an email' },
        ],
        duplicate_check_fields: ['ERP_Customer_No'],
        trigger: [],
      },
    });
    expect(upsert.status).toBe(207);
    const results = upsert.json<{ data: Record<string, unknown>[] }>().data;
    expect(results[0]).toMatchObject({
      code: 'SUCCESS',
      action: 'insert',
      duplicate_field: null,
      message: 'record added',
      status: 'success',
    });
    expect(results[1]).toEqual({
      code: 'MANDATORY_NOT_FOUND',
      details: { api_name: 'Last_Name' },
      message: 'required field not found',
      status: 'error',
    });
    expect(results[2]).toMatchObject({
      code: 'INVALID_DATA',
      details: { api_name: 'Email', expected_data_type: 'email' },
      status: 'error',
    });
    const again = await call1('/crm/v7/Contacts/upsert', {
      method: 'POST',
      json: { data: [{ ERP_Customer_No: 'C-1', Phone: '5' }], duplicate_check_fields: ['ERP_Customer_No'] },
    });
    expect(again.json<{ data: Record<string, unknown>[] }>().data[0]).toMatchObject({
      action: 'update',
      duplicate_field: 'ERP_Customer_No',
    });
    const dup = await call1('/crm/v7/Contacts/upsert', {
      method: 'POST',
      json: { data: [{ Last_Name: 'X', ERP_Customer_No: 'C-1', id: zoho.store.newId() }] },
    });
    expect(dup.json<{ data: Record<string, unknown>[] }>().data[0]).toMatchObject({
      code: 'INVALID_DATA',
      status: 'error',
    });
    const tooMany = await call1('/crm/v7/Contacts/upsert', {
      method: 'POST',
      json: { data: Array.from({ length: 101 }, (_, i) => ({ Last_Name: `L${i}` })) },
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json()).toMatchObject({ code: 'LIMIT_EXCEEDED', status: 'error' });

    for (let i = 0; i < 5; i++) zoho.store.insert('Contacts', { Last_Name: `P${i}` });
    const page1 = await call1(
      '/crm/v7/Contacts?fields=Last_Name,Modified_Time&per_page=2&sort_by=Modified_Time&sort_order=asc',
    );
    const info = page1.json<{
      data: { Modified_Time: string }[];
      info: { next_page_token: string; more_records: boolean };
    }>();
    expect(info.info.more_records).toBe(true);
    expect(info.data[0]?.Modified_Time).toMatch(/\+05:30$/);
    const page2 = await call1(
      `/crm/v7/Contacts?fields=Last_Name,Modified_Time&per_page=2&sort_by=Modified_Time&sort_order=asc&page_token=${info.info.next_page_token}`,
    );
    expect(page2.status).toBe(200);
    const mismatch = await call1(
      `/crm/v7/Contacts?fields=Last_Name&per_page=2&page_token=${info.info.next_page_token}`,
    );
    expect(mismatch.json()).toMatchObject({ code: 'TOKEN_BOUND_DATA_MISMATCH' });
    const discrete = await call1('/crm/v7/Contacts?fields=Last_Name&page=11&per_page=200');
    expect(discrete.json()).toMatchObject({ code: 'DISCRETE_PAGINATION_LIMIT_EXCEEDED' });
    const future = await call1('/crm/v7/Contacts?fields=Last_Name', {
      headers: { 'If-Modified-Since': '2999-01-01T00:00:00+00:00' },
    });
    expect(future.status).toBe(204);

    const id = (results[0]!['details'] as { id: string }).id;
    const del = await call1(`/crm/v7/Contacts?ids=${id},3652397999999999999`, { method: 'DELETE' });
    expect(del.json<{ data: Record<string, unknown>[] }>().data).toEqual([
      { code: 'SUCCESS', details: { id }, message: 'record deleted', status: 'success' },
      {
        code: 'INVALID_DATA',
        details: { id: '3652397999999999999' },
        message: 'the related id given seems to be invalid',
        status: 'error',
      },
    ]);
    const deleted = await call1('/crm/v7/Contacts/deleted?type=all&page=1&per_page=200');
    expect(deleted.json<{ data: Record<string, unknown>[] }>().data[0]).toMatchObject({
      id,
      display_name: 'One',
      type: 'recycle',
    });
    const search = await call1(
      `/crm/v7/Contacts/search?criteria=${encodeURIComponent('(ERP_Customer_No:equals:C-1)')}`,
    );
    expect(search.status).toBe(204);
  });

  it('serves field metadata with unique, read-only and mandatory flags', async () => {
    const res = await api(await accessToken())('/crm/v7/settings/fields?module=Contacts');
    const fields = res.json<{ fields: { api_name: string; unique: object; read_only: boolean; data_type: string }[] }>()
      .fields;
    expect(fields.find((f) => f.api_name === 'ERP_Customer_No')?.unique).toEqual({ casesensitive: 'true' });
    expect(fields.find((f) => f.api_name === 'Full_Name')?.read_only).toBe(true);
    expect(fields.find((f) => f.api_name === 'Modified_Time')?.data_type).toBe('datetime');
  });
});

describe('zoho emulator: deleted records', () => {
  it('lists deletes by type (all|recycle|permanent), in pages of per_page, after If-Modified-Since, with deleted_time and an offset', async () => {
    const call1 = api(await accessToken());
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(zoho.store.insert('Contacts', { Last_Name: `L${i}` }).id);
    zoho.store.now = () => 1_700_000_000; // 2023-11-14T22:13:20Z
    for (const id of ids.slice(0, 3)) zoho.store.delete('Contacts', id);
    zoho.store.now = () => 1_700_000_100;
    for (const id of ids.slice(3)) zoho.store.delete('Contacts', id);

    type Page = {
      data: Record<string, unknown>[];
      info: { per_page: number; count: number; page: number; more_records: boolean };
    };
    const first = await call1('/crm/v7/Contacts/deleted?type=all&page=1&per_page=2');
    expect(first.status).toBe(200);
    expect(first.json<Page>().info).toEqual({ per_page: 2, count: 2, page: 1, more_records: true });
    const pages = [first.json<Page>()];
    for (const page of [2, 3])
      pages.push((await call1(`/crm/v7/Contacts/deleted?type=all&page=${page}&per_page=2`)).json<Page>());
    expect(pages.at(-1)!.info.more_records).toBe(false);
    expect(pages.flatMap((p) => p.data.map((d) => d['id']))).toEqual(ids);
    const entry = pages[0]!.data[0]!;
    expect(entry).toMatchObject({
      id: ids[0],
      display_name: 'L0',
      type: 'recycle',
      deleted_by: { name: expect.any(String) },
    });
    expect(entry['deleted_time']).toBe('2023-11-15T03:43:20+05:30');
    expect((await call1('/crm/v7/Contacts/deleted?type=recycle')).json<Page>().data).toHaveLength(5);
    expect((await call1('/crm/v7/Contacts/deleted?type=permanent')).status).toBe(204);

    const since = await call1('/crm/v7/Contacts/deleted?type=all', {
      headers: { 'If-Modified-Since': '2023-11-14T22:13:20+00:00' },
    });
    expect(since.json<Page>().data.map((d) => d['id'])).toEqual(ids.slice(3));
    const bad = await call1('/crm/v7/Contacts/deleted?type=all', { headers: { 'If-Modified-Since': 'yesterday' } });
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'INVALID_DATA', details: { api_name: 'If-Modified-Since' } });
    const wrongType = await call1('/crm/v7/Contacts/deleted?type=some');
    expect(wrongType.status).toBe(400);
    expect(wrongType.json()).toMatchObject({ code: 'INVALID_DATA', details: { api_name: 'type' } });
  });
});

describe('zoho emulator: limits, faults and admin', () => {
  it('counts credits: a call past the daily credits answers 429 TOO_MANY_REQUESTS; X-API-CREDITS-REMAINING past half', async () => {
    zoho = await restart({ dailyCredits: 10 });
    const call1 = api(await accessToken());
    const statuses: number[] = [];
    let remaining: unknown;
    for (let i = 0; i < 11; i++) {
      const res = await call1('/crm/v7/Contacts?fields=Last_Name');
      statuses.push(res.status);
      if (i === 7) remaining = res.headers['x-api-credits-remaining'];
    }
    expect(statuses.slice(0, 10).every((s) => s === 204)).toBe(true);
    expect(statuses[10]).toBe(429);
    expect(remaining).toBe('2');
    const last = await call1('/crm/v7/Contacts?fields=Last_Name');
    expect(last.json()).toEqual({
      code: 'TOO_MANY_REQUESTS',
      details: {},
      message: 'Number of API requests for the 24 hour period is exceeded',
      status: 'error',
    });
  });

  it('limits concurrent calls', async () => {
    zoho = await restart({ concurrency: 2, jobDelayMs: 10 });
    const call1 = api(await accessToken());
    const results = await Promise.all(Array.from({ length: 12 }, () => call1('/crm/v7/Contacts?fields=Last_Name')));
    const codes = results.map((r) => r.status);
    expect(codes.filter((c) => c === 204).length).toBeGreaterThan(0);
    for (const r of results.filter((r) => r.status === 429))
      expect(r.json()).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
  });

  it('guards the admin API with the admin token: none 401, wrong 403, right 200; faults apply', async () => {
    const none = await call(`${zoho.url}/__emulator/stats`);
    expect(none.status).toBe(401);
    const wrong = await call(`${zoho.url}/__emulator/faults`, {
      method: 'PUT',
      headers: { authorization: 'Bearer wrong', 'content-type': 'application/json' },
      body: JSON.stringify({ errorRate: 1 }),
    });
    expect(wrong.status).toBe(403);
    expect(zoho.server.faults).toEqual({});
    const admin = { authorization: `Bearer ${zoho.adminToken}`, 'content-type': 'application/json' };
    const set = await call(`${zoho.url}/__emulator/faults`, {
      method: 'PUT',
      headers: admin,
      body: JSON.stringify({ errorRate: 1, errorKinds: ['429'] }),
    });
    expect(set.status).toBe(200);
    const faulted = await api(await accessToken())('/crm/v7/Contacts?fields=Last_Name');
    expect(faulted.status).toBe(429);
    const invalid = await call(`${zoho.url}/__emulator/faults`, {
      method: 'PUT',
      headers: admin,
      body: JSON.stringify({ errorRate: 7 }),
    });
    expect(invalid.status).toBe(400);
    const inserted = await call(`${zoho.url}/__emulator/modules/Contacts/records`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ Last_Name: 'Admin', ERP_Customer_No: 'A-1' }),
    });
    expect(inserted.status).toBe(201);
    const stats = await call(`${zoho.url}/__emulator/stats`, { headers: admin });
    expect(stats.json()).toMatchObject({ tokenRequests: 1 });
  });
});

async function restart(options: Parameters<typeof startZohoEmulator>[0]): Promise<RunningZohoEmulator> {
  await zoho.close();
  return startZohoEmulator(options);
}
