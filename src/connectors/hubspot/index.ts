export {
  HubSpotConnector,
  parseHubSpotSettings,
  parseHubSpotStreamOptions,
  type HubSpotConnectorDeps,
} from './hubspot-connector.js';
export { hubspotConnector } from './hubspot-descriptor.js';
export {
  hubspotSettingsSchema,
  hubspotStreamOptionsSchema,
  effectiveBudgets,
  HUBSPOT_RATE_TIERS,
  type HubSpotSettings,
  type HubSpotSettingsInput,
  type HubSpotStreamOptions,
} from './hubspot-settings.js';
export { HubSpotSource, SEARCH_RESULT_CAP, SEARCH_PAGE } from './hubspot-source.js';
export { HubSpotSink, BATCH_LIMIT } from './hubspot-sink.js';
export { RateBudget } from './rate-budget.js';
export { HubSpotApiError, HubSpotAuthError, HubSpotSchemaError, HubSpotAmbiguousWriteError } from './hubspot-errors.js';
