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
  open: async (settings, deps) => new SalesforceConnector(settings, { logger: deps.logger }),
};
