import { z } from 'zod';
import { HubSpotEmulatorConfigError } from './emulator-errors.js';

export const HUBSPOT_FAULT_KINDS = ['500', '502', '503', '504', '423', '429', '429-daily'] as const;
export type HubSpotFaultKind = (typeof HUBSPOT_FAULT_KINDS)[number];

/**
 * Fault injection, all off by default. Set by start options, CLI flags and `PUT /__emulator/faults` (admin token).
 *
 * @example
 * ```ts
 * emulator.setFaults({ seed: 7, errorRate: 0.2, errorKinds: ['503', '429'] })
 * ```
 */
export interface HubSpotFaultConfig {
  /** Seed of the deterministic pseudo-random decisions. */
  readonly seed?: number;
  /** 0..1 share of API requests (not token, not admin) answered with an error instead. */
  readonly errorRate?: number;
  /** Which errors; default ['503']. `429` is TEN_SECONDLY_ROLLING, `429-daily` is DAILY. */
  readonly errorKinds?: readonly HubSpotFaultKind[];
  /** Sent as Retry-After (seconds) on injected 429/503/423 when set. */
  readonly retryAfterSeconds?: number;
  /** 0..1 share of API requests whose socket is destroyed without an answer (before anything is applied). */
  readonly dropConnectionRate?: number;
  /** Access tokens issued from now on expire after this many seconds (401 EXPIRED_AUTHENTICATION). */
  readonly tokenTtlSeconds?: number;
  /** Every API request answers 429 DAILY until turned off. */
  readonly dailyLimitExhausted?: boolean;
  /** Write requests are applied, then answered only after this delay (a client that times out must not re-create). */
  readonly writeResponseDelayMs?: number;
  /** The next N write requests are applied and then the connection is dropped without an answer. */
  readonly dropAfterApply?: number;
}

export const hubspotFaultConfigSchema = z
  .object({
    seed: z.number().int().optional(),
    errorRate: z.number().min(0).max(1).optional(),
    errorKinds: z.array(z.enum(HUBSPOT_FAULT_KINDS)).min(1).optional(),
    retryAfterSeconds: z.number().int().min(0).optional(),
    dropConnectionRate: z.number().min(0).max(1).optional(),
    tokenTtlSeconds: z.number().min(0).optional(),
    dailyLimitExhausted: z.boolean().optional(),
    writeResponseDelayMs: z.number().int().min(0).optional(),
    dropAfterApply: z.number().int().min(0).optional(),
  })
  .strict();

/** Validates a fault config from an untrusted source; throws HubSpotEmulatorConfigError listing every issue. */
export function parseHubSpotFaultConfig(input: unknown, source: string): HubSpotFaultConfig {
  const parsed = hubspotFaultConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new HubSpotEmulatorConfigError(
      `${source}: invalid fault config: ${issues.join('; ')}. Fields: seed, errorRate (0..1), errorKinds (${HUBSPOT_FAULT_KINDS.join(', ')}), retryAfterSeconds, dropConnectionRate (0..1), tokenTtlSeconds, dailyLimitExhausted, writeResponseDelayMs, dropAfterApply.`,
      { source, issues },
    );
  }
  return Object.freeze(Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)));
}

export type HubSpotFaultDecision =
  { readonly kind: 'none' } | { readonly kind: 'drop' } | { readonly kind: 'error'; readonly error: HubSpotFaultKind };

/** Seeded decisions (mulberry32), so a test with a seed sees the same faults on every run. */
export class HubSpotFaultInjector {
  #config: HubSpotFaultConfig = {};
  #state = 0;
  #dropsAfterApply = 0;

  constructor(config: HubSpotFaultConfig = {}) {
    this.set(config);
  }

  get config(): HubSpotFaultConfig {
    return this.#config;
  }

  set(config: HubSpotFaultConfig): void {
    this.#config = Object.freeze({ ...config });
    this.#state = (config.seed ?? 1) >>> 0;
    this.#dropsAfterApply = config.dropAfterApply ?? 0;
  }

  random(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** The fate of one API request, decided before it is handled. */
  decide(): HubSpotFaultDecision {
    const c = this.#config;
    if (c.dailyLimitExhausted) return { kind: 'error', error: '429-daily' };
    if (c.dropConnectionRate && this.random() < c.dropConnectionRate) return { kind: 'drop' };
    if (c.errorRate && this.random() < c.errorRate) {
      const kinds = c.errorKinds && c.errorKinds.length > 0 ? c.errorKinds : (['503'] as const);
      return { kind: 'error', error: kinds[Math.floor(this.random() * kinds.length)] ?? '503' };
    }
    return { kind: 'none' };
  }

  /** Whether this applied write is answered by a dropped connection (consumes one of `dropAfterApply`). */
  takeDropAfterApply(): boolean {
    if (this.#dropsAfterApply <= 0) return false;
    this.#dropsAfterApply--;
    return true;
  }
}
