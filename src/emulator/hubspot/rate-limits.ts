/**
 * HubSpot's request limits as the emulator enforces them: a rolling 10-second window and a daily count per account
 * (the daily count resets at midnight UTC, the emulated account's time zone), plus search's own 5-a-second limit.
 * Counters really count: a request refused with 429 is not counted.
 */
export interface RateLimitSettings {
  /** Requests per rolling 10 seconds (private apps: 100 Starter, 190 Professional/Enterprise, 250 with add-on). */
  readonly tenSecondLimit: number;
  /** Requests per day (250,000 Starter ... 1,000,000 Enterprise). */
  readonly dailyLimit: number;
  /** Search requests per second (5). */
  readonly searchPerSecond: number;
}

export type LimitVerdict =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly policy: 'TEN_SECONDLY_ROLLING' | 'DAILY' | 'SECONDLY';
      readonly retryAfterMs: number;
    };

export class RateLimits {
  readonly settings: RateLimitSettings;
  /** Timestamps (ms) of counted requests within the last 10 s, oldest first. */
  #window: number[] = [];
  #searches: number[] = [];
  #day = '';
  daily = 0;
  /** Every 429 answered, by policy (statistics). */
  readonly refused = { TEN_SECONDLY_ROLLING: 0, DAILY: 0, SECONDLY: 0 };

  constructor(settings: RateLimitSettings) {
    this.settings = settings;
  }

  #roll(now: number): void {
    const day = new Date(now).toISOString().slice(0, 10);
    if (day !== this.#day) {
      this.#day = day;
      this.daily = 0;
    }
    while (this.#window.length > 0 && this.#window[0]! <= now - 10_000) this.#window.shift();
    while (this.#searches.length > 0 && this.#searches[0]! <= now - 1000) this.#searches.shift();
  }

  /** Admits and counts one request, or says which limit refuses it. Search skips the 10-second window. */
  admit(search: boolean, now = Date.now()): LimitVerdict {
    this.#roll(now);
    if (this.daily >= this.settings.dailyLimit) {
      this.refused.DAILY++;
      const midnight = Date.UTC(
        new Date(now).getUTCFullYear(),
        new Date(now).getUTCMonth(),
        new Date(now).getUTCDate() + 1,
      );
      return { ok: false, policy: 'DAILY', retryAfterMs: midnight - now };
    }
    if (search) {
      if (this.#searches.length >= this.settings.searchPerSecond) {
        this.refused.SECONDLY++;
        return { ok: false, policy: 'SECONDLY', retryAfterMs: this.#searches[0]! + 1000 - now };
      }
      this.#searches.push(now);
    } else {
      if (this.#window.length >= this.settings.tenSecondLimit) {
        this.refused.TEN_SECONDLY_ROLLING++;
        return { ok: false, policy: 'TEN_SECONDLY_ROLLING', retryAfterMs: this.#window[0]! + 10_000 - now };
      }
      this.#window.push(now);
    }
    this.daily++;
    return { ok: true };
  }

  /** The `X-HubSpot-RateLimit-*` headers of a non-search response (`withDaily`: private-app tokens only). */
  headers(withDaily: boolean, now = Date.now()): Record<string, string> {
    this.#roll(now);
    const h: Record<string, string> = {
      'X-HubSpot-RateLimit-Max': String(this.settings.tenSecondLimit),
      'X-HubSpot-RateLimit-Remaining': String(Math.max(0, this.settings.tenSecondLimit - this.#window.length)),
      'X-HubSpot-RateLimit-Interval-Milliseconds': '10000',
    };
    if (withDaily) {
      h['X-HubSpot-RateLimit-Daily'] = String(this.settings.dailyLimit);
      h['X-HubSpot-RateLimit-Daily-Remaining'] = String(Math.max(0, this.settings.dailyLimit - this.daily));
    }
    return h;
  }

  /** Forgets every count (admin API: a new day). */
  reset(): void {
    this.#window = [];
    this.#searches = [];
    this.daily = 0;
  }

  snapshot(): { tenSecondWindow: number; daily: number; settings: RateLimitSettings; refused: Record<string, number> } {
    this.#roll(Date.now());
    return {
      tenSecondWindow: this.#window.length,
      daily: this.daily,
      settings: this.settings,
      refused: { ...this.refused },
    };
  }
}
