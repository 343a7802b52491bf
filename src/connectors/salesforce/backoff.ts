export { parseRetryAfter } from '../../util/retry-after.js';

/**
 * Backoff settings for retried HTTP calls. One exported constant holds the defaults so that every layer (retry,
 * job polling) backs off the same way and tests can shrink them.
 *
 * @example
 * ```ts
 * withRetry(http, { ...BACKOFF_DEFAULTS, initialDelayMs: 1, maxDelayMs: 5 })
 * ```
 */
export interface BackoffOptions {
  /** Delay before the first retry. */
  readonly initialDelayMs: number;
  /** Growth factor between retries. */
  readonly multiplier: number;
  /** Upper bound of one delay (a larger Retry-After is honoured up to `maxRetryAfterMs`). */
  readonly maxDelayMs: number;
  /** Retries after the first attempt, at most. */
  readonly maxRetries: number;
  /** Total time budget across all retries of one call; no retry starts after it. */
  readonly maxElapsedMs: number;
  /** A Retry-After longer than this is not waited for: the call fails instead (the caller resumes later). */
  readonly maxRetryAfterMs: number;
}

export const BACKOFF_DEFAULTS: BackoffOptions = Object.freeze({
  initialDelayMs: 500,
  multiplier: 2,
  maxDelayMs: 30_000,
  maxRetries: 6,
  maxElapsedMs: 120_000,
  maxRetryAfterMs: 120_000,
});

/**
 * Delay before retry number `retry` (0-based): exponential growth capped at `maxDelayMs`, with "full jitter"
 * (uniform in [cap/2, cap]) so that many clients hit by the same outage do not come back in lockstep.
 */
export function backoffDelay(retry: number, options: BackoffOptions, random: () => number = Math.random): number {
  const cap = Math.min(options.maxDelayMs, options.initialDelayMs * options.multiplier ** Math.max(0, retry));
  return Math.round(cap / 2 + random() * (cap / 2));
}

/** Resolves after `ms`, or rejects with the signal's reason when aborted first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
