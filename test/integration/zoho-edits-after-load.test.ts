import { scaled } from '../support/timeouts.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memorySystemNamed, openEngine, parseConfig, runSync, silentLogger } from '../../src/index.js';
import { startZohoEmulator, type RunningZohoEmulator } from '../../src/emulator/zoho/index.js';

const CUSTOMERS = {
  api_name: 'Customers',
  display_field: 'Name',
  fields: [
    { api_name: 'ERP_No', data_type: 'text' as const, length: 40, unique: true },
    { api_name: 'Name', data_type: 'text' as const, length: 80 },
    { api_name: 'City', data_type: 'text' as const, length: 40 },
    { api_name: 'Phone', data_type: 'phone' as const, length: 30 },
  ],
};

function yaml(emu: RunningZohoEmulator, dataDir: string, erpName: string, writePath: string): string {
  return `sync: zoho
state:
  dataDir: ${JSON.stringify(dataDir)}
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
  dailyCredits: 1000000
  creditReserveShare: 0
  writePath: ${writePath}
  pollIntervalMs: 5
  pollMaxIntervalMs: 20
  pollTimeoutMs: 10000
objects:
  customer:
    erp: { table: customers, key: customer_no }
    crm: { object: Customers, externalId: ERP_No }
    policy: latest-wins
    fields:
      name: { erp: name, crm: Name }
      city: { erp: city, crm: City }
      phone: { erp: phone, crm: Phone }
`;
}

const EDITED_PHONE = '+4799000000';

describe('Zoho edits made right after the initial load', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-zoho-edits-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function loadThenEdit(
    writePath: 'bulk' | 'rest',
    options: { frozenClock: boolean; erpPhone: (i: number) => string },
  ): Promise<{ edited: string[]; wrong: string[]; crmCaptured: number; modifiedInLoadSecond: number }> {
    const emu = await startZohoEmulator({ modules: [CUSTOMERS], jobDelayMs: 20, dailyCredits: 1_000_000 });
    // A frozen clock puts the load's writes and the user's edits in one Modified_Time second.
    if (options.frozenClock) {
      const second = emu.store.now();
      emu.store.now = () => second;
    }
    const name = `z${Math.random().toString(36).slice(2, 8)}`;
    const erp = memorySystemNamed(`erp-${name}`);
    const env = {
      ZOHO_CLIENT_ID: emu.clientId,
      ZOHO_CLIENT_SECRET: emu.clientSecret,
      ZOHO_REFRESH_TOKEN: emu.refreshToken,
    };
    const config = parseConfig(yaml(emu, join(dir, name), `erp-${name}`, writePath), join(dir, 'tandem.yaml'), env);
    const n = 40;
    for (let i = 0; i < n; i++) {
      erp.insert('customers', `C${i}`, { name: `Customer ${i}`, city: 'Oslo', phone: options.erpPhone(i) });
    }
    const module = emu.store.module('Customers')!;
    const engine = await openEngine(config, { logger: silentLogger() });
    try {
      const load = await runSync(engine.context);
      expect(load.status).toBe('succeeded');
      expect(module.records.size).toBe(n);
      const edited: string[] = [];
      let modifiedInLoadSecond = 0;
      for (let i = n / 2; i < n; i++) {
        const r = emu.store.findBy(module, 'ERP_No', `C${i}`)!;
        const updated = emu.store.update('Customers', r.id, { Phone: EDITED_PHONE });
        if (updated.modifiedAt === updated.createdAt) modifiedInLoadSecond += 1;
        edited.push(`C${i}`);
      }
      const next = await runSync(engine.context);
      expect(next.status).toBe('succeeded');
      const wrong = edited.filter((k) => erp.findByKey('customers', k)?.fields['phone'] !== EDITED_PHONE);
      return { edited, wrong, crmCaptured: next.counts['customer']!.crm.captured, modifiedInLoadSecond };
    } finally {
      await engine.close();
      await emu.close();
    }
  }

  for (const writePath of ['bulk', 'rest'] as const) {
    it(
      `[I1] ${writePath} load: every Zoho edit made in the load's own Modified_Time second is captured by the next sync (full Bulk Read, no watermark yet)`,
      async () => {
        const r = await loadThenEdit(writePath, { frozenClock: true, erpPhone: () => '+4711111111' });
        expect(r.modifiedInLoadSecond).toBe(r.edited.length);
        expect(r.crmCaptured).toBe(r.edited.length);
        expect(r.wrong).toEqual([]);
      },
      scaled(60_000),
    );
  }

  // The benchmark's "0 Zoho changes": its edits set the phone the ERP table (reused from an earlier CRM scenario)
  // had already sent to Zoho. Modified_Time moves, the value does not: that is no change, and nothing is captured.
  it(
    'an edit that sets the value a Zoho record already holds is no change: nothing captured, nothing written',
    async () => {
      const r = await loadThenEdit('rest', { frozenClock: false, erpPhone: () => EDITED_PHONE });
      expect(r.crmCaptured).toBe(0);
      expect(r.wrong).toEqual([]);
    },
    scaled(60_000),
  );
});
