import { z } from 'zod';
import type { ConnectorDescriptor } from '../connector-descriptor.js';
import { HubSpotConnector } from './hubspot-connector.js';
import { hubspotSettingsSchema, hubspotStreamOptionsSchema, type HubSpotSettings } from './hubspot-settings.js';

/**
 * `crm: { type: hubspot, ... }`: chosen by the connector registry. HubSpot property internal names are lower case
 * letters, digits and `_`; objects are `contacts`, `companies`, `deals`, a custom object's name, or an id like `2-123`.
 */
export const hubspotConnector: ConnectorDescriptor<HubSpotSettings> = {
  type: 'hubspot',
  sides: ['crm'],
  settings: hubspotSettingsSchema,
  fieldName: z.string().regex(/^[a-z0-9_]+$/, {
    error: 'a HubSpot property must be its internal name: lower case letters, digits and _ (e.g. firstname, erp_id)',
  }),
  entityName: z.string().regex(/^(?:[a-z][a-z0-9_]*|[0-9]+-[0-9]+|p_[a-z0-9_]+)$/, {
    error: 'a HubSpot object is contacts, companies, deals, a custom object name, or an object type id such as 2-1234',
  }),
  streamOptions: hubspotStreamOptionsSchema,
  example: `  # API origin. Default: https://api.hubapi.com (tandem emulator hubspot prints its own).
  baseUrl: https://api.hubapi.com
  auth:
    kind: private-app            # private-app | oauth
    accessToken: \${HUBSPOT_TOKEN}   # only as a \${VAR} reference
  # OAuth 2.0 with a refresh token instead (access tokens live 30 minutes; refreshed before expiry and on a 401):
  # auth:
  #   kind: oauth
  #   clientId: \${HUBSPOT_CLIENT_ID}
  #   clientSecret: \${HUBSPOT_CLIENT_SECRET}   # only as a \${VAR} reference
  #   refreshToken: \${HUBSPOT_REFRESH_TOKEN}   # only as a \${VAR} reference
  tier: professional             # starter | professional | enterprise | api-add-on | public-app. Default: professional
  # budgets: { per10Seconds: 190, daily: 625000 }   # explicit budgets instead of the tier
  apiReserveShare: 0.2           # share of the 10-second and daily budgets left to other integrations. Default: 0.2
  concurrency: 4                 # batch requests (100 records each) in flight. Default: 4
  indexLagSeconds: 30            # each incremental search re-reads this far back (search lags writes). Default: 30
  # Objects: crm.object is contacts | companies | deals | a custom object; crm.externalId is the idProperty, a
  # property with unique values (email on contacts, or a custom one created with hasUniqueValue, e.g. erp_id).
`,
  connection: {
    urlEnv: 'HUBSPOT_BASE_URL',
    env: ['HUBSPOT_TOKEN'],
    section: (url) =>
      `  baseUrl: ${url}   # the API origin (https://api.hubapi.com; the emulator prints its own)\n` +
      '  auth:\n    kind: private-app\n    accessToken: ${HUBSPOT_TOKEN}\n',
  },
  exampleObjects: {
    account: {
      object: 'companies',
      externalId: 'erp_id',
      options: ['idProperty: erp_id'],
      fields: {
        name: 'name',
        phone: 'phone',
        website: 'domain',
        industry: 'industry',
        city: 'city',
        country: 'country',
        annual_revenue: 'annualrevenue',
        employees: 'numberofemployees',
      },
    },
    contact: {
      object: 'contacts',
      externalId: 'erp_id',
      options: ['idProperty: erp_id'],
      fields: { first_name: 'firstname', last_name: 'lastname', email: 'email', phone: 'phone', title: 'jobtitle' },
    },
    notes: [
      'erp_id: a text property created with hasUniqueValue: true on companies and contacts, holding the ERP key',
      "(HubSpot upserts only by a unique property, its idProperty; contacts' email is one too).",
    ],
  },
  open: (settings, deps) => Promise.resolve(new HubSpotConnector(settings, { logger: deps.logger })),
};
