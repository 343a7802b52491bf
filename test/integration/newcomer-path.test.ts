import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../../src/emulator/salesforce/index.js';
import { createExampleErp } from '../support/example-erp.js';
import { runTandem } from '../support/run-tandem-cli.js';
import { scaled } from '../support/timeouts.js';

const serverUrl = process.env['TANDEM_TEST_DATABASE_URL'];

/**
 * The newcomer's path (issue 15), every step a CLI process in a fresh folder: a database made from
 * examples/erp-schema.sql (embedded, or a scratch database on the real server when TANDEM_TEST_DATABASE_URL is set),
 * the Salesforce emulator, `tandem init` against both, `sync --dry-run` passing on the first try, `sync`, `status`.
 */
describe('a newcomer: init against the systems, then dry run, sync and status', () => {
  let dir: string;
  let emulator: RunningSalesforceEmulator;
  let erpUrl: string;
  let dropDatabase: (() => Promise<void>) | undefined;
  const env = (): Record<string, string> => ({
    SF_CLIENT_ID: emulator.clientId,
    SF_CLIENT_SECRET: emulator.clientSecret,
    ERP_DATABASE_URL: '',
    SF_LOGIN_URL: '',
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-newcomer-'));
    const erp = await createExampleErp(dir, serverUrl, 'newcomer');
    erpUrl = erp.url;
    dropDatabase = () => erp.drop();
    emulator = await startSalesforceEmulator({ port: 0 });
  }, scaled(120_000));

  afterAll(async () => {
    await emulator?.close();
    await dropDatabase?.();
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'init proposes the mappings, and the first dry run, the sync and status pass',
    async () => {
      const init = await runTandem(['init', '--erp-url', erpUrl, '--crm-url', emulator.url, '--json'], env(), dir);
      expect(init.stderr).toBe('');
      expect(init.code).toBe(0);
      const written = JSON.parse(init.stdout) as { proposed: boolean; objects: { table: string; object: string }[] };
      expect(written.proposed).toBe(true);
      expect(written.objects.map((o) => `${o.table}->${o.object}`).sort()).toEqual([
        'public.contacts->Contact',
        'public.customers->Account',
      ]);
      const text = await readFile(join(dir, 'tandem.yaml'), 'utf8');
      expect(text).not.toContain(emulator.clientSecret);
      expect(text).toContain('city:');

      const dryRun = await runTandem(['sync', '--dry-run', '--json'], env(), dir);
      expect(dryRun.stderr).toBe('');
      expect(dryRun.code).toBe(0);
      expect(dryRun.stdout).toContain('C0001');

      const sync = await runTandem(['sync', '--json'], env(), dir);
      expect(sync.code).toBe(0);
      const accounts = emulator.store.list('Account');
      expect(accounts.find((a) => a['External_Id__c'] === 'C0001')).toMatchObject({
        Name: 'Acme Tools',
        BillingCity: 'Paris',
        NumberOfEmployees: 40,
      });
      expect(emulator.store.list('Contact').map((c) => c['External_Id__c'])).toEqual(['P0001']);

      const status = await runTandem(['status', '--json'], env(), dir);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain('"status"');
    },
    scaled(600_000),
  );

  it(
    'a mapping with several mistakes reports them all in one run, each at its tandem.yaml line with the closest names',
    async () => {
      const good = await readFile(join(dir, 'tandem.yaml'), 'utf8');
      // Three mistakes in two mappings: a misspelt ERP column, a misspelt CRM field, another misspelt ERP column.
      const broken = good
        .replace(/erp: city\b/, 'erp: cty')
        .replace(/crm: Phone\b/, 'crm: Phnoe')
        .replace(/erp: email\b/, 'erp: emial');
      for (const typo of ['erp: cty', 'crm: Phnoe', 'erp: emial']) expect(broken).toContain(typo);
      await writeFile(join(dir, 'broken.yaml'), broken, 'utf8');
      const lineOf = (needle: string): number => broken.split('\n').findIndex((l) => l.includes(needle)) + 1;

      const dryRun = await runTandem(['sync', '--dry-run', '--config', 'broken.yaml', '--json'], env(), dir);
      expect(dryRun.code).toBe(2);
      const error = (JSON.parse(dryRun.stdout || dryRun.stderr) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('MAPPING_SHAPE_MISMATCH');
      expect(error.message).toMatch(/^3 problems/);
      const reported = error.message.split('\n');
      for (const [needle, closest] of [
        ['erp: cty', 'city'],
        ['crm: Phnoe', 'Phone'],
        ['erp: emial', 'email'],
      ] as const) {
        const at = `broken.yaml:${lineOf(needle)}:`;
        expect(
          reported.some((l) => l.includes(at) && l.includes(closest)),
          `a problem at ${at} naming ${closest}:\n${error.message}`,
        ).toBe(true);
      }
    },
    scaled(300_000),
  );
});
