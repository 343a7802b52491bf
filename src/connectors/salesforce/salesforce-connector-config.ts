import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../../util/errors.js';

const MB = 1024 * 1024;

const clientCredentials = z
  .object({ flow: z.literal('client_credentials'), clientId: z.string().min(1), clientSecret: z.string().min(1) })
  .strict();
const jwtBearer = z
  .object({
    flow: z.literal('jwt'),
    clientId: z.string().min(1),
    username: z.string().min(1),
    privateKeyPem: z
      .string()
      .includes('PRIVATE KEY', { message: 'must be a PEM private key (-----BEGIN PRIVATE KEY-----)' }),
    audience: z.string().url().optional(),
  })
  .strict();

/** tandem.yaml's `crm` section for Salesforce. Unknown keys are rejected. */
export const salesforceConnectorConfigSchema = z
  .object({
    /** Where tokens come from: the My Domain URL (client credentials), or login/test.salesforce.com (JWT). */
    loginUrl: z.string().url(),
    /** API host; default the token response's `instance_url`. */
    instanceUrl: z.string().url().optional(),
    apiVersion: z
      .string()
      .regex(/^\d{2,3}\.\d$/, { message: 'must look like 62.0' })
      .default('62.0'),
    auth: z.discriminatedUnion('flow', [clientCredentials, jwtBearer]),
    /** First poll interval of a job; later polls wait longer (x1.5 each) up to pollMaxIntervalMs. */
    pollIntervalMs: z.number().int().positive().default(1000),
    pollMaxIntervalMs: z.number().int().positive().default(20_000),
    /** How long one run waits for a job; after it the job is "unknown" and resumed next run. */
    pollTimeoutMs: z.number().int().positive().default(600_000),
    /** Largest CSV upload (one PUT); Salesforce allows 100 MB of raw CSV. */
    maxUploadBytes: z
      .number()
      .int()
      .positive()
      .max(100 * MB)
      .default(100 * MB),
    /** Share of the org's daily API requests left for other integrations (0..1). */
    apiReserveShare: z.number().min(0).max(1).default(0.2),
    /** Rows per query results page (maxRecords). */
    queryPageSize: z.number().int().positive().max(1_000_000).default(50_000),
    /** Retry budget of one HTTP call (defaults: BACKOFF_DEFAULTS). */
    retry: z
      .object({
        initialDelayMs: z.number().int().min(0),
        multiplier: z.number().min(1),
        maxDelayMs: z.number().int().min(0),
        maxRetries: z.number().int().min(0),
        maxElapsedMs: z.number().int().min(0),
        maxRetryAfterMs: z.number().int().min(0),
      })
      .partial()
      .strict()
      .optional(),
  })
  .strict();

export type SalesforceConnectorConfigInput = z.input<typeof salesforceConnectorConfigSchema>;
export type SalesforceConnectorConfig = z.output<typeof salesforceConnectorConfigSchema>;

/** The CRM side's default lookback: five minutes, as the ERP's. */
export const CRM_DEFAULT_LOOKBACK_SECONDS = 300;

/** Per-stream options (`StreamRef.options`) the Salesforce connector accepts. */
export const salesforceStreamOptionsSchema = z
  .object({
    /**
     * Seconds re-read before the watermark on every incremental read (default 300): a record whose SystemModstamp
     * becomes visible late (a long transaction, asynchronous processing) is still read. Re-read records that did not
     * change are dropped by the diff, so the cost is re-reading, never a write.
     */
    lookbackSeconds: z.number().int().min(0).default(CRM_DEFAULT_LOOKBACK_SECONDS),
    /** `delete`: read soft deletes with queryAll + IsDeleted; `ignore`: read live records only. */
    deletes: z.enum(['delete', 'ignore']).default('delete'),
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
