import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { addHubSpotProperties, readHubSpotPropertyFile, startHubSpotEmulator } from '../../emulator/hubspot/index.js';
import { packageRoot } from '../../state/package-root.js';
import { accountOf, nativeAccount, type DemoAccountFields } from '../demo-account-fields.js';
import type { DemoCrm, DemoCrmSession } from '../demo-crm.js';

const ACCOUNT: DemoAccountFields = {
  name: 'name',
  phone: 'phone',
  website: 'website',
  industry: 'industry',
  city: 'city',
  country: 'country',
  annual_revenue: 'annualrevenue',
  employees: 'numberofemployees',
  status: 'erp_status',
};
const KEY = 'erp_customer_no';

/**
 * `tandem demo --crm hubspot`: the HubSpot emulator with the properties of examples/hubspot-properties.json (the
 * unique `erp_customer_no` / `erp_contact_no` the upserts address records by), reached with a private app token.
 */
export const hubspotDemoCrm: DemoCrm = {
  type: 'hubspot',
  title: 'HubSpot',
  configExample: 'demo-hubspot.tandem.yaml',
  async start({ logger }): Promise<DemoCrmSession> {
    const properties = await readHubSpotPropertyFile(join(packageRoot(), 'examples', 'hubspot-properties.json'));
    const emulator = await startHubSpotEmulator({
      port: 0,
      privateAppToken: `pat-demo-${randomBytes(18).toString('base64url')}`,
      logger,
    });
    addHubSpotProperties(emulator.store, properties);
    const companies = emulator.store.type('companies')!;
    const live = (key: string) => emulator.store.findByUnique(companies, KEY, key);
    return {
      url: emulator.url,
      env: { TANDEM_DEMO_HUBSPOT_URL: emulator.url, TANDEM_DEMO_HUBSPOT_TOKEN: emulator.privateAppToken },
      insertAccount(account, key) {
        emulator.store.insert('companies', {
          ...nativeAccount(ACCOUNT, account),
          ...(key === undefined ? {} : { [KEY]: key }),
        });
      },
      updateAccount(key, change) {
        const record = live(key);
        if (record === undefined) return false;
        const current = accountOf(ACCOUNT, (f) => record.properties[f]);
        emulator.store.patch('companies', record.id, nativeAccount(ACCOUNT, change(current)));
        return true;
      },
      deleteAccount(key) {
        const record = live(key);
        if (record === undefined) return false;
        emulator.store.remove('companies', record.id);
        return true;
      },
      close: () => emulator.close(),
    };
  },
};
