import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { emulatorCommand } from '../../src/cli/commands/emulator.js';
import { silentLogger } from '../../src/util/logger.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function run(args: string[], during: (url: string, printed: () => string) => Promise<void>): Promise<string> {
  const stdout = new PassThrough();
  let printed = '';
  stdout.on('data', (d: Buffer) => (printed += d.toString()));
  await emulatorCommand({
    stdout,
    logger: silentLogger(),
    waitForHubSpotStop: async (running) => during(running.url, () => printed),
  }).parseAsync(['hubspot', ...args], { from: 'user' });
  return printed;
}

describe('tandem emulator hubspot', () => {
  it('serves with --token and --admin-token, applies fault flags, and keeps records across restarts with --data', async () => {
    const data = await mkdtemp(join(tmpdir(), 'tandem-hs-cli-'));
    dirs.push(data);
    const token = 'pat-na1-cli-test';
    const admin = { 'x-emulator-admin-token': 'adm-cli' };
    const printed = await run(
      [
        '--data',
        data,
        '--token',
        token,
        '--admin-token',
        'adm-cli',
        '--fault-rate',
        '0',
        '--seed',
        '3',
        '--index-lag',
        '5',
      ],
      async (url) => {
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        const faults = await request(`${url}/__emulator/faults`, { headers: admin });
        expect(await faults.body.json()).toEqual({ seed: 3, errorRate: 0 });
        const denied = await request(`${url}/__emulator/faults`);
        expect(denied.statusCode).toBe(401);
        await denied.body.dump();
        const created = await request(`${url}/crm/v3/objects/companies`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ properties: { name: 'Kept' } }),
        });
        expect(created.statusCode).toBe(201);
        await created.body.dump();
      },
    );
    expect(printed).toContain('HubSpot emulator listening on http://127.0.0.1:');
    expect(printed).toContain('(as given with --token)');
    expect(printed).not.toContain(token);
    expect(printed).toContain('HubSpot emulator stopped');
    await run(['--data', data, '--token', token], async (url) => {
      const listed = await request(`${url}/crm/v3/objects/companies?properties=name`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = (await listed.body.json()) as { results: { properties: { name: string } }[] };
      expect(body.results.map((r) => r.properties.name)).toEqual(['Kept']);
    });
  });

  it('refuses an unknown tier and bad fault kinds', async () => {
    await expect(run(['--tier', 'gold'], async () => undefined)).rejects.toThrow(/--tier must be one of/);
    await expect(run(['--fault-kinds', '418'], async () => undefined)).rejects.toThrow(/invalid fault config/);
  });
});
