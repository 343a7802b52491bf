export { SalesforceConnector, type SalesforceConnectorDeps } from './salesforce-connector.js';
export {
  parseSalesforceConnectorConfig,
  parseSalesforceStreamOptions,
  salesforceConnectorConfigSchema,
  salesforceStreamOptionsSchema,
  type SalesforceConnectorConfig,
  type SalesforceConnectorConfigInput,
  type SalesforceStreamOptions,
} from './salesforce-connector-config.js';
export { SalesforceSource } from './salesforce-source.js';
export { SalesforceSink } from './salesforce-sink.js';
export { BulkClient, type BulkJobInfo, type PollOptions } from './bulk-client.js';
export { ApiLimits, parseLimitInfo } from './api-limits.js';
export { BACKOFF_DEFAULTS, type BackoffOptions } from './backoff.js';
export {
  OAuthTokenProvider,
  type TokenProvider,
  type AccessToken,
  type OAuthCredentials,
} from './oauth-token-provider.js';
export { withAuth } from './with-auth.js';
export { withRetry } from './with-retry.js';
export { withLimits } from './with-limits.js';
export { createUndiciHttpClient, type HttpClient, type HttpRequestOptions, type HttpResponse } from './http-client.js';
export { SalesforceApiError, SalesforceAuthError, SalesforceSchemaError, BulkQueryFailedError } from './errors.js';
