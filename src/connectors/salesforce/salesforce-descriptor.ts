import type { ConnectorDescriptor } from '../connector-descriptor.js';
import {
  salesforceApiName,
  salesforceSettingsSchema,
  salesforceStreamOptionsSchema,
  type SalesforceSettings,
} from './salesforce-connector-config.js';
import { SalesforceConnector } from './salesforce-connector.js';

/**
 * `crm: { type: salesforce, ... }`: Salesforce over the REST and Bulk API 2.0 (see docs/salesforce-connector.md).
 * Object and field names are Salesforce API names (`Account`, `External_Id__c`).
 */
export const salesforceConnector: ConnectorDescriptor<SalesforceSettings> = {
  type: 'salesforce',
  sides: ['crm'],
  settings: salesforceSettingsSchema,
  fieldName: salesforceApiName,
  entityName: salesforceApiName,
  streamOptions: salesforceStreamOptionsSchema,
  example: `  # My Domain URL (needed for client_credentials); https://login.salesforce.com or https://test.salesforce.com for jwt.
  loginUrl: https://acme.my.salesforce.com
  # instanceUrl: https://acme.my.salesforce.com   # API host; default: the instance_url the token endpoint returns
  apiVersion: "62.0"             # REST API version. Default: 62.0
  auth:
    flow: client_credentials     # client_credentials | jwt
    clientId: \${SF_CLIENT_ID}
    clientSecret: \${SF_CLIENT_SECRET}   # only as a \${VAR} reference
  # The JWT bearer flow instead:
  # auth:
  #   flow: jwt
  #   clientId: \${SF_CLIENT_ID}
  #   username: integration@acme.com
  #   privateKeyPem: \${SF_PRIVATE_KEY_PEM}   # only as a \${VAR} reference
  #   audience: https://login.salesforce.com  # default: derived from loginUrl
  apiReserveShare: 0.2           # share of the org's daily API requests left to others (0..0.95). Default: 0.2
  pollIntervalMs: 1000           # first wait between polls of a Bulk API job; later ones 1.5x longer. Default: 1000
  pollTimeoutMs: 600000          # how long one Bulk API job may take before the run moves on. Default: 600000
  maxUploadBytes: 100000000      # largest CSV per Bulk API job (Salesforce: 100 MB). Default: 100000000
`,
  connection: {
    urlEnv: 'SF_LOGIN_URL',
    env: ['SF_CLIENT_ID', 'SF_CLIENT_SECRET'],
    section: (url) =>
      `  loginUrl: ${url}   # the My Domain URL\n  auth:\n    flow: client_credentials\n` +
      '    clientId: ${SF_CLIENT_ID}\n    clientSecret: ${SF_CLIENT_SECRET}\n',
  },
  exampleObjects: {
    account: {
      object: 'Account',
      externalId: 'External_Id__c',
      fields: {
        name: 'Name',
        phone: 'Phone',
        website: 'Website',
        industry: 'Industry',
        city: 'BillingCity',
        country: 'BillingCountry',
        annual_revenue: 'AnnualRevenue',
        employees: 'NumberOfEmployees',
        status: 'Type',
      },
      statusValues: { Customer: 'Customer - Direct', Prospect: 'Prospect', Partner: 'Channel Partner / Reseller' },
    },
    contact: {
      object: 'Contact',
      externalId: 'External_Id__c',
      fields: { first_name: 'FirstName', last_name: 'LastName', email: 'Email', phone: 'Phone', title: 'Title' },
    },
    notes: [
      'External_Id__c: a text field marked External ID and Unique on each object, holding the ERP key',
      '(create it in Setup > Object Manager; `tandem emulator salesforce` has it already).',
    ],
  },
  open: (settings, deps) => Promise.resolve(new SalesforceConnector(settings, { logger: deps.logger })),
};
