import { ZohoApiError } from './zoho-emulator-errors.js';

export interface ZohoLimitSettings {
  /** Credits per rolling 24 hours. */
  readonly dailyCredits: number;
  /** Simultaneous API calls per org (Zoho: 5 Free .. 25 Ultimate). */
  readonly concurrency: number;
  /** Simultaneous heavy calls (upsert of more than 10 records, COQL, listing with page tokens): 10. */
  readonly subConcurrency: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Credits over a rolling 24-hour window and the (sub-)concurrency counters. Exceeding any answers 429
 * `TOO_MANY_REQUESTS` with the message Zoho uses for it. Past half the credits, responses carry
 * `X-API-CREDITS-REMAINING`.
 */
export class ZohoApiLimits {
  readonly #settings: ZohoLimitSettings;
  /** (time ms, credits) of spends within the window. */
  #spends: { at: number; credits: number }[] = [];
  #inFlight = 0;
  #heavyInFlight = 0;
  /** Credits spent since start (statistics; never decreases). */
  spentTotal = 0;
  now: () => number = () => Date.now();

  constructor(settings: ZohoLimitSettings) {
    this.#settings = settings;
  }

  get dailyCredits(): number {
    return this.#settings.dailyCredits;
  }

  used(): number {
    const since = this.now() - DAY_MS;
    this.#spends = this.#spends.filter((s) => s.at > since);
    return this.#spends.reduce((n, s) => n + s.credits, 0);
  }

  remaining(): number {
    return Math.max(0, this.#settings.dailyCredits - this.used());
  }

  /** Charges `credits` or throws 429 when the window has not that many left. */
  charge(credits: number): void {
    if (credits <= 0) return;
    if (this.used() + credits > this.#settings.dailyCredits) {
      throw new ZohoApiError(429, 'TOO_MANY_REQUESTS', 'Number of API requests for the 24 hour period is exceeded');
    }
    this.#spends.push({ at: this.now(), credits });
    this.spentTotal += credits;
  }

  /** Sets the credits used in the window (admin API): one spend now of that size. */
  setUsed(credits: number): void {
    this.#spends = credits > 0 ? [{ at: this.now(), credits }] : [];
  }

  /** Headers to add to an answer (`X-API-CREDITS-REMAINING` once past half the credits). */
  headers(): Record<string, string> {
    const used = this.used();
    return used * 2 > this.#settings.dailyCredits ? { 'x-api-credits-remaining': String(this.remaining()) } : {};
  }

  /** Enters a call; the returned function leaves it. Throws 429 when the org has too many calls running. */
  enter(heavy: boolean): () => void {
    if (this.#inFlight >= this.#settings.concurrency) {
      throw new ZohoApiError(429, 'TOO_MANY_REQUESTS', 'The concurrency limit for the org has exceeded');
    }
    if (heavy && this.#heavyInFlight >= this.#settings.subConcurrency) {
      throw new ZohoApiError(429, 'TOO_MANY_REQUESTS', 'The sub-concurrency limit for the org has exceeded');
    }
    this.#inFlight += 1;
    if (heavy) this.#heavyInFlight += 1;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#inFlight -= 1;
      if (heavy) this.#heavyInFlight -= 1;
    };
  }

  toJson(): Record<string, number> {
    return {
      dailyCredits: this.#settings.dailyCredits,
      used: this.used(),
      remaining: this.remaining(),
      spentTotal: this.spentTotal,
      concurrency: this.#settings.concurrency,
      subConcurrency: this.#settings.subConcurrency,
    };
  }
}
