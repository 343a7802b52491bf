import { QuotaExceededError } from '../../util/errors.js';

/** Daily API usage as Salesforce reports it: `Sforce-Limit-Info: api-usage=18/5000`. */
export interface ApiUsage {
  readonly used: number;
  readonly max: number;
}

/** Parses `api-usage=18/5000` (possibly followed by `; per-app-api-usage=...`). Undefined when absent or unreadable. */
export function parseLimitInfo(header: string | undefined): ApiUsage | undefined {
  if (!header) return undefined;
  const m = /(?:^|[;,\s])api-usage=(\d+)\/(\d+)/i.exec(header);
  if (!m) return undefined;
  const used = Number(m[1]);
  const max = Number(m[2]);
  if (!Number.isFinite(used) || !Number.isFinite(max) || max <= 0) return undefined;
  return { used, max };
}

/** Calls that may still be made while keeping `reserveShare` of `max` for other integrations. */
export function callsLeftAboveReserve(usage: ApiUsage, reserveShare: number): number {
  return usage.max - usage.used - Math.ceil(usage.max * reserveShare);
}

/**
 * Keeps the daily API budget in view: the latest usage any response reported, and the share of it tandem must leave
 * to other integrations. `assertCanCall` throws `QuotaExceededError` before a call that would eat into the reserve,
 * so a run stops cleanly and resumes on a later run (jobs stay in the ledger).
 *
 * @example
 * ```ts
 * const limits = new ApiLimits({ reserveShare: 0.2 })
 * const http = withLimits(request, limits)
 * limits.usage // { used: 18, max: 5000 } after the first response
 * ```
 */
export class ApiLimits {
  readonly reserveShare: number;
  #usage: ApiUsage | undefined;
  #calls = 0;

  constructor(options: { reserveShare: number }) {
    if (!(options.reserveShare >= 0 && options.reserveShare <= 1)) {
      throw new RangeError(`reserveShare must be between 0 and 1, got ${options.reserveShare}`);
    }
    this.reserveShare = options.reserveShare;
  }

  /** The last usage reported, if any. */
  get usage(): ApiUsage | undefined {
    return this.#usage;
  }

  /** API calls made through this tracker (every attempt counts, as it does for Salesforce). */
  get calls(): number {
    return this.#calls;
  }

  observe(usage: ApiUsage | undefined): void {
    if (usage) this.#usage = usage;
  }

  /** Throws QuotaExceededError when the next call would go below the reserve. */
  assertCanCall(what: string): void {
    const usage = this.#usage;
    if (usage && callsLeftAboveReserve(usage, this.reserveShare) <= 0) {
      throw new QuotaExceededError(
        `Salesforce API budget reserve reached before ${what}: ${usage.used} of ${usage.max} daily calls used, ` +
          `${Math.round(this.reserveShare * 100)}% is kept for other integrations (apiReserveShare). ` +
          'The run stopped cleanly; open jobs resume on the next run. Lower apiReserveShare or wait for the 24 h window to roll.',
        { used: usage.used, max: usage.max, reserveShare: this.reserveShare, call: what },
      );
    }
  }

  countCall(): void {
    this.#calls += 1;
  }
}
