import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { emulatorCommand } from '../../src/cli/commands/emulator.js';
import { zohoEmulatorCommand } from '../../src/cli/commands/emulator-zoho.js';
import { silentLogger } from '../../src/util/logger.js';

describe('tandem emulator zoho', () => {
  it('is a subcommand of tandem emulator', () => {
    expect(emulatorCommand({ logger: silentLogger() }).commands.map((c) => c.name())).toContain('zoho');
  });

  it('serves on 127.0.0.1, prints what a client needs, guards the admin API, persists records in --data', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tandem-zoho-cli-'));
    try {
      const stdout = new PassThrough();
      let printed = '';
      stdout.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
      const seen: number[] = [];
      const program = new Command('emulator').exitOverride();
      program.addCommand(
        zohoEmulatorCommand({
          stdout,
          logger: silentLogger(),
          waitForStop: async (emu) => {
            expect(emu.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
            const token = await request(
              `${emu.url}/oauth/v2/token?grant_type=refresh_token&client_id=${emu.clientId}&client_secret=${emu.clientSecret}&refresh_token=${emu.refreshToken}`,
              { method: 'POST' },
            );
            seen.push(token.statusCode);
            const { access_token } = (await token.body.json()) as { access_token: string };
            const upsert = await request(`${emu.url}/crm/v7/Contacts/upsert`, {
              method: 'POST',
              headers: { authorization: `Zoho-oauthtoken ${access_token}`, 'content-type': 'application/json' },
              body: JSON.stringify({
                data: [{ Last_Name: 'Ng', ERP_Customer_No: 'C-1' }],
                duplicate_check_fields: ['ERP_Customer_No'],
              }),
            });
            seen.push(upsert.statusCode);
            await upsert.body.dump();
            for (const auth of [undefined, 'Bearer wrong', 'Bearer adm-1']) {
              const res = await request(`${emu.url}/__emulator/stats`, {
                headers: auth ? { authorization: auth } : {},
              });
              seen.push(res.statusCode);
              await res.body.dump();
            }
          },
        }),
      );
      await program.parseAsync(['zoho', '--port', '0', '--data', dir, '--admin-token', 'adm-1', '--job-delay', '5'], {
        from: 'user',
      });
      expect(seen).toEqual([200, 200, 401, 403, 200]);
      expect(printed).toMatch(/Zoho emulator listening on http:\/\/127\.0\.0\.1:\d+/);
      expect(printed).toContain('refresh token: tandem-zoho-refresh-token');
      expect(printed).toContain('Authorization: Bearer <--admin-token>');
      expect(printed).not.toContain('adm-1');
      expect(printed).toContain('Zoho emulator stopped');
      const saved = JSON.parse(await readFile(join(dir, 'zoho-emulator-state.json'), 'utf8')) as {
        modules: { Contacts: { records: unknown[] } };
      };
      expect(saved.modules.Contacts.records).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
