import { z } from 'zod';
import type { ConnectorDescriptor } from '../connector-descriptor.js';
import { zohoSettingsSchema, zohoStreamOptionsSchema, type ZohoSettings } from './zoho-connector-config.js';
import { ZohoConnector } from './zoho-connector.js';
import { ZOHO_DATA_CENTERS, ZOHO_HOSTS } from './zoho-data-centers.js';

/**
 * Chooses Zoho CRM by `crm.type: zoho` in tandem.yaml.
 *
 * @example
 * ```yaml
 * crm:
 *   type: zoho
 *   dataCenter: eu
 *   auth: { clientId: ${ZOHO_CLIENT_ID}, clientSecret: ${ZOHO_CLIENT_SECRET}, refreshToken: ${ZOHO_REFRESH_TOKEN} }
 * ```
 */
export const zohoConnector: ConnectorDescriptor<ZohoSettings> = {
  type: 'zoho',
  sides: ['crm'],
  settings: zohoSettingsSchema,
  fieldName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]*$/, { message: 'must be a Zoho field API name (letters, digits, _)' }),
  entityName: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, { message: 'must be a Zoho module API name, e.g. Contacts' }),
  streamOptions: zohoStreamOptionsSchema,
  example: `  dataCenter: us                 # us | eu | in | au | jp | ca | sa | cn: the Zoho hosts are derived from it
  # accountsUrl / apiDomain / uploadUrl override the derived hosts (sandboxes, the Zoho emulator)
  auth:                          # OAuth refresh-token grant (self client, access_type=offline)
    clientId: \${ZOHO_CLIENT_ID}
    clientSecret: \${ZOHO_CLIENT_SECRET}   # only as a \${VAR} reference
    refreshToken: \${ZOHO_REFRESH_TOKEN}   # only as a \${VAR} reference
  dailyCredits: 50000            # the org's API credits per 24 hours (Zoho's API dashboard). Default: 50000
  creditReserveShare: 0.2        # share of the credits left to other integrations; below it the run stops (exit 3)
  writePath: auto                # auto (cheaper in credits per run) | bulk | rest. Default: auto
  pollIntervalMs: 2000           # first wait between polls of a bulk job; later ones 1.5x longer. Default: 2000
  pollTimeoutMs: 900000          # how long one run waits for a bulk job before resuming it next run. Default: 900000
`,
  connection: {
    urlEnv: 'ZOHO_API_DOMAIN',
    env: ['ZOHO_CLIENT_ID', 'ZOHO_CLIENT_SECRET', 'ZOHO_REFRESH_TOKEN'],
    section: (url) => {
      const auth =
        '  auth:\n    clientId: ${ZOHO_CLIENT_ID}\n    clientSecret: ${ZOHO_CLIENT_SECRET}\n    refreshToken: ${ZOHO_REFRESH_TOKEN}\n';
      // A data centre's API domain names the data centre (its accounts and upload hosts follow); any other URL (a
      // sandbox, the emulator) serves all three.
      const dataCenter = ZOHO_DATA_CENTERS.find((dc) => ZOHO_HOSTS[dc].apiDomain === url.replace(/\/+$/, ''));
      if (dataCenter !== undefined) return `  dataCenter: ${dataCenter}\n${auth}`;
      return `  accountsUrl: ${url}\n  apiDomain: ${url}   # the API domain given to tandem init\n  uploadUrl: ${url}\n${auth}`;
    },
  },
  exampleObjects: {
    account: {
      object: 'Accounts',
      externalId: 'ERP_Account_No',
      fields: {
        name: 'Account_Name',
        phone: 'Phone',
        website: 'Website',
        industry: 'Industry',
        city: 'Billing_City',
        country: 'Billing_Country',
        annual_revenue: 'Annual_Revenue',
        employees: 'Employees',
        status: 'Account_Type',
      },
      statusValues: { Customer: 'Customer', Prospect: 'Prospect', Partner: 'Partner' },
    },
    contact: {
      object: 'Contacts',
      externalId: 'ERP_Contact_No',
      fields: { first_name: 'First_Name', last_name: 'Last_Name', email: 'Email', phone: 'Phone', title: 'Title' },
    },
    notes: [
      'ERP_Account_No / ERP_Contact_No: single-line fields marked "Do not allow duplicate values" (an external',
      'ID for upserts) on Accounts and Contacts, holding the ERP key.',
    ],
  },
  open: (settings, deps) => Promise.resolve(new ZohoConnector(settings, { logger: deps.logger })),
};
