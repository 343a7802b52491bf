import { z } from 'zod';
import type { ConnectorDescriptor } from '../connector-descriptor.js';
import { zohoSettingsSchema, zohoStreamOptionsSchema, type ZohoSettings } from './zoho-connector-config.js';
import { ZohoConnector } from './zoho-connector.js';

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
  open: async (settings, deps) => new ZohoConnector(settings, { logger: deps.logger }),
};
