import { randomBytes } from 'node:crypto';
import { startSalesforceEmulator } from '../../emulator/salesforce/index.js';
import { accountOf, nativeAccount, type DemoAccountFields } from '../demo-account-fields.js';
import type { DemoCrm, DemoCrmSession } from '../demo-crm.js';

const ACCOUNT: DemoAccountFields = {
  name: 'Name',
  phone: 'Phone',
  website: 'Website',
  industry: 'Industry',
  city: 'BillingCity',
  country: 'BillingCountry',
  annual_revenue: 'AnnualRevenue',
  employees: 'NumberOfEmployees',
  status: 'Type',
};
const KEY = 'External_Id__c';

/** `tandem demo --crm salesforce` (the default): the Salesforce emulator, Accounts keyed by External_Id__c. */
export const salesforceDemoCrm: DemoCrm = {
  type: 'salesforce',
  title: 'Salesforce',
  configExample: 'demo.tandem.yaml',
  async start({ logger }): Promise<DemoCrmSession> {
    const emulator = await startSalesforceEmulator({
      port: 0,
      clientId: 'tandem-demo',
      clientSecret: randomBytes(18).toString('base64url'),
      logger,
    });
    const idOf = (key: string): string | undefined => {
      const found = emulator.store.list('Account').find((a) => a[KEY] === key);
      return found === undefined ? undefined : String(found['Id']);
    };
    return {
      url: emulator.url,
      env: {
        TANDEM_DEMO_SF_URL: emulator.url,
        TANDEM_DEMO_CLIENT_ID: emulator.clientId,
        TANDEM_DEMO_CLIENT_SECRET: emulator.clientSecret,
      },
      insertAccount(account, key) {
        emulator.store.insert('Account', {
          ...nativeAccount(ACCOUNT, account),
          ...(key === undefined ? {} : { [KEY]: key }),
        });
      },
      updateAccount(key, change) {
        const id = idOf(key);
        const current = id === undefined ? undefined : emulator.store.get('Account', id);
        if (id === undefined || current === undefined) return false;
        emulator.store.update('Account', id, nativeAccount(ACCOUNT, change(accountOf(ACCOUNT, (f) => current[f]))));
        return true;
      },
      deleteAccount(key) {
        const id = idOf(key);
        if (id === undefined) return false;
        emulator.store.delete('Account', id);
        return true;
      },
      close: () => emulator.close(),
    };
  },
};
