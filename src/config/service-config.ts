import type { z } from 'zod';
import {
  SERVICE_DEFAULTS,
  type NotifyEvent,
  type notifyTargetSchema,
  type historySectionSchema,
  type retentionSectionSchema,
  type scheduleSectionSchema,
  type serveSectionSchema,
} from './service-config-schema.js';

/** `schedule:` as the engine sees it. `cron` is the `sync --schedule` expression (schedule.cron, else increment). */
export interface ScheduleConfig {
  readonly cron: string;
  readonly increment?: string;
  readonly full?: string;
  /** Per object; `null` turns that schedule off for the object. */
  readonly objects?: Readonly<Record<string, { readonly increment?: string | null; readonly full?: string | null }>>;
}

/** `serve:`: the long-running service's endpoint, leases and shutdown. */
export interface ServeConfig {
  readonly host: string;
  readonly port: number;
  /** Name of the environment variable holding the API bearer token (read by the CLI, never stored here). */
  readonly tokenEnv: string;
  readonly graceSeconds: number;
  readonly leaseSeconds: number;
  readonly concurrency: number;
  readonly retryLimit: number;
  readonly retryDelaySeconds: number;
  readonly pollSeconds: number;
}

/** One webhook target of `notify:`. */
export interface NotifyTarget {
  readonly url: string;
  readonly events: readonly NotifyEvent[];
  readonly secret: string;
  readonly timeoutMs: number;
  readonly retries: number;
}

/** `retention:` in days per kind of stored record values (0: drop as soon as it is no longer needed). */
export interface RetentionConfig {
  readonly staged: number;
  readonly planned: number;
  readonly decisions: number;
  readonly runs: number;
  readonly failed: number;
  /** Records' timeline events (`record_event`). */
  readonly history: number;
}

/** `history:`: what tandem keeps of each record's history. */
export interface HistoryConfig {
  /** Append each record's timeline events to `record_event` (default true). */
  readonly recordEvents: boolean;
}

export const DEFAULT_SERVE: ServeConfig = {
  host: SERVICE_DEFAULTS.host,
  port: SERVICE_DEFAULTS.port,
  tokenEnv: SERVICE_DEFAULTS.tokenEnv,
  graceSeconds: SERVICE_DEFAULTS.graceSeconds,
  leaseSeconds: SERVICE_DEFAULTS.leaseSeconds,
  concurrency: SERVICE_DEFAULTS.concurrency,
  retryLimit: SERVICE_DEFAULTS.retryLimit,
  retryDelaySeconds: SERVICE_DEFAULTS.retryDelaySeconds,
  pollSeconds: SERVICE_DEFAULTS.pollSeconds,
};

export function scheduleFromYaml(
  yaml: z.output<typeof scheduleSectionSchema> | null | undefined,
): ScheduleConfig | null {
  if (!yaml) return null;
  const cron = yaml.cron ?? yaml.increment ?? yaml.full;
  if (cron === undefined) return null;
  return {
    cron,
    ...(yaml.increment !== undefined ? { increment: yaml.increment } : {}),
    ...(yaml.full !== undefined ? { full: yaml.full } : {}),
    ...(yaml.objects !== undefined
      ? {
          objects: Object.fromEntries(
            Object.entries(yaml.objects).map(([name, o]) => [
              name,
              {
                ...(o.increment !== undefined ? { increment: o.increment } : {}),
                ...(o.full !== undefined ? { full: o.full } : {}),
              },
            ]),
          ),
        }
      : {}),
  };
}

export function serveFromYaml(yaml: z.output<typeof serveSectionSchema> | null | undefined): ServeConfig {
  return yaml ? { ...yaml } : DEFAULT_SERVE;
}

export function notifyFromYaml(
  yaml: readonly z.output<typeof notifyTargetSchema>[] | null | undefined,
): NotifyTarget[] {
  return (yaml ?? []).map((t) => ({ ...t, events: [...new Set(t.events)] }));
}

export function retentionFromYaml(yaml: z.output<typeof retentionSectionSchema> | null | undefined): RetentionConfig {
  const all = yaml?.days ?? SERVICE_DEFAULTS.retentionDays;
  return {
    staged: yaml?.staged ?? all,
    planned: yaml?.planned ?? all,
    decisions: yaml?.decisions ?? all,
    runs: yaml?.runs ?? all,
    failed: yaml?.failed ?? all,
    history: yaml?.history ?? all,
  };
}

export function historyFromYaml(yaml: z.output<typeof historySectionSchema> | null | undefined): HistoryConfig {
  return { recordEvents: yaml?.recordEvents ?? true };
}

/**
 * The cron expressions of one object: its own (schedule.objects.<name>) or the sync's. Undefined: not scheduled.
 */
export function objectSchedules(
  schedule: ScheduleConfig | null,
  object: string,
): { readonly increment?: string; readonly full?: string } {
  if (!schedule) return {};
  const own = schedule.objects?.[object];
  const increment = own && own.increment !== undefined ? own.increment : (schedule.increment ?? schedule.cron);
  const full = own && own.full !== undefined ? own.full : schedule.full;
  return { ...(increment ? { increment } : {}), ...(full ? { full } : {}) };
}
