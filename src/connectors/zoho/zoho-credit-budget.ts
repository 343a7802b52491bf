import { QuotaExceededError } from '../../util/errors.js';

/**
 * The org's daily API credits as this process knows them: what it spent itself, corrected by Zoho's
 * `X-API-CREDITS-REMAINING` header whenever one arrives. A call that would leave less than the reserve share
 * (credits kept for other integrations) is refused with QuotaExceededError before it is made: the run stops
 * cleanly (exit 3) and the next run resumes where it stopped.
 *
 * @example
 * ```ts
 * const budget = new ZohoCreditBudget({ dailyCredits: 50_000, reserveShare: 0.2 })
 * budget.require(500, 'bulk write job')
 * budget.spent(500)
 * ```
 */
export class ZohoCreditBudget {
  readonly dailyCredits: number;
  readonly reserveShare: number;
  #remaining: number;
  /** Credits spent by this process (statistics). */
  spentTotal = 0;

  constructor(options: { dailyCredits: number; reserveShare: number }) {
    this.dailyCredits = options.dailyCredits;
    this.reserveShare = options.reserveShare;
    this.#remaining = options.dailyCredits;
  }

  get reserve(): number {
    return Math.ceil(this.dailyCredits * this.reserveShare);
  }

  get remaining(): number {
    return this.#remaining;
  }

  /** Throws QuotaExceededError when spending `credits` would go below the reserve. */
  require(credits: number, what: string): void {
    if (this.#remaining - credits >= this.reserve) return;
    throw new QuotaExceededError(
      `Zoho credit budget: ${what} needs ${credits} credits but ${this.#remaining} of ${this.dailyCredits} remain and ${this.reserve} ` +
        `(creditReserveShare ${this.reserveShare}) are kept for other integrations. The run stopped cleanly and resumes on a later run, ` +
        "once Zoho's rolling 24-hour window frees credits; or raise crm.dailyCredits / lower crm.creditReserveShare.",
      { needed: credits, remaining: this.#remaining, dailyCredits: this.dailyCredits, reserve: this.reserve, what },
    );
  }

  spent(credits: number): void {
    this.#remaining -= credits;
    this.spentTotal += credits;
  }

  /**
   * An answer without `X-API-CREDITS-REMAINING`: Zoho sends it only once more than half the credits are used, so at
   * least half remain (the rolling window freed what other integrations spent).
   */
  observeNoHeader(): void {
    this.#remaining = Math.max(this.#remaining, Math.floor(this.dailyCredits / 2));
  }

  /** Zoho's own count (`X-API-CREDITS-REMAINING`), taken as the truth. */
  observeRemaining(remaining: number): void {
    if (Number.isFinite(remaining) && remaining >= 0) this.#remaining = remaining;
  }
}
