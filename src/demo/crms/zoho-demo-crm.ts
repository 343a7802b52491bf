import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startZohoEmulator, type ZohoModuleDefinitionInput } from '../../emulator/zoho/index.js';
import { packageRoot } from '../../state/package-root.js';
import { accountOf, nativeAccount, type DemoAccountFields } from '../demo-account-fields.js';
import type { DemoCrm, DemoCrmSession } from '../demo-crm.js';

const ACCOUNT: DemoAccountFields = {
  name: 'Account_Name',
  phone: 'Phone',
  website: 'Website',
  industry: 'Industry',
  city: 'Billing_City',
  country: 'Billing_Country',
  annual_revenue: 'Annual_Revenue',
  employees: 'Employees',
  status: 'Account_Type',
};
const KEY = 'ERP_Account_No';

/**
 * `tandem demo --crm zoho`: the Zoho CRM emulator with the modules of examples/zoho-modules.json (Accounts keyed by
 * ERP_Account_No, Contacts by ERP_Contact_No), reached through the OAuth refresh-token grant.
 */
export const zohoDemoCrm: DemoCrm = {
  type: 'zoho',
  title: 'Zoho CRM',
  configExample: 'demo-zoho.tandem.yaml',
  async start({ logger }): Promise<DemoCrmSession> {
    const file = join(packageRoot(), 'examples', 'zoho-modules.json');
    // Validated by the emulator (it names the file's problems).
    const { modules } = JSON.parse(await readFile(file, 'utf8')) as { modules: ZohoModuleDefinitionInput[] };
    const emulator = await startZohoEmulator({
      port: 0,
      modules,
      clientId: 'tandem-demo',
      clientSecret: randomBytes(18).toString('base64url'),
      refreshToken: `1000.${randomBytes(24).toString('hex')}`,
      jobDelayMs: 50,
      logger,
    });
    const accounts = emulator.store.module('Accounts')!;
    const live = (key: string) => emulator.store.findBy(accounts, KEY, key);
    return {
      url: emulator.url,
      env: {
        TANDEM_DEMO_ZOHO_URL: emulator.url,
        TANDEM_DEMO_ZOHO_CLIENT_ID: emulator.clientId,
        TANDEM_DEMO_ZOHO_CLIENT_SECRET: emulator.clientSecret,
        TANDEM_DEMO_ZOHO_REFRESH_TOKEN: emulator.refreshToken,
      },
      insertAccount(account, key) {
        emulator.store.insert('Accounts', {
          ...nativeAccount(ACCOUNT, account),
          ...(key === undefined ? {} : { [KEY]: key }),
        });
      },
      updateAccount(key, change) {
        const record = live(key);
        if (record === undefined) return false;
        const current = accountOf(ACCOUNT, (f) => record.values.get(f));
        emulator.store.update('Accounts', record.id, nativeAccount(ACCOUNT, change(current)));
        return true;
      },
      deleteAccount(key) {
        const record = live(key);
        return record !== undefined && emulator.store.delete('Accounts', record.id);
      },
      close: () => emulator.close(),
    };
  },
};
