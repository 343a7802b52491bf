import { scaled } from '../support/timeouts.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memorySystemNamed, openEngine, parseConfig, runSync, silentLogger } from '../../src/index.js';
import { startZohoEmulator, type RunningZohoEmulator } from '../../src/emulator/zoho/index.js';
import { EXIT, QuotaExceededError } from '../../src/util/errors.js';
import { testBackends, uniqueSchemaName } from '../support/test-databases.js';

const CUSTOMERS = {
  api_name: 'Customers',
  display_field: 'Name',
  fields: [
    { api_name: 'ERP_No', data_type: 'text' as const, length: 40, unique: true },
    { api_name: 'Name', data_type: 'text' as const, length: 80 },
    { api_name: 'City', data_type: 'text' as const, length: 40 },
  ],
};

function yaml(emu: RunningZohoEmulator, stateLines: string, erpName: string, writePath: string): string {
  return `sync: zoho
state:
${stateLines}
erp:
  type: memory
  name: ${erpName}
crm:
  type: zoho
  dataCenter: eu
  accountsUrl: ${emu.url}
  apiDomain: ${emu.url}
  uploadUrl: ${emu.url}
  auth:
    clientId: \${ZOHO_CLIENT_ID}
    clientSecret: \${ZOHO_CLIENT_SECRET}
    refreshToken: \${ZOHO_REFRESH_TOKEN}
  dailyCredits: 10000
  creditReserveShare: 0.2
  writePath: ${writePath}
  pollIntervalMs: 5
  pollMaxIntervalMs: 20
  pollTimeoutMs: 10000
objects:
  customer:
    erp: { table: customers, key: customer_no }
    crm: { object: Customers, externalId: ERP_No }
    fields:
      name: { erp: name, crm: Name }
      city: { erp: city, crm: City }
`;
}

describe('Zoho through the real engine (memory ERP <-> Zoho emulator)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-zoho-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const backend of testBackends()) {
    it(
      `${backend.name}: syncs both ways over Bulk Write, clears what the ERP clears, stops below the credit reserve (exit 3) and resumes`,
      async () => {
        const emu = await startZohoEmulator({ modules: [CUSTOMERS], jobDelayMs: 20, dailyCredits: 10_000 });
        const name = `z${Math.random().toString(36).slice(2, 8)}`;
        const erp = memorySystemNamed(`erp-${name}`);
        const stateLines =
          backend.url === undefined
            ? `  dataDir: ${JSON.stringify(join(dir, name))}`
            : `  url: ${backend.url}\n  schema: ${uniqueSchemaName('zoho')}`;
        const env = {
          ZOHO_CLIENT_ID: emu.clientId,
          ZOHO_CLIENT_SECRET: emu.clientSecret,
          ZOHO_REFRESH_TOKEN: emu.refreshToken,
        };
        const config = parseConfig(yaml(emu, stateLines, `erp-${name}`, 'bulk'), join(dir, 'tandem.yaml'), env);
        for (let i = 0; i < 30; i++) erp.insert('customers', `C${i}`, { name: `Customer ${i}`, city: 'Oslo' });
        const module = emu.store.module('Customers')!;
        emu.store.insert('Customers', { ERP_No: 'Z1', Name: 'From Zoho', City: 'Rome' });
        const engine = await openEngine(config, { logger: silentLogger() });
        try {
          const first = await runSync(engine.context);
          expect(first.error?.message, JSON.stringify(emu.stats())).toBeUndefined();
          expect(first.status).toBe('succeeded');
          expect(module.records.size).toBe(31);
          expect(emu.stats().writeJobs).toBe(1);
          expect(erp.findByKey('customers', 'Z1')?.fields).toEqual({ name: 'From Zoho', city: 'Rome' });

          // The ERP clears one city; another record changes only its name.
          erp.update('customers', erp.findByKey('customers', 'C1')!.nativeId, { city: null });
          erp.update('customers', erp.findByKey('customers', 'C2')!.nativeId, { name: 'Renamed' });
          const second = await runSync(engine.context);
          expect(second.status).toBe('succeeded');
          const c1 = emu.store.findBy(module, 'ERP_No', 'C1')!.values;
          expect([c1.get('Name'), c1.get('City')]).toEqual(['Customer 1', null]);
          const c2 = emu.store.findBy(module, 'ERP_No', 'C2')!.values;
          expect([c2.get('Name'), c2.get('City')]).toEqual(['Renamed', 'Oslo']);

          // Other integrations used the credits down to the reserve: the run stops cleanly, exit code 3.
          emu.server.limits.setUsed(8_500);
          erp.update('customers', erp.findByKey('customers', 'C3')!.nativeId, { city: 'Bergen' });
          const stopped = await runSync(engine.context);
          expect(stopped.status).toBe('interrupted');
          expect(stopped.error).toBeInstanceOf(QuotaExceededError);
          expect((stopped.error as QuotaExceededError).exitCode).toBe(EXIT.quota);
          expect(emu.store.findBy(module, 'ERP_No', 'C3')!.values.get('City')).toBe('Oslo');

          // The window frees credits: the next run resumes and delivers the change.
          emu.server.limits.setUsed(0);
          const resumed = await runSync(engine.context);
          expect(resumed.status).toBe('succeeded');
          expect(emu.store.findBy(module, 'ERP_No', 'C3')!.values.get('City')).toBe('Bergen');
          const quiet = await runSync(engine.context);
          expect(quiet.writes).toBe(0);
          expect(emu.stats().refreshRateLimited).toBe(0);
          expect(emu.stats().tokensMinted).toBe(1);
        } finally {
          await engine.close();
          await emu.close();
        }
      },
      scaled(300_000),
    );
  }
});
