import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../../util/errors.js';
import { httpUrl, nonEmpty, strictSettings } from '../settings-schema.js';

/**
 * The single declaration of the Salesforce connector's settings: tandem.yaml's `crm:` section (besides `type`), the
 * object `new SalesforceConnector(...)` takes, docs/tandem.schema.json and the messages a person sees all come from
 * `salesforceSettingsSchema`.
 */
export const SALESFORCE_DEFAULTS = Object.freeze({
  apiVersion: '62.0',
  apiReserveShare: 0.2,
  pollIntervalMs: 1000,
  pollMaxIntervalMs: 20_000,
  pollTimeoutMs: 600_000,
  // Salesforce takes 150 MB per job after base64, so 100 MB of raw CSV.
  maxUploadBytes: 100_000_000,
  queryPageSize: 50_000,
});

const authSchema = z
  .discriminatedUnion(
    'flow',
    [
      strictSettings({
        flow: z.literal('client_credentials'),
        clientId: nonEmpty('clientId').describe('Consumer key of the connected app, e.g. ${SF_CLIENT_ID}.'),
        clientSecret: nonEmpty('clientSecret').describe('Consumer secret; only as an ${ENV} reference.'),
      }).describe('OAuth 2.0 client credentials flow (loginUrl must be the My Domain URL).'),
      strictSettings({
        flow: z.literal('jwt'),
        clientId: nonEmpty('clientId').describe('Consumer key of the connected app.'),
        username: nonEmpty('username').describe('The integration user the JWT is issued for.'),
        privateKeyPem: nonEmpty('privateKeyPem')
          .refine((pem) => pem.includes('PRIVATE KEY'), {
            error: 'privateKeyPem must be a PEM private key (-----BEGIN PRIVATE KEY-----)',
          })
          .describe('PEM private key that signs the JWT; only as an ${ENV} reference.'),
        audience: httpUrl('auth.audience', 'https://login.salesforce.com')
          .nullish()
          .describe(
            'JWT audience; default: https://login.salesforce.com, or https://test.salesforce.com for a sandbox loginUrl.',
          ),
      }).describe('OAuth 2.0 JWT bearer flow.'),
    ],
    {
      error: (issue) =>
        issue.code === 'invalid_union' ? "auth.flow must be 'client_credentials' or 'jwt'" : undefined,
    },
  )
  .describe('How tandem signs in to Salesforce.');

const withoutTrailingSlash = (url: string) => url.replace(/\/+$/, '');

/** tandem.yaml's `crm:` section for `type: salesforce` (without `type`). Unknown keys are refused. */
export const salesforceSettingsSchema = strictSettings({
  loginUrl: httpUrl('crm.loginUrl')
    .overwrite(withoutTrailingSlash)
    .describe(
      'My Domain URL (client_credentials), or https://login.salesforce.com / https://test.salesforce.com (jwt).',
    ),
  instanceUrl: httpUrl('crm.instanceUrl')
    .overwrite(withoutTrailingSlash)
    .nullish()
    .describe('API host; default: the instance_url the token endpoint returns.'),
  apiVersion: z
    .string()
    .regex(/^\d{2,3}\.0$/, { error: "apiVersion must look like '62.0'" })
    .default(SALESFORCE_DEFAULTS.apiVersion)
    .describe('Salesforce REST API version.'),
  auth: authSchema,
  apiReserveShare: z
    .number()
    .min(0)
    .max(0.95)
    .default(SALESFORCE_DEFAULTS.apiReserveShare)
    .describe("Share of the org's daily API requests tandem leaves to other integrations (0..0.95)."),
  pollIntervalMs: z
    .number()
    .int()
    .min(1)
    .max(60_000)
    .default(SALESFORCE_DEFAULTS.pollIntervalMs)
    .describe('First wait before a Bulk API job is polled again, in milliseconds; later polls wait 1.5x longer.'),
  pollMaxIntervalMs: z
    .number()
    .int()
    .min(1)
    .max(600_000)
    .default(SALESFORCE_DEFAULTS.pollMaxIntervalMs)
    .describe('Longest wait between two polls of a Bulk API job, in milliseconds.'),
  pollTimeoutMs: z
    .number()
    .int()
    .min(1)
    .max(24 * 3600 * 1000)
    .default(SALESFORCE_DEFAULTS.pollTimeoutMs)
    .describe(
      'How long one Bulk API job may take before the run gives up on it (it resumes next run), in milliseconds.',
    ),
  maxUploadBytes: z
    .number()
    .int()
    .min(1)
    .max(SALESFORCE_DEFAULTS.maxUploadBytes)
    .default(SALESFORCE_DEFAULTS.maxUploadBytes)
    .describe('Largest CSV uploaded to one Bulk API job, in bytes (Salesforce: 100 MB).'),
  queryPageSize: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(SALESFORCE_DEFAULTS.queryPageSize)
    .describe('Rows per Bulk API query results page (maxRecords).'),
  retry: strictSettings({
    initialDelayMs: z.number().int().min(0).optional(),
    multiplier: z.number().min(1).optional(),
    maxDelayMs: z.number().int().min(0).optional(),
    maxRetries: z.number().int().min(0).optional(),
    maxElapsedMs: z.number().int().min(0).optional(),
    maxRetryAfterMs: z.number().int().min(0).optional(),
  })
    .optional()
    .describe('Retry budget of one HTTP call (default: exponential backoff, see docs/salesforce-connector.md).'),
});

/** @deprecated name kept for existing imports: the same schema as `salesforceSettingsSchema`. */
export const salesforceConnectorConfigSchema = salesforceSettingsSchema;

export type SalesforceConnectorConfigInput = z.input<typeof salesforceSettingsSchema>;
export type SalesforceConnectorConfig = z.output<typeof salesforceSettingsSchema>;
/** The validated `crm:` settings of `type: salesforce`. */
export type SalesforceSettings = SalesforceConnectorConfig;

// A Salesforce API name: letters, digits, underscores, starting with a letter (custom ones end in __c).
const API_NAME = /^[A-Za-z][A-Za-z0-9_]{0,79}$/;
/** A Salesforce API name (object or field). Messages start with "must": tandem puts the setting's name before them. */
export const salesforceApiName = z.string().regex(API_NAME, {
  error: 'must be a Salesforce API name (letters, digits, _; starting with a letter), e.g. Account or External_Id__c',
});

/** Per-stream options (`StreamRef.options`, `objects.<name>.crm.*` in tandem.yaml) the Salesforce connector accepts. */
export const salesforceStreamOptionsSchema = z
  .object({
    lookbackSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600)
      .default(0)
      .describe('How far back each CRM read re-reads, in seconds. Default 0.'),
    deletes: z
      .enum(['delete', 'ignore'])
      .default('delete')
      .describe(
        "What a delete coming from the ERP does in the CRM; 'delete' also reads soft deletes (queryAll + IsDeleted).",
      ),
  })
  .strict();

export type SalesforceStreamOptions = z.output<typeof salesforceStreamOptionsSchema>;

const STREAM_OPTION_KEYS = Object.keys(salesforceStreamOptionsSchema.shape);

/**
 * Validates the connector config once, reporting every problem together (never echoing values: secrets stay out).
 *
 * @example
 * ```ts
 * const config = parseSalesforceConnectorConfig({ loginUrl: emu.url, auth: { flow: 'client_credentials', clientId, clientSecret } })
 * ```
 */
export function parseSalesforceConnectorConfig(
  input: unknown,
  where: { file?: string; path?: string } = {},
): SalesforceConnectorConfig {
  const parsed = salesforceConnectorConfigSchema.safeParse(input);
  if (parsed.success) return Object.freeze(parsed.data);
  const issues = toIssues(parsed.error.issues, where.file ?? 'tandem.yaml', where.path ?? 'crm');
  throw new ConfigError(
    `invalid Salesforce connector config: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    issues,
  );
}

/** Validates one stream's options; unknown keys are rejected with the list of allowed ones. */
export function parseSalesforceStreamOptions(streamName: string, options: unknown): SalesforceStreamOptions {
  const parsed = salesforceStreamOptionsSchema.safeParse(options ?? {});
  if (parsed.success) return Object.freeze(parsed.data);
  const issues = toIssues(parsed.error.issues, 'tandem.yaml', `objects.${streamName}.crm.options`).map((i) =>
    i.message.toLowerCase().includes('unrecognized')
      ? { ...i, message: `${i.message}; allowed: ${STREAM_OPTION_KEYS.join(', ')}` }
      : i,
  );
  throw new ConfigError(
    `invalid Salesforce options for stream '${streamName}': ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    issues,
  );
}

function toIssues(zodIssues: readonly z.core.$ZodIssue[], file: string, prefix: string): ConfigIssue[] {
  return zodIssues.map((issue) => ({
    file,
    path: [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.'),
    message: issue.message,
  }));
}
