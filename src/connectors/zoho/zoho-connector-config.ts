import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../../util/errors.js';
import { ZOHO_DATA_CENTERS, ZOHO_HOSTS, type ZohoHosts } from './zoho-data-centers.js';

const MB = 1024 * 1024;

/**
 * tandem.yaml's `crm` section for Zoho CRM (besides `type: zoho`): the single declaration of its settings. Secrets
 * come in as `${ENV}` references, substituted before this schema sees them. Unknown keys are rejected.
 */
export const zohoSettingsSchema = z
  .object({
    /** Which Zoho data centre the org lives in; hosts are derived from it. */
    dataCenter: z.enum(ZOHO_DATA_CENTERS).default('us'),
    /** Overrides of the derived hosts (sandboxes, the emulator). */
    accountsUrl: z.string().url().optional(),
    apiDomain: z.string().url().optional(),
    uploadUrl: z.string().url().optional(),
    apiVersion: z
      .string()
      .regex(/^v[2-8]$/, { message: 'must look like v7' })
      .default('v7'),
    /** The org's zgid for X-CRM-ORG; default: read from GET /crm/{v}/org at start. */
    orgId: z.string().regex(/^\d+$/).optional(),
    /** OAuth refresh-token grant: client id/secret and refresh token, as ${ENV} references. */
    auth: z
      .object({ clientId: z.string().min(1), clientSecret: z.string().min(1), refreshToken: z.string().min(1) })
      .strict(),
    /** The org's API credits per 24 hours (edition and licences decide it; see Zoho's API dashboard). */
    dailyCredits: z.number().int().positive().default(50_000),
    /** Share of the daily credits left for other integrations (0..1): below it, the run stops (exit 3). */
    creditReserveShare: z.number().min(0).max(1).default(0.2),
    /**
     * `auto`: per run, Bulk Write when it costs fewer credits than REST upserts (500 per job vs 1 per 10 records);
     * `bulk` / `rest` force one path.
     */
    writePath: z.enum(['auto', 'bulk', 'rest']).default('auto'),
    /** Records per Bulk Write file (Zoho: at most 25,000) and bytes per zipped file (at most 25 MB). */
    maxRecordsPerFile: z.number().int().positive().max(25_000).default(25_000),
    maxFileBytes: z
      .number()
      .int()
      .positive()
      .max(25 * MB)
      .default(25 * MB),
    /** First poll interval of a bulk job; later polls wait longer (x1.5) up to pollMaxIntervalMs. */
    pollIntervalMs: z.number().int().positive().default(2_000),
    pollMaxIntervalMs: z.number().int().positive().default(20_000),
    /** How long one run waits for a bulk job; after it the job is resumed by the next run. */
    pollTimeoutMs: z.number().int().positive().default(900_000),
    /** Retries of one call on 429 (not the daily limit), 5xx and network errors. */
    retry: z
      .object({
        maxRetries: z.number().int().min(0),
        initialDelayMs: z.number().int().min(0),
        maxDelayMs: z.number().int().min(0),
      })
      .partial()
      .strict()
      .default({}),
  })
  .strict();

export type ZohoSettingsInput = z.input<typeof zohoSettingsSchema>;
export type ZohoSettings = z.output<typeof zohoSettingsSchema>;

/** Per-stream options (`objects[].crm.options`) the Zoho connector accepts. */
export const zohoStreamOptionsSchema = z
  .object({
    /** Seconds re-read before the watermark on every incremental read (the watermark's own second always is). */
    lookbackSeconds: z.number().int().min(0).default(0),
    /**
     * `delete`: increments also read Zoho's deleted-records endpoint and report those deletes (by Zoho id; the engine
     * finds the key through the ids it stores); `ignore`: live records only (deletes are found by `sync --full`).
     */
    deletes: z
      .enum(['delete', 'ignore'])
      .default('delete')
      .describe(
        "'delete': increments also read Zoho's deleted-records endpoint and report those deletes; 'ignore': live records only (deletes found by sync --full).",
      ),
  })
  .strict();
export type ZohoStreamOptions = z.output<typeof zohoStreamOptionsSchema>;

/** The hosts to use: the data centre's, each overridable. */
export function zohoHosts(settings: ZohoSettings): ZohoHosts {
  const dc = ZOHO_HOSTS[settings.dataCenter];
  const trim = (u: string): string => u.replace(/\/+$/, '');
  return {
    accountsUrl: trim(settings.accountsUrl ?? dc.accountsUrl),
    apiDomain: trim(settings.apiDomain ?? dc.apiDomain),
    uploadUrl: trim(settings.uploadUrl ?? settings.apiDomain ?? dc.uploadUrl),
  };
}

/** Validates the settings, reporting every problem together (values are never echoed: secrets stay out). */
export function parseZohoSettings(input: unknown, where: { file?: string; path?: string } = {}): ZohoSettings {
  const parsed = zohoSettingsSchema.safeParse(input);
  if (parsed.success) return Object.freeze(parsed.data);
  const issues = toIssues(parsed.error.issues, where.file ?? 'tandem.yaml', where.path ?? 'crm');
  throw new ConfigError(
    `invalid Zoho connector config: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    issues,
  );
}

export function parseZohoStreamOptions(streamName: string, options: unknown): ZohoStreamOptions {
  const parsed = zohoStreamOptionsSchema.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  const issues = toIssues(parsed.error.issues, 'tandem.yaml', `objects.${streamName}.crm.options`);
  throw new ConfigError(
    `invalid Zoho options for stream '${streamName}': ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}; allowed: lookbackSeconds, deletes (delete | ignore)`,
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
