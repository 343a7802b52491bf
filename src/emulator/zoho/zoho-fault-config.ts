import { z } from 'zod';
import { ZohoEmulatorConfigError } from './zoho-emulator-errors.js';

export const ZOHO_FAULT_KINDS = ['500', '429', 'invalid-token'] as const;
export type ZohoFaultKind = (typeof ZOHO_FAULT_KINDS)[number];

/**
 * Fault injection, all off by default. Settable by options, CLI flags and `PUT /__emulator/faults` (admin token).
 *
 * @example
 * ```ts
 * emulator.setFaults({ seed: 7, errorRate: 0.2, errorKinds: ['429'], shuffleResultRows: true })
 * ```
 */
export interface ZohoFaultConfig {
  /** Seed of the deterministic pseudo-random decisions. */
  readonly seed?: number;
  /** 0..1 share of API requests (not the token endpoint, not /__emulator) answered with an error instead. */
  readonly errorRate?: number;
  /** Which errors; default ['500']. */
  readonly errorKinds?: readonly ZohoFaultKind[];
  /** Bulk-write and bulk-read jobs stay ADDED, then IN PROGRESS, this long each (default: the emulator's jobDelayMs). */
  readonly jobDelayMs?: number;
  /** A bulk-write job ends FAILED after this many rows; the rest are `unprocessed` in its result file. */
  readonly failJobAfterRecords?: number;
  /** Bulk-write result rows come back in another (seeded) order than the upload's. */
  readonly shuffleResultRows?: boolean;
  /** Bulk-write `download_url` is absolute (as download-accl.zoho.com's are) instead of relative. */
  readonly absoluteDownloadUrls?: boolean;
  /** Access tokens expire after this many seconds (default 3600). */
  readonly tokenTtlSeconds?: number;
}

export const zohoFaultConfigSchema = z
  .object({
    seed: z.number().int().optional(),
    errorRate: z.number().min(0).max(1).optional(),
    errorKinds: z.array(z.enum(ZOHO_FAULT_KINDS)).min(1).optional(),
    jobDelayMs: z.number().int().min(0).optional(),
    failJobAfterRecords: z.number().int().min(0).optional(),
    shuffleResultRows: z.boolean().optional(),
    absoluteDownloadUrls: z.boolean().optional(),
    tokenTtlSeconds: z.number().int().min(1).optional(),
  })
  .strict();

/** Validates a fault config from an untrusted source (admin API, CLI flags). */
export function parseZohoFaultConfig(input: unknown, source: string): ZohoFaultConfig {
  const parsed = zohoFaultConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ZohoEmulatorConfigError(
      `${source}: invalid fault config: ${issues.join('; ')}. Fields: seed, errorRate (0..1), errorKinds (${ZOHO_FAULT_KINDS.join(', ')}), jobDelayMs, failJobAfterRecords, shuffleResultRows, absoluteDownloadUrls, tokenTtlSeconds.`,
      { source, issues },
    );
  }
  return Object.freeze(Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)));
}

/** Seeded pseudo-random decisions (mulberry32), so a seeded test sees the same faults every run. */
export class SeededRandom {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** A Fisher-Yates shuffle of a copy. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}
