export { ZohoConnector, type ZohoConnectorDeps } from './zoho-connector.js';
export { zohoConnector } from './zoho-connector-descriptor.js';
export {
  parseZohoSettings,
  parseZohoStreamOptions,
  zohoHosts,
  zohoSettingsSchema,
  zohoStreamOptionsSchema,
  type ZohoSettings,
  type ZohoSettingsInput,
  type ZohoStreamOptions,
} from './zoho-connector-config.js';
export { ZOHO_DATA_CENTERS, ZOHO_HOSTS, type ZohoDataCenter, type ZohoHosts } from './zoho-data-centers.js';
export { ZohoSource } from './zoho-source.js';
export { ZohoSink, type WritePlan } from './zoho-sink.js';
export { ZohoCreditBudget } from './zoho-credit-budget.js';
export { ZohoTokenProvider, REFRESH_LIMIT, REFRESH_WINDOW_MS } from './zoho-token-provider.js';
export { ZohoApiError, ZohoAuthError, ZohoSchemaError } from './zoho-errors.js';
