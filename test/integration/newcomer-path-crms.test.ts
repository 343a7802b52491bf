import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addHubSpotProperties,
  readHubSpotPropertyFile,
  startHubSpotEmulator,
} from '../../src/emulator/hubspot/index.js';
import { startZohoEmulator, type ZohoModuleDefinitionInput } from '../../src/emulator/zoho/index.js';
import { createExampleErp, type ExampleErp } from '../support/example-erp.js';
import { repoRoot, runTandem } from '../support/run-tandem-cli.js';
import { scaled } from '../support/timeouts.js';

const serverUrl = process.env['TANDEM_TEST_DATABASE_URL'];

/** One CRM as a newcomer meets it: its emulator (with the example's key fields), the variables init needs. */
interface CrmUnderTest {
  readonly type: 'hubspot' | 'zoho';
  start(): Promise<{ url: string; env: Record<string, string>; secrets: string[]; close(): Promise<void> }>;
  /** The pairs `tandem init` must propose (table -> object). */
  readonly pairs: readonly string[];
  /** Mistakes to make in the written file: [text to replace, replacement, a name the report must offer as closest]. */
  readonly mistakes: readonly (readonly [RegExp, string, string])[];
}

const CRMS: readonly CrmUnderTest[] = [
  {
    type: 'hubspot',
    async start() {
      const hs = await startHubSpotEmulator({ port: 0 });
      addHubSpotProperties(
        hs.store,
        await readHubSpotPropertyFile(join(repoRoot, 'examples', 'hubspot-properties.json')),
      );
      return {
        url: hs.url,
        env: { HUBSPOT_TOKEN: hs.privateAppToken, HUBSPOT_BASE_URL: '' },
        secrets: [hs.privateAppToken],
        close: () => hs.close(),
      };
    },
    pairs: ['public.contacts->contacts', 'public.customers->companies'],
    mistakes: [
      [/crm: city\b/, 'crm: cty', 'city'],
      [/crm: jobtitle\b/, 'crm: jobtitel', 'jobtitle'],
      [/erp: email\b/, 'erp: emial', 'email'],
    ],
  },
  {
    type: 'zoho',
    async start() {
      const { modules } = JSON.parse(await readFile(join(repoRoot, 'examples', 'zoho-modules.json'), 'utf8')) as {
        modules: ZohoModuleDefinitionInput[];
      };
      const zoho = await startZohoEmulator({ port: 0, modules, clientSecret: `secret-${process.pid}-${Date.now()}` });
      return {
        url: zoho.url,
        env: {
          ZOHO_CLIENT_ID: zoho.clientId,
          ZOHO_CLIENT_SECRET: zoho.clientSecret,
          ZOHO_REFRESH_TOKEN: zoho.refreshToken,
          ZOHO_API_DOMAIN: '',
        },
        secrets: [zoho.clientSecret, zoho.refreshToken],
        close: () => zoho.close(),
      };
    },
    pairs: ['public.contacts->Contacts', 'public.customers->Accounts'],
    mistakes: [
      [/crm: Billing_City\b/, 'crm: Biling_City', 'Billing_City'],
      [/crm: Title\b/, 'crm: Titel', 'Title'],
      [/erp: email\b/, 'erp: emial', 'email'],
    ],
  },
];

/**
 * The newcomer's path on HubSpot and Zoho (issue 15), every step a CLI process in a fresh folder: a database made
 * from examples/erp-schema.sql, the CRM's emulator with the example's key fields, `tandem init --crm <type>` against
 * both, `sync --dry-run` passing on the first try; then the written file with mistakes in both mappings, all
 * reported by one dry run (exit 2) at their tandem.yaml lines with the closest names.
 */
describe.each(CRMS)('a newcomer on $type: init against the systems, then dry runs', (crm) => {
  let dir: string;
  let erp: ExampleErp;
  let system: Awaited<ReturnType<CrmUnderTest['start']>>;
  const env = (): Record<string, string> => ({ ...system.env, ERP_DATABASE_URL: '' });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `tandem-newcomer-${crm.type}-`));
    erp = await createExampleErp(dir, serverUrl, `newcomer_${crm.type}`);
    system = await crm.start();
  }, scaled(120_000));

  afterAll(async () => {
    await system?.close();
    await erp?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'init proposes the mappings and the first dry run passes',
    async () => {
      const init = await runTandem(
        ['init', '--erp-url', erp.url, '--crm', crm.type, '--crm-url', system.url, '--json'],
        env(),
        dir,
      );
      expect(init.stderr).toBe('');
      expect(init.code).toBe(0);
      const written = JSON.parse(init.stdout) as { proposed: boolean; objects: { table: string; object: string }[] };
      expect(written.proposed).toBe(true);
      expect(written.objects.map((o) => `${o.table}->${o.object}`).sort()).toEqual(crm.pairs);
      const text = await readFile(join(dir, 'tandem.yaml'), 'utf8');
      for (const secret of system.secrets) expect(text).not.toContain(secret);

      const dryRun = await runTandem(['sync', '--dry-run', '--json'], env(), dir);
      expect(dryRun.stderr).toBe('');
      expect(dryRun.code).toBe(0);
      expect(dryRun.stdout).toContain('C0001');
    },
    scaled(300_000),
  );

  it(
    'mistakes in both mappings are reported together, each at its line with the closest name',
    async () => {
      let broken = await readFile(join(dir, 'tandem.yaml'), 'utf8');
      for (const [find, replacement] of crm.mistakes) {
        expect(broken).toMatch(find);
        broken = broken.replace(find, replacement);
      }
      await writeFile(join(dir, 'broken.yaml'), broken, 'utf8');
      const lineOf = (needle: string): number => broken.split('\n').findIndex((l) => l.includes(needle)) + 1;

      const dryRun = await runTandem(['sync', '--dry-run', '--config', 'broken.yaml', '--json'], env(), dir);
      expect(dryRun.code).toBe(2);
      const error = (JSON.parse(dryRun.stdout || dryRun.stderr) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('MAPPING_SHAPE_MISMATCH');
      expect(error.message).toMatch(new RegExp(`^${crm.mistakes.length} problems`));
      const reported = error.message.split('\n');
      for (const [, replacement, closest] of crm.mistakes) {
        const at = `broken.yaml:${lineOf(replacement)}:`;
        expect(
          reported.some((l) => l.includes(at) && l.includes(`closest: ${closest}`)),
          `a problem at ${at} naming ${closest} first:\n${error.message}`,
        ).toBe(true);
      }
    },
    scaled(300_000),
  );
});
