import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubSpotEmulator, type RunningHubSpotEmulator } from '../../src/emulator/hubspot/index.js';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../../src/emulator/salesforce/index.js';
import { startZohoEmulator, type RunningZohoEmulator } from '../../src/emulator/zoho/index.js';
import { adminRequest, api, raw, token } from './emulator-http.js';

/** Sends only the headers of a request whose Content-Length says `length` bytes, and returns the early answer. */
function announce(
  url: string,
  method: string,
  length: number,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers: { ...headers, 'content-length': String(length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        req.destroy();
      });
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}

/** No default fastify body ({statusCode, error, message} or FST_ codes) may reach a client. */
function expectNoFastifyBody(text: string): void {
  expect(text).not.toContain('FST_');
  expect(text).not.toMatch(/"statusCode"\s*:/);
}

describe('Salesforce emulator routing answers in Salesforce shapes', () => {
  let sf: RunningSalesforceEmulator;
  let call: ReturnType<typeof api>;
  beforeAll(async () => {
    sf = await startSalesforceEmulator();
    call = api(sf, await token(sf));
  });
  afterAll(async () => {
    await sf.close();
  });

  it('answers unknown paths 404 NOT_FOUND, after the session check on REST paths', async () => {
    const unknown = await call('/nope/deeper');
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toEqual([{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
    expect(unknown.headers['sforce-limit-info']).toMatch(/^api-usage=\d+\/\d+$/);
    const anonymous = await raw(`${sf.url}/services/data/v62.0/nope`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.json()).toEqual([{ errorCode: 'INVALID_SESSION_ID', message: 'Session expired or invalid' }]);
    const outside = await raw(`${sf.url}/not/salesforce`);
    expect(outside.status).toBe(404);
    expect(outside.json<{ errorCode: string }[]>()[0]?.errorCode).toBe('NOT_FOUND');
    expectNoFastifyBody(outside.text);
  });

  it('answers a method the resource does not allow 405 METHOD_NOT_ALLOWED with Allow, HEAD included', async () => {
    for (const method of ['DELETE', 'POST', 'HEAD']) {
      const res = await call('/limits', { method });
      expect(res.status, method).toBe(405);
      expect(res.headers['allow']).toBe('GET');
      if (method !== 'HEAD') {
        expect(res.json()).toEqual([
          { errorCode: 'METHOD_NOT_ALLOWED', message: `HTTP Method '${method}' not allowed. Allowed are GET` },
        ]);
      }
    }
    const token405 = await raw(`${sf.url}/services/oauth2/token`);
    expect(token405.status).toBe(405);
    expect(token405.headers['allow']).toBe('POST');
  });

  it('answers bodies over the limit 413 REQUEST_ENTITY_TOO_LARGE, and an oversized upload 400 CLIENTINPUTERROR', async () => {
    const form = await announce(`${sf.url}/services/oauth2/token`, 'POST', 2 * 1024 * 1024, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(413);
    expect(JSON.parse(form.text)).toEqual([
      { errorCode: 'REQUEST_ENTITY_TOO_LARGE', message: 'request body exceeds 1048576 bytes' },
    ]);
    const bigJson = await call('/jobs/query', {
      method: 'POST',
      json: { operation: 'query', query: `SELECT Id FROM Account WHERE Name = '${'x'.repeat(11 * 1024 * 1024)}'` },
    });
    expect(bigJson.status).toBe(413);
    expect(bigJson.json()).toEqual([
      { errorCode: 'REQUEST_ENTITY_TOO_LARGE', message: 'request body exceeds 10485760 bytes' },
    ]);

    const job = await call('/jobs/ingest', { method: 'POST', json: { object: 'Account', operation: 'insert' } });
    const id = job.json<{ id: string }>().id;
    const access = await token(sf);
    const upload = await announce(
      `${sf.url}/services/data/v62.0/jobs/ingest/${id}/batches`,
      'PUT',
      150 * 1024 * 1024 + 1,
      {
        'content-type': 'text/csv',
        authorization: `Bearer ${access}`,
      },
    );
    expect(upload.status).toBe(400);
    expect(JSON.parse(upload.text)).toEqual([
      {
        errorCode: 'CLIENTINPUTERROR',
        message: `ClientInputError : Exceeded max size limit of ${150 * 1024 * 1024} bytes for job data; split the data into several jobs`,
      },
    ]);
    // The refused upload did not count: the job still takes its one upload.
    expect((await call(`/jobs/ingest/${id}/batches`, { method: 'PUT', csv: 'Name\nAcme\n' })).status).toBe(201);
    const again = await call(`/jobs/ingest/${id}/batches`, { method: 'PUT', csv: 'Name\nAcme\n' });
    expect(again.status).toBe(400);
    expect(again.json<{ errorCode: string }[]>()[0]?.errorCode).toBe('INVALIDJOBSTATE');
  });

  it('answers a malformed URL 400 in the Salesforce shape', async () => {
    const res = await raw(`${sf.url}/services/data/v62.0/sobjects/%E0%A4%A`);
    expect(res.status).toBe(400);
    expect(res.json<{ errorCode: string }[]>()[0]?.errorCode).toBe('INVALID_INPUT');
    expectNoFastifyBody(res.text);
  });

  it('asks for the admin token before saying whether an admin path exists', async () => {
    const anonymous = await raw(`${sf.url}/__emulator/nope`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.text).toContain('INVALID_AUTH_HEADER');
    const known = await adminRequest(sf, '/__emulator/nope');
    expect(known.status).toBe(404);
    expect(known.json<{ errorCode: string }[]>()[0]?.errorCode).toBe('NOT_FOUND');
    const wrongMethod = await adminRequest(sf, '/__emulator/stats', { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers['allow']).toBe('GET');
  });
});

describe('HubSpot emulator routing answers in HubSpot shapes', () => {
  let hs: RunningHubSpotEmulator;
  beforeAll(async () => {
    hs = await startHubSpotEmulator();
  });
  afterAll(async () => {
    await hs.close();
  });

  it('answers unknown routes 404, oversized bodies 413 and malformed URLs 400, each with HubSpot error bodies', async () => {
    const auth = { authorization: `Bearer ${hs.privateAppToken}` };
    const unknown = await raw(`${hs.url}/crm/v3/nope`, { headers: auth });
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toMatchObject({ status: 'error', category: 'OBJECT_NOT_FOUND' });
    const big = await announce(`${hs.url}/crm/v3/objects/contacts`, 'POST', 40 * 1024 * 1024, {
      ...auth,
      'content-type': 'application/json',
    });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.text)).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
    const badUrl = await raw(`${hs.url}/crm/v3/objects/%E0%A4%A`, { headers: auth });
    expect(badUrl.status).toBe(400);
    expect(badUrl.json()).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
    for (const text of [unknown.text, big.text, badUrl.text]) expectNoFastifyBody(text);
  });
});

describe('Zoho emulator routing answers in Zoho shapes', () => {
  let zoho: RunningZohoEmulator;
  beforeAll(async () => {
    zoho = await startZohoEmulator();
  });
  afterAll(async () => {
    await zoho.close();
  });

  it('answers unknown routes 404, oversized bodies 413 and malformed URLs 400, each with Zoho error bodies', async () => {
    const unknown = await raw(`${zoho.url}/crm/v8/Contacts/nope/deeper/still`);
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'INVALID_URL_PATTERN', status: 'error' });
    const big = await announce(`${zoho.url}/crm/v8/upload`, 'POST', 40 * 1024 * 1024, {
      'content-type': 'application/zip',
    });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.text)).toMatchObject({ code: 'FILE_TOO_LARGE', status: 'error' });
    const badUrl = await raw(`${zoho.url}/crm/v8/%E0%A4%A`);
    expect(badUrl.status).toBe(400);
    expect(badUrl.json()).toMatchObject({ code: 'INVALID_REQUEST', status: 'error' });
    for (const text of [unknown.text, big.text, badUrl.text]) expectNoFastifyBody(text);
  });
});
