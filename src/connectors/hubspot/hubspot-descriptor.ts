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
  open: async (settings, deps) => new HubSpotConnector(settings, { logger: deps.logger }),
};
