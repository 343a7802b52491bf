import { UnavailableError } from '../../util/errors.js';
import { BACKOFF_DEFAULTS, backoffDelay, parseRetryAfter, sleep, type BackoffOptions } from './backoff.js';
import { discardBody, headerValue, isIdempotent, type HttpClient, type HttpRequestOptions } from './http-client.js';
import { safePath } from './errors.js';

/** Statuses that say "not processed, come back later": safe to retry for any method. */
const REFUSED_STATUSES = new Set([429, 503]);
/** Statuses after which the server may or may not have done the work: retried only for idempotent requests. */
const AMBIGUOUS_STATUSES = new Set([420, 500, 502, 504]);
/** Connection errors that happen before a request reaches the server: safe to retry for any method. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

export interface RetryEvent {
  readonly method: string;
  readonly path: string;
  /** 1 for the first retry. */
  readonly retry: number;
  readonly delayMs: number;
  /** The status that caused it, or the error code of a dropped connection. */
  readonly reason: string;
}

export type RetryOptions = { readonly [K in keyof BackoffOptions]?: BackoffOptions[K] | undefined } & {
  /** Called before each retry (logging, statistics). */
  readonly onRetry?: (event: RetryEvent) => void;
  /** Jitter source; tests pass a fixed one. */
  readonly random?: () => number;
  /**
   * Until the host has answered once, a connection that cannot be opened is retried only this long (default 3 s):
   * a wrong or unreachable host fails at start within seconds, while a host that drops out mid-run keeps the full
   * budget above.
   */
  readonly startupBudgetMs?: number;
};

/** See `RetryOptions.startupBudgetMs`. */
export const STARTUP_CONNECT_BUDGET_MS = 3_000;

/**
 * Retries a call that failed for a reason worth waiting out: 429 and 503 for any request (the server refused it),
 * 420/500/502/504 and dropped connections for idempotent requests only (the server may have done the work), and
 * connections that never opened for any request. Honours `Retry-After`, otherwise backs off exponentially with jitter
 * (`BACKOFF_DEFAULTS`), within a bounded number of retries and time. A stream body is resent only through the
 * request's `replay`.
 *
 * When the budget runs out the last response is returned as is (the caller turns it into a named error), or for a
 * connection failure an `UnavailableError` is thrown.
 *
 * @example
 * ```ts
 * const http = withRetry(request, { maxRetries: 3, onRetry: (e) => logger.warn(e, 'retrying') })
 * ```
 */
export function withRetry(client: HttpClient, options: RetryOptions = {}): HttpClient {
  const backoff: BackoffOptions = { ...BACKOFF_DEFAULTS, ...definedOnly(options) };
  const random = options.random ?? Math.random;
  const startupBudgetMs = options.startupBudgetMs ?? STARTUP_CONNECT_BUDGET_MS;
  // Becomes true at the first response of any status: from then on the host is known to exist.
  let answeredOnce = false;
  return async (url: string, request: HttpRequestOptions) => {
    const streamBody =
      request.body !== null &&
      request.body !== undefined &&
      typeof request.body === 'object' &&
      !(request.body instanceof Uint8Array);
    const replayable = !streamBody || request.replay !== undefined;
    const idempotent = isIdempotent(request);
    const started = Date.now();
    for (let retry = 0; ; retry += 1) {
      const canRetry = replayable && retry < backoff.maxRetries && !request.signal?.aborted;
      let response;
      try {
        // A stream body is consumed by an attempt; later attempts send a fresh copy.
        const attempt = retry > 0 && streamBody && request.replay ? { ...request, body: request.replay() } : request;
        response = await client(url, attempt);
      } catch (error) {
        const code = errorCode(error);
        const retryable = idempotent || NOT_SENT_CODES.has(code);
        const delay = backoffDelay(retry, backoff, random);
        const budgetMs = answeredOnce ? backoff.maxElapsedMs : Math.min(backoff.maxElapsedMs, startupBudgetMs);
        if (!(canRetry && retryable && isNetworkError(error) && Date.now() - started + delay <= budgetMs)) {
          if (isNetworkError(error)) {
            throw new UnavailableError(
              `Salesforce ${request.method} ${safePath(url)} failed: connection error ${code} after ${retry + 1} attempt(s)` +
                `${answeredOnce ? '' : ' (the host never answered)'}. ` +
                'Check the network and the URL (crm.settings.loginUrl, http or https); the run can be repeated safely.',
              { method: request.method, path: safePath(url), code, attempts: retry + 1 },
              error,
            );
          }
          throw error;
        }
        options.onRetry?.({
          method: request.method,
          path: safePath(url),
          retry: retry + 1,
          delayMs: delay,
          reason: code,
        });
        await sleep(delay, request.signal);
        continue;
      }
      answeredOnce = true;
      const status = response.statusCode;
      const retryable = REFUSED_STATUSES.has(status) || (AMBIGUOUS_STATUSES.has(status) && idempotent);
      if (!retryable || !canRetry) return response;
      const retryAfter = parseRetryAfter(headerValue(response, 'retry-after'));
      if (retryAfter !== undefined && retryAfter > backoff.maxRetryAfterMs) return response;
      const delay = retryAfter ?? backoffDelay(retry, backoff, random);
      if (Date.now() - started + delay > backoff.maxElapsedMs) return response;
      await discardBody(response);
      options.onRetry?.({
        method: request.method,
        path: safePath(url),
        retry: retry + 1,
        delayMs: delay,
        reason: String(status),
      });
      await sleep(delay, request.signal);
    }
  };
}

function definedOnly(options: RetryOptions): Partial<BackoffOptions> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(BACKOFF_DEFAULTS) as (keyof BackoffOptions)[]) {
    const value = options[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function errorCode(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const cause = (error as { cause?: unknown }).cause;
    if (cause !== undefined && cause !== error) return errorCode(cause);
  }
  return 'UNKNOWN';
}

/** Socket-level failures (undici's UND_ERR_* and Node's E* codes); not aborts, not our own errors. */
export function isNetworkError(error: unknown): boolean {
  if (error instanceof Error && error.name === 'AbortError') return false;
  const code = errorCode(error);
  if (code === 'UND_ERR_ABORTED') return false;
  return code.startsWith('UND_ERR_') || /^E[A-Z]+$/.test(code);
}
