import { z } from 'zod';
import { EmulatorConfigError } from './emulator-errors.js';

export const FAULT_KINDS = ['500', '502', '503', '429', '403-quota'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * Fault injection, all off by default. Settable by options, CLI flags and `PUT /__emulator/faults`.
 *
 * @example
 * ```ts
 * emulator.setFaults({ seed: 7, errorRate: 0.2, errorKinds: ['503', '429'], retryAfterSeconds: 1 })
 * ```
 */
export interface FaultConfig {
  /** Seed of the deterministic pseudo-random decisions (tests rely on it). */
  readonly seed?: number;
  /** 0..1 share of REST API requests (not the token endpoint, not /__emulator) answered with an error instead. */
  readonly errorRate?: number;
  /** Which errors; default ['503']. */
  readonly errorKinds?: readonly FaultKind[];
  /** Sent as Retry-After on 429/503 when set. */
  readonly retryAfterSeconds?: number;
  /** Slow jobs: extra delay before each internal batch is processed. */
  readonly jobDelayMs?: number;
  /** An ingest job ends Failed after processing this many records; the rest appear in unprocessedrecords. */
  readonly failJobAfterRecords?: number;
  /** Access tokens expire after this long -> 401 INVALID_SESSION_ID. */
  readonly tokenTtlSeconds?: number;
  /** 0..1 share of REST API requests whose socket is destroyed without an answer. */
  readonly dropConnectionRate?: number;
  /** Every REST API request answers 403 REQUEST_LIMIT_EXCEEDED until turned off. */
  readonly quotaExhausted?: boolean;
}

export const faultConfigSchema = z
  .object({
    seed: z.number().int().optional(),
    errorRate: z.number().min(0).max(1).optional(),
    errorKinds: z.array(z.enum(FAULT_KINDS)).min(1).optional(),
    retryAfterSeconds: z.number().int().min(0).optional(),
    jobDelayMs: z.number().int().min(0).optional(),
    failJobAfterRecords: z.number().int().min(0).optional(),
    tokenTtlSeconds: z.number().min(0).optional(),
    dropConnectionRate: z.number().min(0).max(1).optional(),
    quotaExhausted: z.boolean().optional(),
  })
  .strict();

/** Validates a FaultConfig from an untrusted source (admin API, CLI); throws EmulatorConfigError listing every issue. */
export function parseFaultConfig(input: unknown, source: string): FaultConfig {
  const parsed = faultConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new EmulatorConfigError(
      `${source}: invalid fault config: ${issues.join('; ')}. Fields: seed, errorRate (0..1), errorKinds (${FAULT_KINDS.join(', ')}), retryAfterSeconds, jobDelayMs, failJobAfterRecords, tokenTtlSeconds, dropConnectionRate (0..1), quotaExhausted.`,
      { source, issues },
    );
  }
  return Object.freeze(Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)));
}

/** What to do with one REST API request. */
export type FaultDecision =
  { readonly kind: 'none' } | { readonly kind: 'drop' } | { readonly kind: 'error'; readonly error: FaultKind };

/** Seeded decisions (mulberry32), so a test with a seed sees the same faults on every run. */
export class FaultInjector {
  #config: FaultConfig = {};
  #state = 0;

  constructor(config: FaultConfig = {}) {
    this.set(config);
  }

  get config(): FaultConfig {
    return this.#config;
  }

  /** Replaces the config and reseeds. */
  set(config: FaultConfig): void {
    this.#config = Object.freeze({ ...config });
    this.#state = (config.seed ?? 1) >>> 0;
  }

  #random(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Decides the fate of one REST API request. */
  decide(): FaultDecision {
    const c = this.#config;
    if (c.quotaExhausted) return { kind: 'error', error: '403-quota' };
    if (c.dropConnectionRate && this.#random() < c.dropConnectionRate) return { kind: 'drop' };
    if (c.errorRate && this.#random() < c.errorRate) {
      const kinds = c.errorKinds && c.errorKinds.length > 0 ? c.errorKinds : (['503'] as const);
      return { kind: 'error', error: kinds[Math.floor(this.#random() * kinds.length)] ?? '503' };
    }
    return { kind: 'none' };
  }
}
