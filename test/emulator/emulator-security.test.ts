import { generateKeyPairSync } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { importPKCS8, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorCommand } from '../../src/cli/commands/emulator.js';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../../src/emulator/salesforce/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { adminRequest, raw } from './emulator-http.js';

let sf: RunningSalesforceEmulator;
beforeAll(async () => {
  sf = await startSalesforceEmulator({ port: 0 });
});
afterAll(async () => {
  await sf.close();
});

const ADMIN_CALLS: readonly { method: string; path: string; body?: string }[] = [
  { method: 'GET', path: '/__emulator/stats' },
  { method: 'GET', path: '/__emulator/faults' },
  { method: 'PUT', path: '/__emulator/faults', body: '{"quotaExhausted":true}' },
  { method: 'GET', path: '/__emulator/objects/Account/records' },
  { method: 'POST', path: '/__emulator/objects/Account/records', body: '{"records":[{"Name":"Intruder"}]}' },
];

describe('the emulator admin API requires its token', () => {
  it('refuses every admin call without a token and with a wrong one (401), and changes nothing', async () => {
    const existing = sf.store.insert('Account', { Name: 'Keep me' });
    for (const headers of [{}, { authorization: 'Bearer wrong-token-wrong-token' }, { authorization: sf.adminToken }]) {
      for (const call of ADMIN_CALLS) {
        const res = await raw(`${sf.url}${call.path}`, {
          method: call.method,
          headers: { 'content-type': 'application/json', ...headers },
          ...(call.body ? { body: call.body } : {}),
        });
        expect(res.status, `${call.method} ${call.path} with ${JSON.stringify(headers)}`).toBe(401);
        expect(res.text).toContain('INVALID_AUTH_HEADER');
        expect(res.text).not.toContain(sf.adminToken);
      }
      const del = await raw(`${sf.url}/__emulator/objects/Account/records/${String(existing['Id'])}`, {
        method: 'DELETE',
        headers,
      });
      expect(del.status).toBe(401);
    }
    expect(sf.store.list('Account').map((r) => r['Name'])).toEqual(['Keep me']);
    expect((await raw(`${sf.url}/services/data/v62.0/limits`)).status).toBe(401); // the API itself needs OAuth
    sf.setFaults({});
  });

  it('answers the same calls with the token', async () => {
    for (const call of ADMIN_CALLS) {
      const res = await adminRequest(sf, call.path, {
        method: call.method,
        headers: { 'content-type': 'application/json' },
        ...(call.body ? { body: call.body } : {}),
      });
      expect(res.status, `${call.method} ${call.path}`).toBe(200);
    }
    await adminRequest(sf, '/__emulator/faults', { method: 'PUT', body: '{}' });
    expect(sf.store.list('Account').some((r) => r['Name'] === 'Intruder')).toBe(true);
  });

  it('generates a random token per emulator and refuses a short one', async () => {
    const other = await startSalesforceEmulator({ port: 0, adminToken: 'a-given-token-of-length' });
    try {
      expect(other.adminToken).toBe('a-given-token-of-length');
      expect(sf.adminToken.length).toBeGreaterThanOrEqual(32);
      expect(sf.adminToken).not.toBe(other.adminToken);
      expect((await adminRequest({ url: other.url, adminToken: sf.adminToken }, '/__emulator/stats')).status).toBe(401);
    } finally {
      await other.close();
    }
    await expect(startSalesforceEmulator({ adminToken: 'short' })).rejects.toThrow(/at least 16 characters/);
  });

  it('the CLI prints a generated token, never a given one, and says whether the JWT flow is on', async () => {
    const run = async (args: string[], env: string | undefined): Promise<{ printed: string; token: string }> => {
      const stdout = new PassThrough();
      let printed = '';
      stdout.on('data', (d: Buffer) => (printed += d.toString()));
      let token = '';
      const before = process.env['TANDEM_EMULATOR_ADMIN_TOKEN'];
      if (env === undefined) delete process.env['TANDEM_EMULATOR_ADMIN_TOKEN'];
      else process.env['TANDEM_EMULATOR_ADMIN_TOKEN'] = env;
      try {
        await emulatorCommand({
          stdout,
          logger: silentLogger(),
          waitForStop: async (running) => {
            token = running.adminToken;
            expect((await adminRequest(running, '/__emulator/stats')).status).toBe(200);
          },
        }).parseAsync(['salesforce', '--port', '0', ...args], { from: 'user' });
      } finally {
        if (before === undefined) delete process.env['TANDEM_EMULATOR_ADMIN_TOKEN'];
        else process.env['TANDEM_EMULATOR_ADMIN_TOKEN'] = before;
      }
      return { printed, token };
    };
    const generated = await run([], undefined);
    expect(generated.printed).toContain(`admin token: ${generated.token}`);
    expect(generated.printed).toContain('JWT bearer flow: off');
    const given = await run(['--admin-token', 'cli-given-admin-token'], undefined);
    expect(given.token).toBe('cli-given-admin-token');
    expect(given.printed).not.toContain('cli-given-admin-token');
    const fromEnv = await run([], 'env-given-admin-token');
    expect(fromEnv.token).toBe('env-given-admin-token');
    expect(fromEnv.printed).not.toContain('env-given-admin-token');
  });
});

describe('the JWT bearer flow checks signatures', () => {
  it('is off without a public key: a JWT with any signature is refused', async () => {
    const forger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(sf.clientId)
      .setSubject('anyone@example.com')
      .setAudience('https://login.salesforce.com')
      .setExpirationTime(Math.floor(Date.now() / 1000) + 180)
      .sign(await importPKCS8(forger.toString(), 'RS256'));
    const res = await raw(`${sf.url}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
    });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_grant' });
    expect(res.text).toContain('--jwt-public-key');
    expect(sf.jwtEnabled).toBe(false);
  });
});
