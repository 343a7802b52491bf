import cron from 'node-cron';
import { z } from 'zod';
import { unknownKeysMessage } from '../util/closest-match.js';

/**
 * The zod schema of the sections `tandem serve` reads: `schedule:` (increment and full crons, per object),
 * `serve:` (HTTP endpoint, lease, grace period), `notify:` (webhooks) and `retention:`. Kept apart from
 * config-schema.ts so the service's settings change in one place.
 */

export const SERVICE_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 8080,
  tokenEnv: 'TANDEM_API_TOKEN',
  graceSeconds: 30,
  leaseSeconds: 300,
  concurrency: 1,
  retryLimit: 3,
  retryDelaySeconds: 30,
  pollSeconds: 2,
  notifyTimeoutMs: 5000,
  notifyRetries: 4,
  retentionDays: 30,
});

export const NOTIFY_EVENTS = [
  'run.succeeded',
  'run.partial',
  'run.failed',
  'quota.exhausted',
  'conflict.queued',
  'record.rejected',
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

function strictObject<T extends z.core.$ZodLooseShape>(shape: T) {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? unknownKeysMessage(issue.keys, allowed) : undefined),
  });
}

const cronExpression = (what: string) =>
  z.string().refine((expression) => cron.validate(expression), {
    error: `${what} is not a valid cron expression; use 5 or 6 fields, e.g. '*/15 * * * *' (every 15 minutes)`,
  });

export const scheduleSectionSchema = strictObject({
  cron: cronExpression('schedule.cron')
    .optional()
    .describe("Cron of `tandem sync --schedule` (node-cron: 5 fields, or 6 with seconds first), e.g. '*/15 * * * *'."),
  increment: cronExpression('schedule.increment')
    .optional()
    .describe('Cron of the incremental runs of `tandem serve` (default: schedule.cron).'),
  full: cronExpression('schedule.full')
    .optional()
    .describe(
      "Cron of the full reconcile runs of `tandem serve` (re-read everything, find deletes), e.g. '0 2 * * *'.",
    ),
  objects: z
    .record(
      z.string().regex(/^[a-z][a-z0-9_]*$/, { error: 'an object name must match [a-z][a-z0-9_]*' }),
      strictObject({
        increment: cronExpression('schedule.objects.<name>.increment').nullish(),
        full: cronExpression('schedule.objects.<name>.full').nullish(),
      }),
    )
    .optional()
    .describe('Per mapped object: its own increment / full crons (null: never on that schedule).'),
})
  .refine((s) => s.cron !== undefined || s.increment !== undefined || s.full !== undefined, {
    error: 'schedule: needs cron, increment or full, e.g. increment: "*/5 * * * *"',
  })
  .describe('When runs happen: `tandem sync --schedule` uses cron; `tandem serve` uses increment and full.');

export const serveSectionSchema = strictObject({
  host: z.string().min(1).default(SERVICE_DEFAULTS.host).describe('Address the HTTP endpoint binds to.'),
  port: z.number().int().min(0).max(65535).default(SERVICE_DEFAULTS.port).describe('HTTP port (0: any free port).'),
  tokenEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, {
      error: 'serve.tokenEnv must be an environment variable name, e.g. TANDEM_API_TOKEN',
    })
    .default(SERVICE_DEFAULTS.tokenEnv)
    .describe('Environment variable holding the bearer token every route but /healthz requires.'),
  graceSeconds: z
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(SERVICE_DEFAULTS.graceSeconds)
    .describe('On SIGTERM/SIGINT: how long a running stage may take to reach a safe point before the process exits.'),
  leaseSeconds: z
    .number()
    .int()
    .min(5)
    .max(24 * 3600)
    .default(SERVICE_DEFAULTS.leaseSeconds)
    .describe('Longest a run may hold its job (pg-boss expiration); a dead replica’s run is retried after it.'),
  concurrency: z
    .number()
    .int()
    .min(1)
    .max(64)
    .default(SERVICE_DEFAULTS.concurrency)
    .describe('Runs (objects) one process executes at once; the other objects go to other replicas.'),
  retryLimit: z
    .number()
    .int()
    .min(0)
    .max(100)
    .default(SERVICE_DEFAULTS.retryLimit)
    .describe('Retries of a failed run.'),
  retryDelaySeconds: z
    .number()
    .int()
    .min(1)
    .max(24 * 3600)
    .default(SERVICE_DEFAULTS.retryDelaySeconds)
    .describe('First retry delay of a failed run; doubles with each retry.'),
  pollSeconds: z
    .number()
    .min(0.5)
    .max(60)
    .default(SERVICE_DEFAULTS.pollSeconds)
    .describe('How often an idle replica looks for due runs.'),
}).describe('`tandem serve`: its HTTP endpoint, leases and shutdown.');

export const notifyTargetSchema = strictObject({
  url: z
    .string()
    .refine((value) => /^https?:\/\//i.test(value) && URL.canParse(value), {
      error: 'notify url must be an http(s) URL, e.g. https://hooks.example.com/tandem',
    })
    .describe('Where events are POSTed as JSON.'),
  events: z
    .array(z.enum(NOTIFY_EVENTS))
    .min(1)
    .describe(`Events this target receives: ${NOTIFY_EVENTS.join(', ')}.`),
  secret: z
    .string()
    .min(16, { error: 'notify secret must be at least 16 characters; use an ${ENV} reference' })
    .describe('HMAC-SHA256 key of the X-Tandem-Signature header; only as an ${ENV} reference.'),
  timeoutMs: z
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(SERVICE_DEFAULTS.notifyTimeoutMs)
    .describe('Longest one delivery attempt may take.'),
  retries: z
    .number()
    .int()
    .min(0)
    .max(10)
    .default(SERVICE_DEFAULTS.notifyRetries)
    .describe('Retries of a failed delivery (backoff 1 s, 2 s, 4 s...).'),
});

const days = (what: string) =>
  z.number().min(0).max(3650).optional().describe(`Days ${what} are kept (default: retention.days).`);

export const historySectionSchema = strictObject({
  recordEvents: z
    .boolean()
    .default(true)
    .describe(
      "Keep each record's timeline (captures, decisions, planned writes, results) in record_event for `tandem history`.",
    ),
}).describe("What tandem keeps of each record's history.");

export const retentionSectionSchema = strictObject({
  days: z
    .number()
    .min(0)
    .max(3650)
    .default(SERVICE_DEFAULTS.retentionDays)
    .describe('Days stored record values are kept (each kind below may override it).'),
  staged: days('staged changes not yet planned'),
  planned: days('planned writes not yet confirmed'),
  decisions: days("decisions' stored values"),
  runs: days('run details'),
  failed: days('failed-record payloads'),
  history: days("records' timeline events (record_event)"),
}).describe('How long tandem keeps copies of record values in its state store (`serve` prunes daily).');
