import { z } from 'zod';

/** Rate-limit tiers of privately distributed apps: requests per rolling 10 seconds, and per day. */
export const HUBSPOT_RATE_TIERS = Object.freeze({
  starter: { per10Seconds: 100, daily: 250_000 },
  professional: { per10Seconds: 190, daily: 625_000 },
  enterprise: { per10Seconds: 190, daily: 1_000_000 },
  'api-add-on': { per10Seconds: 250, daily: 2_000_000 },
  /** Publicly distributed (OAuth) apps: 110 per 10 s per installing account, no daily cap of their own. */
  'public-app': { per10Seconds: 110, daily: 1_000_000 },
});

const secretReference = (what: string) =>
  z.string().min(1, { error: `${what} must not be empty; write it as an \${ENV} reference` });

const privateApp = z
  .object({
    kind: z.literal('private-app'),
    accessToken: secretReference('auth.accessToken').describe(
      'The private app access token (pat-…); only as an ${ENV} reference, e.g. ${HUBSPOT_TOKEN}.',
    ),
  })
  .strict()
  .describe('A private app ("static") access token: Authorization: Bearer, never expires.');

const oauth = z
  .object({
    kind: z.literal('oauth'),
    clientId: z.string().min(1).describe('The app client id.'),
    clientSecret: secretReference('auth.clientSecret').describe('The app client secret; only as an ${ENV} reference.'),
    refreshToken: secretReference('auth.refreshToken').describe(
      'The refresh token of the installed account; only as an ${ENV} reference.',
    ),
    tokenUrl: z
      .string()
      .url()
      .optional()
      .describe('Token endpoint; default <baseUrl>/oauth/v3/token (v1 is switched off on 2027-02-16).'),
  })
  .strict()
  .describe('OAuth 2.0 with a refresh token: access tokens (30 min) refreshed before expiry and on a 401.');

/**
 * The `crm:` section for `type: hubspot` (besides `type`): the single declaration of the connector's settings.
 *
 * @example
 * ```yaml
 * crm:
 *   type: hubspot
 *   auth: { kind: private-app, accessToken: ${HUBSPOT_TOKEN} }
 *   tier: professional
 * ```
 */
export const hubspotSettingsSchema = z
  .object({
    baseUrl: z
      .string()
      .url()
      .default('https://api.hubapi.com')
      .describe('API origin; the emulator prints its own (tandem emulator hubspot).'),
    auth: z.discriminatedUnion('kind', [privateApp, oauth]),
    tier: z
      .enum(
        Object.keys(HUBSPOT_RATE_TIERS) as [keyof typeof HUBSPOT_RATE_TIERS, ...(keyof typeof HUBSPOT_RATE_TIERS)[]],
      )
      .default('professional')
      .describe("The account's rate-limit tier: starter, professional, enterprise, api-add-on, public-app."),
    budgets: z
      .object({
        per10Seconds: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe('Requests per rolling 10 seconds (overrides the tier).'),
        daily: z.number().int().min(1).optional().describe('Requests per day (overrides the tier).'),
      })
      .strict()
      .optional()
      .describe('Explicit budgets instead of the tier.'),
    apiReserveShare: z
      .number()
      .min(0)
      .max(0.95)
      .default(0.2)
      .describe('Share of the 10-second and daily budgets tandem leaves to other integrations (0..0.95).'),
    searchesPerSecond: z
      .number()
      .int()
      .min(1)
      .max(5)
      .default(4)
      .describe('Search requests per second (HubSpot allows 5 per account).'),
    concurrency: z.number().int().min(1).max(16).default(4).describe('Batch requests in flight at once.'),
    requestTimeoutMs: z
      .number()
      .int()
      .min(100)
      .default(60_000)
      .describe('How long one request may take; a write that timed out is resolved by reading it back.'),
    indexLagSeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(30)
      .describe('How far each incremental search re-reads, covering the search index lag (default 30 s).'),
    traceIds: z
      .boolean()
      .default(true)
      .describe(
        'Send objectWriteTraceId with each input (HubSpot then answers 207 per record instead of failing the batch).',
      ),
    retry: z
      .object({
        maxRetries: z.number().int().min(0).optional(),
        initialDelayMs: z.number().int().min(0).optional(),
        maxDelayMs: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type HubSpotSettingsInput = z.input<typeof hubspotSettingsSchema>;
export type HubSpotSettings = z.output<typeof hubspotSettingsSchema>;

/**
 * Per-stream options (`objects.<name>.crm.options`). The key property is the mapping's `externalId`, HubSpot's
 * `idProperty`: a property with unique values (`email` on contacts, or a custom one created with hasUniqueValue).
 */
export const hubspotStreamOptionsSchema = z
  .object({
    idProperty: z
      .string()
      .regex(/^[a-z0-9_]+$/)
      .optional()
      .describe('The unique property upserts address records by; default the mapping externalId.'),
    lookbackSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600)
      .optional()
      .describe('Seconds each incremental read re-reads (default: the connector indexLagSeconds).'),
    deletes: z
      .enum(['delete', 'ignore'])
      .default('delete')
      .describe("'delete': report HubSpot deletes (read from the archived listing); 'ignore': live records only."),
  })
  .strict();

export type HubSpotStreamOptions = z.output<typeof hubspotStreamOptionsSchema>;

/** Requests per rolling 10 s and per day that tandem may use, after the reserve for other integrations. */
export function effectiveBudgets(settings: HubSpotSettings): { per10Seconds: number; daily: number } {
  const tier = HUBSPOT_RATE_TIERS[settings.tier];
  const per10 = settings.budgets?.per10Seconds ?? tier.per10Seconds;
  const daily = settings.budgets?.daily ?? tier.daily;
  const share = 1 - settings.apiReserveShare;
  return { per10Seconds: Math.max(1, Math.floor(per10 * share)), daily: Math.max(1, Math.floor(daily * share)) };
}
