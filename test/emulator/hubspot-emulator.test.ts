import { gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startHubSpotEmulator, type RunningHubSpotEmulator } from '../../src/emulator/hubspot/index.js';

/** The emulator's protocol over real sockets, with plain undici (no client library smoothing anything over). */
let hs: RunningHubSpotEmulator | undefined;
afterEach(async () => {
  await hs?.close();
  hs = undefined;
});

async function call(
  emu: RunningHubSpotEmulator,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${emu.privateAppToken}` },
): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, unknown> }> {
  const res = await request(`${emu.url}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    headers: res.headers,
  };
}

async function withKey(emu: RunningHubSpotEmulator): Promise<void> {
  const r = await call(emu, 'POST', '/crm/v3/properties/companies', {
    name: 'erp_id',
    type: 'string',
    fieldType: 'text',
    groupName: 'x',
    hasUniqueValue: true,
    label: 'ERP id',
  });
  expect(r.status).toBe(201);
}

describe('HubSpot emulator protocol', () => {
  it('admin API: 401 without the admin token, 403 with a wrong one, 200 with it; binds 127.0.0.1', async () => {
    hs = await startHubSpotEmulator();
    expect(hs.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await call(hs, 'GET', '/__emulator/stats', undefined, {})).status).toBe(401);
    expect((await call(hs, 'GET', '/__emulator/stats', undefined, { 'x-emulator-admin-token': 'wrong' })).status).toBe(
      403,
    );
    const put = await call(
      hs,
      'PUT',
      '/__emulator/faults',
      { dailyLimitExhausted: true },
      { 'x-emulator-admin-token': 'wrong' },
    );
    expect(put.status).toBe(403);
    // The CRM API's own token is not the admin token; the admin token as a bearer token is (as on the other emulators).
    expect((await call(hs, 'GET', '/__emulator/stats')).status).toBe(403);
    expect(
      (await call(hs, 'GET', '/__emulator/stats', undefined, { authorization: `Bearer ${hs.adminToken}` })).status,
    ).toBe(200);
    expect((await call(hs, 'GET', '/crm/v3/objects/contacts')).status).toBe(200);
    const ok = await call(
      hs,
      'PUT',
      '/__emulator/faults',
      { dailyLimitExhausted: true },
      { 'x-emulator-admin-token': hs.adminToken },
    );
    expect(ok.status).toBe(200);
    const refused = await call(hs, 'GET', '/crm/v3/objects/contacts');
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ status: 'error', policyName: 'DAILY', errorType: 'RATE_LIMIT' });
  });

  it('auth: 401 INVALID_AUTHENTICATION without a token; OAuth refresh issues tokens that expire (EXPIRED_AUTHENTICATION)', async () => {
    hs = await startHubSpotEmulator({ tokenTtlSeconds: 1 });
    const none = await call(hs, 'GET', '/crm/v3/objects/contacts', undefined, {});
    expect(none.status).toBe(401);
    expect(none.body['category']).toBe('INVALID_AUTHENTICATION');
    const form = (refresh: string): string =>
      new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: hs!.clientId,
        client_secret: hs!.clientSecret,
        refresh_token: refresh,
      }).toString();
    const bad = await request(`${hs.url}/oauth/v1/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form('nope'),
    });
    expect(bad.statusCode).toBe(400);
    expect(await bad.body.json()).toMatchObject({ error: 'invalid_grant', status: 'BAD_REFRESH_TOKEN' });
    const good = await request(`${hs.url}/oauth/v3/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form(hs.refreshToken),
    });
    const token = (await good.body.json()) as { access_token: string; expires_in: number; token_type: string };
    expect(token.expires_in).toBe(1);
    expect(
      (await call(hs, 'GET', '/crm/v3/objects/contacts', undefined, { authorization: `Bearer ${token.access_token}` }))
        .status,
    ).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    const expired = await call(hs, 'GET', '/crm/v3/objects/contacts', undefined, {
      authorization: `Bearer ${token.access_token}`,
    });
    expect(expired.status).toBe(401);
    expect(expired.body['category']).toBe('EXPIRED_AUTHENTICATION');
  });

  it('batch upsert: whole-batch 400 without trace ids, 207 with them, duplicate ids refused, non-unique idProperty refused', async () => {
    hs = await startHubSpotEmulator();
    await withKey(hs);
    const input = (id: string, properties: Record<string, string>, trace = true) => ({
      id,
      idProperty: 'erp_id',
      properties,
      ...(trace ? { objectWriteTraceId: id } : {}),
    });
    const whole = await call(hs, 'POST', '/crm/v3/objects/companies/batch/upsert', {
      inputs: [input('A', { name: 'A' }, false), input('B', { numberofemployees: 'many' }, false)],
    });
    expect(whole.status).toBe(400);
    expect(whole.body['message']).toContain('INVALID_DECIMAL');
    expect(hs.store.list('companies')).toHaveLength(0);
    const partial = await call(hs, 'POST', '/crm/v3/objects/companies/batch/upsert', {
      inputs: [input('A', { name: 'A' }), input('B', { numberofemployees: 'many' }), input('C', { name: 'C' })],
    });
    expect(partial.status).toBe(207);
    expect(partial.body['numErrors']).toBe(1);
    expect(
      (partial.body['errors'] as { context: { objectWriteTraceId: string[] } }[])[0]?.context.objectWriteTraceId,
    ).toEqual(['B']);
    expect(
      hs.store
        .list('companies')
        .map((r) => r.properties['erp_id'])
        .sort(),
    ).toEqual(['A', 'C']);
    const dup = await call(hs, 'POST', '/crm/v3/objects/companies/batch/upsert', {
      inputs: [input('A', {}), input('A', {})],
    });
    expect(dup.status).toBe(400);
    expect(dup.body['message']).toBe('Duplicate IDs found in batch input: [A]. IDs must be unique');
    const nonUnique = await call(hs, 'POST', '/crm/v3/objects/companies/batch/upsert', {
      inputs: [{ id: 'x', idProperty: 'name', properties: {} }],
    });
    expect(nonUnique.status).toBe(400);
    expect(nonUnique.body['message']).toBe('Unable to perform update/upsert by non-unique 0-2 property name');
    const tooMany = await call(hs, 'POST', '/crm/v3/objects/companies/batch/upsert', {
      inputs: Array.from({ length: 101 }, (_, i) => input(`K${i}`, {})),
    });
    expect(tooMany.status).toBe(400);
    const created = await call(hs, 'POST', '/crm/v3/objects/companies/batch/create', {
      inputs: [{ properties: { name: 'N' } }],
    });
    expect(created.status).toBe(201);
    const archived = await call(hs, 'POST', '/crm/v3/objects/companies/batch/archive', {
      inputs: [{ id: (created.body['results'] as { id: string }[])[0]!.id }],
    });
    expect(archived.status).toBe(204);
    const readMissing = await call(hs, 'POST', '/crm/v3/objects/companies/batch/read', {
      idProperty: 'erp_id',
      inputs: [{ id: 'A' }, { id: 'Z' }],
      properties: ['name'],
    });
    expect(readMissing.status).toBe(207);
    expect((readMissing.body['errors'] as { context: { ids: string[] } }[])[0]?.context.ids).toEqual(['Z']);
  });

  it('rolling 10-second limit really counts: 429 TEN_SECONDLY_ROLLING with rate-limit headers; search has its own 5/s and no headers', async () => {
    hs = await startHubSpotEmulator({ tenSecondLimit: 3, dailyLimit: 1000 });
    for (let i = 0; i < 3; i++) {
      const ok = await call(hs, 'GET', '/crm/v3/objects/contacts');
      expect(ok.status).toBe(200);
      expect(ok.headers['x-hubspot-ratelimit-remaining']).toBe(String(2 - i));
      expect(ok.headers['x-hubspot-ratelimit-daily']).toBe('1000');
    }
    const refused = await call(hs, 'GET', '/crm/v3/objects/contacts');
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({
      policyName: 'TEN_SECONDLY_ROLLING',
      message: 'You have reached your ten_secondly_rolling limit.',
    });
    expect(refused.headers['x-hubspot-ratelimit-remaining']).toBe('0');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const s = await call(hs, 'POST', '/crm/v3/objects/contacts/search', { limit: 1 });
      statuses.push(s.status);
      if (s.status === 200) expect(s.headers['x-hubspot-ratelimit-remaining']).toBeUndefined();
      else expect(s.body['message']).toBe('You have reached your secondly limit.');
    }
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(5);
    expect(statuses).toContain(429);
  });

  it('search: 400 past 10,000 results, filters and sorts, and the index lag hides fresh writes', async () => {
    hs = await startHubSpotEmulator({ indexLagMs: 300, searchPerSecond: 1000 });
    const past = await call(hs, 'POST', '/crm/v3/objects/contacts/search', { limit: 200, after: '9900' });
    expect(past.status).toBe(400);
    expect(past.body['category']).toBe('VALIDATION_ERROR');
    hs.store.insert('contacts', { email: 'a@x.io', firstname: 'A' });
    const fresh = await call(hs, 'POST', '/crm/v3/objects/contacts/search', { limit: 10 });
    expect(fresh.body['total']).toBe(0);
    await new Promise((r) => setTimeout(r, 350));
    const later = await call(hs, 'POST', '/crm/v3/objects/contacts/search', {
      filterGroups: [{ filters: [{ propertyName: 'lastmodifieddate', operator: 'GTE', value: '0' }] }],
      sorts: [{ propertyName: 'lastmodifieddate', direction: 'ASCENDING' }],
      properties: ['email'],
      limit: 10,
    });
    expect(later.body['total']).toBe(1);
    const tooMany = await call(hs, 'POST', '/crm/v3/objects/contacts/search', {
      filterGroups: [
        { filters: Array.from({ length: 7 }, () => ({ propertyName: 'email', operator: 'HAS_PROPERTY' })) },
      ],
    });
    expect(tooMany.status).toBe(400);
  });

  it('gzips answers, error bodies included, when the client accepts gzip', async () => {
    hs = await startHubSpotEmulator();
    const res = await request(`${hs.url}/crm/v3/objects/contacts/batch/read`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${hs.privateAppToken}`,
        'content-type': 'application/json',
        'accept-encoding': 'gzip',
      },
      body: JSON.stringify({ inputs: [{ id: 'a' }, { id: 'a' }] }),
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-encoding']).toBe('gzip');
    const body = JSON.parse(gunzipSync(Buffer.from(await res.body.arrayBuffer())).toString('utf8')) as {
      message: string;
    };
    expect(body.message).toContain('Duplicate IDs');
  });
});
