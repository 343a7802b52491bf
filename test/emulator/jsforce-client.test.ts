import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jsforce from 'jsforce';
import { importPKCS8, SignJWT } from 'jose';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../../src/emulator/salesforce/index.js';
import { raw } from './emulator-http.js';

// jsforce 3.10.16 used as its users use it, against the emulator over real sockets.
let sf: RunningSalesforceEmulator;

function connection(): jsforce.Connection {
  const conn = new jsforce.Connection({
    oauth2: { loginUrl: sf.url, clientId: sf.clientId, clientSecret: sf.clientSecret },
    version: '62.0',
  });
  conn.bulk2.pollInterval = 50; // the default 1 s would only slow the tests down
  return conn;
}

beforeAll(async () => {
  sf = await startSalesforceEmulator();
});
afterAll(() => sf.close());

describe('jsforce 3.10.16', () => {
  it('authorizes with client_credentials and loads insert, update, upsert and delete with all three result files', async () => {
    const conn = connection();
    const auth = await conn.authorize({ grant_type: 'client_credentials' });
    expect(conn.instanceUrl).toBe(sf.url);
    expect(auth.organizationId).toMatch(/^00D/);
    expect(auth.id).toMatch(/^005/);

    const inserted = await conn.bulk2.loadAndWaitForResults({
      object: 'Account',
      operation: 'insert',
      input: [
        { Name: 'Acme', External_Id__c: 'J-1', NumberOfEmployees: 10 },
        { Name: '', External_Id__c: 'J-2' },
      ],
    });
    expect(inserted.successfulResults).toHaveLength(1);
    expect(inserted.successfulResults[0]).toMatchObject({ sf__Created: 'true', Name: 'Acme' });
    expect(inserted.failedResults).toEqual([
      expect.objectContaining({
        sf__Id: '',
        sf__Error: 'REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --',
      }),
    ]);
    expect(inserted.unprocessedRecords).toEqual([]);
    const id = inserted.successfulResults[0]!.sf__Id;

    const updated = await conn.bulk2.loadAndWaitForResults({
      object: 'Account',
      operation: 'update',
      input: [{ Id: id, Phone: '555-0101', NumberOfEmployees: null }],
    });
    expect(updated.successfulResults).toEqual([expect.objectContaining({ sf__Id: id, sf__Created: 'false' })]);
    // jsforce writes null as #N/A, which clears the field.
    expect(sf.store.get('Account', id)).toMatchObject({ Phone: '555-0101', NumberOfEmployees: null });

    const upserted = await conn.bulk2.loadAndWaitForResults({
      object: 'Account',
      operation: 'upsert',
      externalIdFieldName: 'External_Id__c',
      input: [
        { External_Id__c: 'J-1', Name: 'Acme Renamed' },
        { External_Id__c: 'J-3', Name: 'Initech' },
      ],
    });
    expect(
      upserted.successfulResults.map((r) => [(r as Record<string, unknown>)['External_Id__c'], r.sf__Created]),
    ).toEqual([
      ['J-1', 'false'],
      ['J-3', 'true'],
    ]);
    expect(sf.store.get('Account', id)?.['Name']).toBe('Acme Renamed');

    const deleted = await conn.bulk2.loadAndWaitForResults({
      object: 'Account',
      operation: 'delete',
      input: [{ Id: id }],
    });
    expect(deleted.successfulResults).toEqual([expect.objectContaining({ sf__Id: id, sf__Created: 'false' })]);
    expect(sf.store.get('Account', id)?.['IsDeleted']).toBe(true);

    const empty = await conn.bulk2.loadAndWaitForResults({ object: 'Account', operation: 'insert', input: [] });
    expect(empty).toEqual({ successfulResults: [], failedResults: [], unprocessedRecords: [] });
  });

  it('queries with bulk2.query, columns in SELECT order, parent fields included', async () => {
    const conn = connection();
    await conn.authorize({ grant_type: 'client_credentials' });
    const parent = sf.store.insert('Account', { Name: 'Query Parent' });
    sf.store.insert('Contact', { LastName: 'Zed', AccountId: parent['Id'] });
    sf.store.insert('Contact', { LastName: 'Amy', AccountId: parent['Id'] });
    const records = await (
      await conn.bulk2.query(
        `SELECT LastName, Account.Name, Id FROM Contact WHERE AccountId = '${String(parent['Id'])}' ORDER BY LastName`,
      )
    ).toArray();
    expect(records).toEqual([
      { LastName: 'Amy', 'Account.Name': 'Query Parent', Id: expect.stringMatching(/^003/) },
      { LastName: 'Zed', 'Account.Name': 'Query Parent', Id: expect.stringMatching(/^003/) },
    ]);
    const deleted = await (
      await conn.bulk2.query("SELECT Name, IsDeleted FROM Account WHERE External_Id__c = 'J-1'", { scanAll: true })
    ).toArray();
    expect(deleted).toEqual([{ Name: 'Acme Renamed', IsDeleted: 'true' }]);
  });

  it('surfaces API errors with errorCode as the error name', async () => {
    const conn = connection();
    await conn.authorize({ grant_type: 'client_credentials' });
    await expect(conn.bulk2.query('SELECT Nope FROM Account')).rejects.toMatchObject({ name: 'INVALID_FIELD' });
    await expect(
      conn.bulk2.loadAndWaitForResults({ object: 'Nope__c', operation: 'insert', input: [{ A: 1 }] }),
    ).rejects.toMatchObject({ name: 'INVALIDENTITY' });
  });

  it('throws INVALID_SESSION_ID without a refresh function, and refreshes and retries with one', async () => {
    const stale = new jsforce.Connection({ instanceUrl: sf.url, accessToken: 'expired-token', version: '62.0' });
    await expect(stale.bulk2.query('SELECT Id FROM Account')).rejects.toMatchObject({ name: 'INVALID_SESSION_ID' });

    let refreshed = 0;
    const conn = new jsforce.Connection({
      oauth2: { loginUrl: sf.url, clientId: sf.clientId, clientSecret: sf.clientSecret },
      instanceUrl: sf.url,
      accessToken: 'expired-token',
      version: '62.0',
      refreshFn: (c, callback) => {
        refreshed++;
        c.authorize({ grant_type: 'client_credentials' }).then(
          () => callback(null, c.accessToken ?? undefined),
          (e: Error) => callback(e),
        );
      },
    });
    conn.bulk2.pollInterval = 50;
    const records = await (await conn.bulk2.query("SELECT Name FROM Account WHERE Name = 'Initech'")).toArray();
    expect(records).toEqual([{ Name: 'Initech' }]);
    expect(refreshed).toBe(1);
  });

  it('accepts a jose-signed JWT bearer assertion, and checks the signature when given the public key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const strict = await startSalesforceEmulator({ jwtPublicKeyPem: publicPem, clientId: 'consumer-key' });
    try {
      const sign = async (key: string, exp = Math.floor(Date.now() / 1000) + 180) =>
        new SignJWT({})
          .setProtectedHeader({ alg: 'RS256' })
          .setIssuer('consumer-key')
          .setSubject('user@example.com')
          .setAudience('https://login.salesforce.com')
          .setExpirationTime(exp)
          .sign(await importPKCS8(key, 'RS256'));
      const post = (assertion: string) =>
        raw(`${strict.url}/services/oauth2/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
            assertion,
          }).toString(),
        });
      const ok = await post(await sign(pem));
      expect(ok.status).toBe(200);
      const body = ok.json<{ access_token: string; instance_url: string }>();
      expect(body.instance_url).toBe(strict.url);
      const conn = new jsforce.Connection({
        instanceUrl: body.instance_url,
        accessToken: body.access_token,
        version: '62.0',
      });
      const limits = await conn.request<{ DailyApiRequests: { Max: number } }>('/services/data/v62.0/limits');
      expect(limits.DailyApiRequests.Max).toBe(100000);

      const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString();
      expect((await post(await sign(otherKey))).json()).toEqual({
        error: 'invalid_grant',
        error_description: 'invalid assertion',
      });
      const expired = await post(await sign(pem, Math.floor(Date.now() / 1000) - 10));
      expect(expired.json()).toEqual({ error: 'invalid_grant', error_description: 'expired authorization code' });
    } finally {
      await strict.close();
    }
  });
});
