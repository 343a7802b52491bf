/**
 * `tandem sync` against the HubSpot and Zoho emulators when the CRM's daily budget runs out: the CLI ends with exit 3
 * (quota) and says so plainly, and the run after the budget is back (reset through the emulator's admin API) finishes
 * the work without duplicates. The connector and engine tests show the same below the CLI; this is the user's view.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHubSpotProperties, startHubSpotEmulator } from '../../src/emulator/hubspot/index.js';
import { startZohoEmulator } from '../../src/emulator/zoho/index.js';
import { repoRoot, runTandem } from '../support/run-tandem-cli.js';
import { scaled } from '../support/timeouts.js';

const CONTACTS = 250;

describe('a CRM daily budget that runs out mid-sync, through the CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-crm-quota-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** An embedded ERP from examples/erp-schema.sql holding CONTACTS contacts; returns its folder. */
  async function erpWithContacts(name: string): Promise<string> {
    const erpDir = join(dir, name, 'erp');
    await mkdir(join(dir, name), { recursive: true });
    const erp = new PGlite(erpDir);
    await erp.exec(await readFile(join(repoRoot, 'examples', 'erp-schema.sql'), 'utf8'));
    await erp.exec("insert into public.customers (customer_no, name) values ('C1', 'Acme')");
    await erp.query(
      `insert into public.contacts (contact_no, first_name, last_name, email, customer_no)
       select 'P' || lpad(n::text, 5, '0'), 'Ana', 'Ng ' || n, 'ana' || n || '@mail.example', 'C1' from generate_series(1, $1::int) n`,
      [CONTACTS],
    );
    await erp.close();
    return erpDir;
  }

  async function configFile(name: string, erpDir: string, crm: string, contactMapping: string): Promise<string> {
    const file = join(dir, name, 'tandem.yaml');
    await writeFile(
      file,
      `sync: ${name}\nstate:\n  dataDir: ${JSON.stringify(join(dir, name, 'state'))}\nerp:\n  type: postgres\n  dataDir: ${JSON.stringify(erpDir)}\n${crm}\nobjects:\n  contact:\n    erp: { table: public.contacts, key: contact_no, primaryKey: contact_no, updatedAt: updated_at }\n${contactMapping}`,
    );
    return file;
  }

  it(
    'HubSpot: a daily-limit 429 ends `tandem sync` with exit 3 and a plain message; after the admin API resets the day, the next run finishes with no duplicate contacts',
    async () => {
      const hs = await startHubSpotEmulator({ port: 0 });
      try {
        addHubSpotProperties(hs.store, {
          contacts: [{ name: 'erp_contact_no', type: 'string', hasUniqueValue: true }],
        });
        const config = await configFile(
          'hubspot',
          await erpWithContacts('hubspot'),
          `crm:\n  type: hubspot\n  baseUrl: ${hs.url}\n  auth:\n    kind: private-app\n    accessToken: \${HS_TOKEN}\n  concurrency: 1\n`,
          `    crm: { object: contacts, externalId: erp_contact_no }\n    fields:\n      first_name: { erp: first_name, crm: firstname }\n      last_name: { erp: last_name, crm: lastname }\n      email: { erp: email, crm: email }\n`,
        );
        const env = { HS_TOKEN: hs.privateAppToken };
        // Each write is applied, then answered late: once the first batch has landed, the day's limit is reached.
        hs.setFaults({ writeResponseDelayMs: 400 });
        const pollEveryMs = 5; // how often to look, not a time budget
        const watch = setInterval(() => {
          if (hs.store.list('contacts').length > 0) {
            hs.setFaults({ dailyLimitExhausted: true });
            clearInterval(watch);
          }
        }, pollEveryMs);
        const stopped = await runTandem(['sync', '--config', config], env).finally(() => clearInterval(watch));
        expect(stopped.code, stopped.stderr).toBe(3);
        expect(stopped.stderr).toContain("HubSpot's daily API limit is reached (429 DAILY");
        const landed = hs.store.list('contacts').length;
        expect(landed).toBeGreaterThan(0);
        expect(landed).toBeLessThan(CONTACTS);

        // A new day, through the admin API: the fault lifted and the counts forgotten.
        const admin = { 'x-emulator-admin-token': hs.adminToken, 'content-type': 'application/json' };
        const faults = await request(`${hs.url}/__emulator/faults`, { method: 'PUT', headers: admin, body: '{}' });
        expect(faults.statusCode).toBe(200);
        await faults.body.dump();
        const reset = await request(`${hs.url}/__emulator/limits/reset`, { method: 'POST', headers: admin });
        expect(reset.statusCode).toBeLessThan(300);
        await reset.body.dump();

        const resumed = await runTandem(['sync', '--config', config], env);
        expect(resumed.code, resumed.stderr).toBe(0);
        const keys = hs.store.list('contacts').map((r) => r.properties['erp_contact_no']);
        expect(keys).toHaveLength(CONTACTS);
        expect(new Set(keys).size).toBe(CONTACTS);
      } finally {
        await hs.close();
      }
    },
    scaled(240_000),
  );

  it(
    'Zoho: credits used down to the reserve end `tandem sync` with exit 3 and a plain message; once the admin API frees them, the next run delivers everything once',
    async () => {
      const file = join(repoRoot, 'examples', 'zoho-modules.json');
      const { modules } = JSON.parse(await readFile(file, 'utf8')) as { modules: [] };
      const zoho = await startZohoEmulator({ port: 0, modules, jobDelayMs: 20, dailyCredits: 10_000 });
      try {
        const config = await configFile(
          'zoho',
          await erpWithContacts('zoho'),
          `crm:\n  type: zoho\n  accountsUrl: ${zoho.url}\n  apiDomain: ${zoho.url}\n  uploadUrl: ${zoho.url}\n  auth:\n    clientId: \${Z_ID}\n    clientSecret: \${Z_SECRET}\n    refreshToken: \${Z_REFRESH}\n  dailyCredits: 10000\n  creditReserveShare: 0.2\n  pollIntervalMs: 20\n  pollMaxIntervalMs: 100\n`,
          `    crm: { object: Contacts, externalId: ERP_Contact_No }\n    fields:\n      first_name: { erp: first_name, crm: First_Name }\n      last_name: { erp: last_name, crm: Last_Name }\n      email: { erp: email, crm: Email }\n`,
        );
        const env = { Z_ID: zoho.clientId, Z_SECRET: zoho.clientSecret, Z_REFRESH: zoho.refreshToken };
        const admin = { authorization: `Bearer ${zoho.adminToken}`, 'content-type': 'application/json' };
        const setUsed = async (used: number): Promise<void> => {
          const res = await request(`${zoho.url}/__emulator/credits`, {
            method: 'PUT',
            headers: admin,
            body: JSON.stringify({ used }),
          });
          expect(res.statusCode).toBe(200);
          await res.body.dump();
        };
        // Other integrations used the day's credits down past tandem's reserve (20% of 10,000).
        await setUsed(8_500);
        const stopped = await runTandem(['sync', '--config', config], env);
        expect(stopped.code, stopped.stderr).toBe(3);
        expect(stopped.stderr).toMatch(/credit/i);
        const contacts = zoho.store.module('Contacts')!;
        expect(contacts.records.size).toBe(0);

        await setUsed(0);
        const resumed = await runTandem(['sync', '--config', config], env);
        expect(resumed.code, resumed.stderr).toBe(0);
        const keys = [...contacts.records.values()].map((r) => r.values.get('ERP_Contact_No'));
        expect(keys).toHaveLength(CONTACTS);
        expect(new Set(keys).size).toBe(CONTACTS);
      } finally {
        await zoho.close();
      }
    },
    scaled(240_000),
  );
});
