import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../../src/emulator/salesforce/index.js';
import { api, type Api, ingest, raw, token } from './emulator-http.js';

let sf: RunningSalesforceEmulator;
let call: Api;

beforeAll(async () => {
  sf = await startSalesforceEmulator();
  call = api(sf, await token(sf));
});
afterAll(() => sf.close());

const rows = (csv: string): Record<string, string>[] => parse(csv, { columns: true });

describe('OAuth token endpoint', () => {
  it('issues a client_credentials token shaped like Salesforce', async () => {
    const res = await raw(`${sf.url}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${sf.clientId}&client_secret=${sf.clientSecret}`,
    });
    expect(res.status).toBe(200);
    const body = res.json<Record<string, string>>();
    expect(Object.keys(body).sort()).toEqual([
      'access_token',
      'id',
      'instance_url',
      'issued_at',
      'scope',
      'signature',
      'token_type',
    ]);
    expect(body['instance_url']).toBe(sf.url);
    expect(body['token_type']).toBe('Bearer');
    expect(body['id']).toMatch(new RegExp(`^${sf.url}/id/00D[A-Za-z0-9]{15}/005[A-Za-z0-9]{15}$`));
    expect(body['access_token']).toMatch(/^00D[A-Za-z0-9]{12}!/);
    expect(Number(body['issued_at'])).toBeGreaterThan(Date.now() - 60_000);
  });

  it.each([
    ['grant_type=client_credentials&client_id=nope&client_secret=x', 'invalid_client_id'],
    ['grant_type=client_credentials&client_id=tandem-emulator&client_secret=wrong', 'invalid_client'],
    ['grant_type=password&username=a&password=b', 'unsupported_grant_type'],
    ['grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=not.a.jwt', 'invalid_grant'],
  ])('rejects %s with 400 %s', async (body, error) => {
    const res = await raw(`${sf.url}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({ error, error_description: expect.any(String) });
  });

  it('answers an unknown token with 401 INVALID_SESSION_ID as a JSON array', async () => {
    const res = await api(sf, 'bogus')('/limits');
    expect(res.status).toBe(401);
    expect(res.json()).toEqual([{ errorCode: 'INVALID_SESSION_ID', message: 'Session expired or invalid' }]);
  });
});

describe('REST resources', () => {
  it('lists versions and serves describe with field metadata', async () => {
    const versions = (await raw(`${sf.url}/services/data`)).json<{ version: string; url: string }[]>();
    expect(versions[0]).toEqual({ label: expect.any(String), url: '/services/data/v41.0', version: '41.0' });
    expect(versions.at(-1)?.version).toBe('62.0');
    const d = (await call('/sobjects/Contact/describe')).json<{ name: string; fields: Record<string, unknown>[] }>();
    expect(d.name).toBe('Contact');
    const accountId = d.fields.find((f) => f['name'] === 'AccountId');
    expect(accountId).toMatchObject({
      type: 'reference',
      referenceTo: ['Account'],
      relationshipName: 'Account',
      nillable: true,
    });
    expect(d.fields.find((f) => f['name'] === 'External_Id__c')).toMatchObject({
      type: 'string',
      length: 255,
      externalId: true,
      idLookup: true,
    });
    expect(d.fields.find((f) => f['name'] === 'LastName')).toMatchObject({ nillable: false, createable: true });
    expect((await call('/sobjects/Nope__c/describe')).status).toBe(404);
  });

  it('counts API requests in /limits and Sforce-Limit-Info', async () => {
    const first = await call('/limits');
    const usage = Number(/api-usage=(\d+)\/100000/.exec(String(first.headers['sforce-limit-info']))?.[1]);
    const limits = first.json<Record<string, { Max: number; Remaining: number }>>();
    expect(limits['DailyApiRequests']).toEqual({ Max: 100000, Remaining: 100000 - usage });
    const second = await call('/limits');
    expect(second.headers['sforce-limit-info']).toBe(`api-usage=${usage + 1}/100000`);
    expect(second.json<typeof limits>()['DailyApiRequests']?.Remaining).toBe(100000 - usage - 1);
    for (const key of ['DailyBulkApiBatches', 'DailyBulkV2QueryJobs', 'DailyBulkV2QueryFileStorageMB']) {
      expect(limits[key]).toEqual({ Max: expect.any(Number), Remaining: expect.any(Number) });
    }
  });

  it('rejects versions outside 41.0..62.0 and unknown paths with 404 NOT_FOUND', async () => {
    expect((await api(sf, await token(sf), '40.0')('/limits')).status).toBe(404);
    expect((await api(sf, await token(sf), '63.0')('/limits')).status).toBe(404);
    const res = await call('/jobs/nothing');
    expect(res.status).toBe(404);
    expect(res.json()).toEqual([{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
  });
});

describe('Bulk API 2.0 ingest', () => {
  it('follows the documented lifecycle: create 200 Open, PUT 201 (chunked), close, JobComplete, results, delete 204', async () => {
    const created = await call('/jobs/ingest', {
      method: 'POST',
      json: { object: 'Account', operation: 'insert', lineEnding: 'LF' },
    });
    expect(created.status).toBe(200);
    expect(created.text).toMatch(/"apiVersion":62\.0/);
    const job = created.json<Record<string, unknown>>();
    expect(job).toMatchObject({
      object: 'Account',
      operation: 'insert',
      state: 'Open',
      concurrencyMode: 'Parallel',
      contentType: 'CSV',
      lineEnding: 'LF',
      columnDelimiter: 'COMMA',
      contentUrl: `services/data/v62.0/jobs/ingest/${String(job['id'])}/batches`,
    });
    expect(job['id']).toMatch(/^750[A-Za-z0-9]{15}$/);
    expect(job['createdById']).toMatch(/^005/);
    expect(job['createdDate']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);
    const id = String(job['id']);
    // An async iterable body makes undici send Transfer-Encoding: chunked without Content-Length, as jsforce does.
    async function* chunks() {
      yield 'Name,Phone,NumberOfEmployees,AnnualRevenue\n"Acme, Inc.",555-0100,12,912260031\n';
      yield 'Globex,,7,\n';
    }
    const put = await call(`/jobs/ingest/${id}/batches`, { method: 'PUT', csv: chunks() });
    expect(put.status).toBe(201);
    expect(put.text).toBe('');
    const second = await call(`/jobs/ingest/${id}/batches`, { method: 'PUT', csv: 'Name\nX\n' });
    expect(second.status).toBe(400);
    expect(second.json<{ errorCode: string }[]>()[0]?.errorCode).toBe('INVALIDJOBSTATE');
    const busy = await call(`/jobs/ingest/${id}`, { method: 'DELETE' });
    expect(busy.json()).toEqual([
      { errorCode: 'API_ERROR', message: 'Error encountered when deleting the job because the job is not terminated' },
    ]);
    const closed = await call(`/jobs/ingest/${id}`, { method: 'PATCH', json: { state: 'UploadComplete' } });
    expect(closed.json()).toMatchObject({ id, state: 'UploadComplete' });
    let info: Record<string, unknown>;
    do info = (await call(`/jobs/ingest/${id}`)).json();
    while (info['state'] !== 'JobComplete');
    expect(info).toMatchObject({ jobType: 'V2Ingest', numberRecordsProcessed: 2, numberRecordsFailed: 0, retries: 0 });
    const ok = await call(`/jobs/ingest/${id}/successfulResults`);
    expect(ok.headers['content-type']).toMatch(/^text\/csv/);
    const lines = ok.text.split('\n');
    expect(lines[0]).toBe('"sf__Id","sf__Created",Name,Phone,NumberOfEmployees,AnnualRevenue');
    expect(lines[1]).toMatch(/^"001[A-Za-z0-9]{15}","true","Acme, Inc.","555-0100","12","9.12260031E8"$/);
    expect(lines[2]).toMatch(/^"001[A-Za-z0-9]{15}","true","Globex","","7",""$/);
    expect((await call(`/jobs/ingest/${id}/failedResults`)).text).toBe(
      '"sf__Id","sf__Error",Name,Phone,NumberOfEmployees,AnnualRevenue\n',
    );
    expect((await call(`/jobs/ingest/${id}/UNPROCESSEDRECORDS`)).text).toBe(
      'Name,Phone,NumberOfEmployees,AnnualRevenue\n',
    );
    const abort = await call(`/jobs/ingest/${id}`, { method: 'PATCH', json: { state: 'Aborted' } });
    expect(abort.json()).toEqual([
      { errorCode: 'INVALIDJOBSTATE', message: 'Aborting already Completed Job not allowed' },
    ]);
    expect((await call(`/jobs/ingest/${id}`, { method: 'DELETE' })).status).toBe(204);
    const gone = await call(`/jobs/ingest/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.json<{ errorCode: string }[]>()[0]?.errorCode).toBe('NOT_FOUND');
  });

  it('accepts an empty upload and completes with empty result files', async () => {
    const info = await ingest(call, { object: 'Account', operation: 'insert' }, '');
    expect(info).toMatchObject({ state: 'JobComplete', numberRecordsProcessed: 0 });
    expect((await call(`/jobs/ingest/${info.id}/successfulResults`)).text).toBe('"sf__Id","sf__Created"\n');
  });

  it('creates and uploads in one multipart request', async () => {
    const form = new FormData();
    form.set(
      'job',
      new Blob([JSON.stringify({ object: 'Account', operation: 'insert' })], { type: 'application/json' }),
    );
    form.set('content', new Blob(['Name\nMultipart One\nMultipart Two\n'], { type: 'text/csv' }), 'content');
    const request = new Request(`${sf.url}/services/data/v62.0/jobs/ingest`, { method: 'POST', body: form });
    const res = await raw(request.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token(sf)}`, 'content-type': request.headers.get('content-type')! },
      body: Buffer.from(await request.arrayBuffer()),
    });
    expect(res.status).toBe(200);
    const job = res.json<{ id: string; state: string }>();
    expect(job.state).toBe('UploadComplete');
    let info: Record<string, unknown>;
    do info = (await call(`/jobs/ingest/${job.id}`)).json();
    while (info['state'] !== 'JobComplete');
    expect(info['numberRecordsProcessed']).toBe(2);
  });

  it('rejects bad job requests with Salesforce-shaped errors', async () => {
    const cases: [unknown, number, string][] = [
      [{ object: 'Nope__c', operation: 'insert' }, 400, 'INVALIDENTITY'],
      [{ object: 'Account', operation: 'merge' }, 400, 'INVALIDJOB'],
      [{ object: 'Account', operation: 'upsert' }, 400, 'INVALIDJOB'],
      [{ object: 'Account', operation: 'upsert', externalIdFieldName: 'Phone' }, 400, 'INVALIDJOB'],
      [{ object: 'Account', operation: 'insert', columnDelimiter: 'COLON' }, 400, 'INVALIDJOB'],
    ];
    for (const [body, status, code] of cases) {
      const res = await call('/jobs/ingest', { method: 'POST', json: body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.json<{ errorCode: string }[]>()[0]?.errorCode).toBe(code);
    }
    const wrongMethod = await call('/jobs/ingest', { method: 'PUT', csv: '' });
    expect(wrongMethod.status).toBe(405);
  });

  it('[I10] rejects single records with sf__Error while the rest of the job succeeds', async () => {
    await ingest(call, { object: 'Account', operation: 'insert' }, 'Name,External_Id__c\nParent Co,P-1\n');
    const long = 'x'.repeat(256);
    const csv = [
      'LastName,Email,Birthdate,AccountId,Account.External_Id__c,External_Id__c',
      'Good,good@example.com,1990-05-01,,P-1,K-1',
      ',noname@example.com,,,,K-2',
      `${long},,,,,K-3`,
      'BadDate,,1990-13-45,,,K-4',
      'BadMail,not-an-email,,,,K-5',
      'NoParent,,,,P-404,K-6',
      'BadId,,,001xyz,,K-7',
    ].join('\n');
    const info = await ingest(call, { object: 'Contact', operation: 'insert' }, csv);
    expect(info).toMatchObject({ state: 'JobComplete', numberRecordsProcessed: 7, numberRecordsFailed: 6 });
    const ok = rows((await call(`/jobs/ingest/${info.id}/successfulResults`)).text);
    expect(ok.map((r) => r['LastName'])).toEqual(['Good']);
    const failed = rows((await call(`/jobs/ingest/${info.id}/failedResults`)).text);
    const errors = Object.fromEntries(failed.map((r) => [r['External_Id__c'], r['sf__Error']]));
    expect(failed.every((r) => r['sf__Id'] === '')).toBe(true);
    expect(errors['K-2']).toBe('REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --');
    expect(errors['K-3']).toMatch(
      /^STRING_TOO_LONG:Last Name: data value too large: x+\(truncated\) \(max length=80\):LastName --$/,
    );
    expect(errors['K-4']).toBe(
      'INVALID_TYPE_ON_FIELD_IN_RECORD:Birthdate: value not of required type: 1990-13-45:Birthdate --',
    );
    expect(errors['K-5']).toBe('INVALID_EMAIL_ADDRESS:Email: invalid email address: not-an-email:Email --');
    expect(errors['K-6']).toBe(
      'INVALID_FIELD:Foreign key external ID: P-404 not found for field External_Id__c in entity Account: --',
    );
    expect(errors['K-7']).toMatch(/^MALFORMED_ID:/);
    const good = sf.store.list('Contact').find((c) => c['LastName'] === 'Good');
    const parent = sf.store.list('Account').find((a) => a['External_Id__c'] === 'P-1');
    expect(good?.['AccountId']).toBe(parent?.['Id']);
  });

  it('fails the whole job on an unknown header column (InvalidBatch)', async () => {
    const info = await ingest(call, { object: 'Account', operation: 'insert' }, 'Name,Bogus__c\nA,b\n');
    expect(info).toMatchObject({ state: 'Failed', errorMessage: 'InvalidBatch : Field name not found : Bogus__c' });
  });

  it('fails the whole job on unparsable CSV and on a missing key column', async () => {
    const badQuote = await ingest(call, { object: 'Account', operation: 'insert' }, 'Name,Phone\n"Open quote,1\nB,2\n');
    expect(badQuote['state']).toBe('Failed');
    expect(String(badQuote['errorMessage'])).toMatch(/^InvalidBatch : /);
    const noId = await ingest(call, { object: 'Account', operation: 'update' }, 'Name\nX\n');
    expect(noId).toMatchObject({ state: 'Failed', errorMessage: 'InvalidBatch : Field name not found : Id' });
  });

  it('upserts by external id (DUPLICATE_VALUE for repeats) and by Id, honouring #N/A and empty values', async () => {
    const first = await ingest(
      call,
      { object: 'Account', operation: 'upsert', externalIdFieldName: 'External_Id__c' },
      'External_Id__c,Name,Phone\nU-1,One,111\nU-2,Two,222\nU-3,Dup,1\nu-3,Dup,2\n',
    );
    expect(first).toMatchObject({ numberRecordsProcessed: 4, numberRecordsFailed: 2 });
    const failed = rows((await call(`/jobs/ingest/${first.id}/failedResults`)).text);
    expect(failed.map((r) => r['sf__Error'])).toEqual([
      'DUPLICATE_VALUE:Duplicate external id specified: U-3:External_Id__c --',
      'DUPLICATE_VALUE:Duplicate external id specified: u-3:External_Id__c --',
    ]);
    const one = sf.store.list('Account').find((a) => a['External_Id__c'] === 'U-1')!;
    const before = one['SystemModstamp'] as string;
    await new Promise((r) => setTimeout(r, 1000)); // Salesforce datetimes have whole seconds
    const second = await ingest(
      call,
      { object: 'Account', operation: 'upsert', externalIdFieldName: 'External_Id__c' },
      'External_Id__c,Name,Phone\nU-1,,#N/A\nU-9,Nine,999\n',
    );
    const ok = rows((await call(`/jobs/ingest/${second.id}/successfulResults`)).text);
    expect(ok.map((r) => [r['External_Id__c'], r['sf__Created'], r['sf__Id'] === one['Id']])).toEqual([
      ['U-1', 'false', true],
      ['U-9', 'true', false],
    ]);
    const after = sf.store.get('Account', one['Id'] as string)!;
    expect(after).toMatchObject({ Name: 'One', Phone: null });
    expect(Date.parse(after['SystemModstamp'] as string)).toBeGreaterThan(Date.parse(before));
    const byId = await ingest(
      call,
      { object: 'Account', operation: 'upsert', externalIdFieldName: 'Id' },
      `Id,Name\n${String(one['Id'])},Renamed\n,Fresh\n`,
    );
    expect(rows((await call(`/jobs/ingest/${byId.id}/successfulResults`)).text).map((r) => r['sf__Created'])).toEqual([
      'false',
      'true',
    ]);
    expect(sf.store.get('Account', one['Id'] as string)?.['Name']).toBe('Renamed');
  });

  it('updates by Id, deletes softly (queryAll sees it) and hard-deletes', async () => {
    const a = sf.store.insert('Account', { Name: 'To update' });
    const b = sf.store.insert('Account', { Name: 'To delete' });
    const c = sf.store.insert('Account', { Name: 'To purge' });
    const id15 = String(a['Id']).slice(0, 15);
    const up = await ingest(
      call,
      { object: 'Account', operation: 'update', lineEnding: 'CRLF', columnDelimiter: 'PIPE' },
      `Id|Name|NumberOfEmployees\r\n${id15}|Updated|abc\r\n${id15}|Updated|5\r\n003000000000000|X|1\r\n`,
    );
    expect(up).toMatchObject({ numberRecordsProcessed: 3, numberRecordsFailed: 2 });
    const upFailed = (await call(`/jobs/ingest/${up.id}/failedResults`)).text;
    expect(upFailed.split('\r\n')[0]).toBe('"sf__Id"|"sf__Error"|Id|Name|NumberOfEmployees');
    expect(upFailed).toContain(
      'INVALID_TYPE_ON_FIELD_IN_RECORD:Employees: value not of required type: abc:NumberOfEmployees --',
    );
    expect(sf.store.get('Account', id15)).toMatchObject({ Name: 'Updated', NumberOfEmployees: 5 });
    const del = await ingest(
      call,
      { object: 'Account', operation: 'delete' },
      `Id\n${String(b['Id'])}\n${String(b['Id'])}\n`,
    );
    expect(del).toMatchObject({ numberRecordsProcessed: 2, numberRecordsFailed: 1 });
    expect(sf.store.get('Account', String(b['Id']))).toMatchObject({ IsDeleted: true });
    const hard = await ingest(call, { object: 'Account', operation: 'hardDelete' }, `Id\n${String(c['Id'])}\n`);
    expect(hard).toMatchObject({ numberRecordsProcessed: 1, numberRecordsFailed: 0 });
    expect(sf.store.get('Account', String(c['Id']))).toBeUndefined();
  });

  it('lists jobs with the documented envelope', async () => {
    const list = (await call('/jobs/ingest')).json<{
      done: boolean;
      records: { id: string; jobType: string }[];
      nextRecordsUrl: string | null;
    }>();
    expect(list.done).toBe(true);
    expect(list.nextRecordsUrl).toBeNull();
    expect(list.records.length).toBeGreaterThan(3);
    expect(list.records.every((r) => r.jobType === 'V2Ingest')).toBe(true);
  });
});
