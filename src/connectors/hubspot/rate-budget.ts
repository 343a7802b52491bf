import { setTimeout as sleep } from 'node:timers/promises';
import { QuotaExceededError } from '../../util/errors.js';

const WINDOW_MS = 10_000;

/**
 * tandem's share of HubSpot's request limits, as a token bucket over the rolling 10-second window and a daily
 * budget (both already reduced by the reserve for other integrations), plus search's per-second limit.
 * `acquire` waits for room in the window; it throws QuotaExceededError (exit 3) once the daily budget is spent,
 * before a request is sent. `observe` learns the account's real daily use from HubSpot's rate-limit headers.
 *
 * @example
 * ```ts
 * const budget = new RateBudget({ per10Seconds: 152, daily: 500_000, searchesPerSecond: 4 })
 * await budget.acquire('api', signal)
 * ```
 */
export class RateBudget {
  readonly per10Seconds: number;
  readonly daily: number;
  readonly searchesPerSecond: number;
  #window: number[] = [];
  #searches: number[] = [];
  #day = '';
  #usedToday = 0;
  #pausedUntil = 0;
  /** Requests sent (statistics). */
  sent = 0;
  /** Time spent waiting for room, ms (statistics). */
  waitedMs = 0;

  constructor(options: { per10Seconds: number; daily: number; searchesPerSecond: number }) {
    this.per10Seconds = options.per10Seconds;
    this.daily = options.daily;
    this.searchesPerSecond = options.searchesPerSecond;
  }

  get usedToday(): number {
    this.#roll(Date.now());
    return this.#usedToday;
  }

  #roll(now: number): void {
    const day = new Date(now).toISOString().slice(0, 10);
    if (day !== this.#day) {
      this.#day = day;
      this.#usedToday = 0;
    }
    while (this.#window.length > 0 && this.#window[0]! <= now - WINDOW_MS) this.#window.shift();
    while (this.#searches.length > 0 && this.#searches[0]! <= now - 1000) this.#searches.shift();
  }

  /** Waits until one more request fits; counts it. */
  async acquire(kind: 'api' | 'search', signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = Date.now();
      this.#roll(now);
      if (this.#usedToday >= this.daily) {
        throw new QuotaExceededError(
          `tandem's daily HubSpot budget is spent (${this.#usedToday} of ${this.daily} requests today, after the reserve for other integrations). ` +
            'The run stopped cleanly; the next run after midnight (the account time zone) continues. Fix: raise the tier or budgets.daily, or lower apiReserveShare.',
          { usedToday: this.#usedToday, dailyBudget: this.daily },
        );
      }
      let wait = this.#pausedUntil - now;
      if (wait <= 0) {
        if (kind === 'search' && this.#searches.length >= this.searchesPerSecond) {
          wait = this.#searches[0]! + 1000 - now;
        } else if (kind === 'api' && this.#window.length >= this.per10Seconds) {
          wait = this.#window[0]! + WINDOW_MS - now;
        }
      }
      if (wait <= 0) {
        if (kind === 'search') this.#searches.push(now);
        else this.#window.push(now);
        this.#usedToday++;
        this.sent++;
        return;
      }
      this.waitedMs += wait;
      await sleep(wait + 1, undefined, signal ? { signal } : {});
    }
  }

  /** Learns from `X-HubSpot-RateLimit-*` headers: the account's daily use (all its apps) and the window's room. */
  observe(headers: Readonly<Record<string, string | string[] | undefined>>): void {
    const read = (name: string): number | undefined => {
      const v = headers[name.toLowerCase()];
      const n = Number(Array.isArray(v) ? v[0] : v);
      return v === undefined || !Number.isFinite(n) ? undefined : n;
    };
    const daily = read('X-HubSpot-RateLimit-Daily');
    const dailyRemaining = read('X-HubSpot-RateLimit-Daily-Remaining');
    if (daily !== undefined && dailyRemaining !== undefined) {
      this.#roll(Date.now());
      // The account's use counts against tandem's share: other apps' calls included.
      this.#usedToday = Math.max(this.#usedToday, daily - dailyRemaining);
    }
    const remaining = read('X-HubSpot-RateLimit-Remaining');
    if (remaining === 0) this.pause(1000);
  }

  /** Sends nothing for `ms` (after a 429 TEN_SECONDLY_ROLLING, a 423). */
  pause(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + ms);
  }
}
