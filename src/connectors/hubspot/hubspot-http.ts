import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync, inflateSync } from 'node:zlib';
import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import { QuotaExceededError } from '../../util/errors.js';
import { parseRetryAfter } from '../../util/retry-after.js';
import type { Logger } from '../../util/logger.js';
import { HubSpotAmbiguousWriteError, HubSpotApiError, HubSpotAuthError } from './hubspot-errors.js';
import type { RateBudget } from './rate-budget.js';
import type { TokenSource } from './token-source.js';
import { textOf } from '../../util/text-of.js';

export interface HubSpotResponse {
  readonly status: number;
  /** The parsed JSON body ({} when empty). */
  readonly body: Record<string, unknown>;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
  /** Search requests have their own limit (5/s) and send no rate-limit headers. */
  readonly search?: boolean;
  /**
   * A write whose loss of answer (timeout, dropped connection) leaves it unknown whether HubSpot applied it: such a
   * failure throws HubSpotAmbiguousWriteError instead of being retried, for the caller to read the records back.
   */
  readonly write?: boolean;
}

export interface RetrySettings {
  readonly maxRetries: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

const RETRYABLE = new Set([423, 477, 500, 502, 503, 504, 521, 523, 524]);

/**
 * HubSpot's HTTP API over undici: bearer auth (refreshed on a 401), the rate budget before each request, gzip
 * answers (error bodies too) decoded, and retries with backoff for 5xx, 423, 477 and the 10-second 429. A daily
 * 429 throws QuotaExceededError (exit 3). 4xx answers other than 401/429 are returned for the caller to judge.
 */
export class HubSpotHttp {
  readonly #baseUrl: string;
  readonly #tokens: TokenSource;
  readonly #budget: RateBudget;
  readonly #retry: RetrySettings;
  readonly #logger: Logger;
  readonly dispatcher: Dispatcher;
  #closed = false;
  /** Retries made (statistics). */
  retries = 0;

  constructor(options: {
    baseUrl: string;
    tokens: TokenSource;
    budget: RateBudget;
    retry: RetrySettings;
    timeoutMs: number;
    connections: number;
    logger: Logger;
    dispatcher: Dispatcher;
  }) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#tokens = options.tokens;
    this.#budget = options.budget;
    this.#retry = options.retry;
    this.#logger = options.logger;
    this.dispatcher = options.dispatcher;
  }

  static agent(connections: number, timeoutMs: number): Agent {
    return new Agent({ connections, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, keepAliveTimeout: 10_000 });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.dispatcher.close();
  }

  async call(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    body: unknown,
    options: CallOptions = {},
  ): Promise<HubSpotResponse> {
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      await this.#budget.acquire(options.search ? 'search' : 'api', options.signal);
      const token = await this.#tokens.token(options.signal);
      let res: Dispatcher.ResponseData;
      try {
        res = await request(`${this.#baseUrl}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            'accept-encoding': 'gzip, deflate',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          dispatcher: this.dispatcher,
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (error) {
        if (options.signal?.aborted) throw error;
        const transient = isNetworkFailure(error);
        if (transient && options.write) {
          throw new HubSpotAmbiguousWriteError(
            `HubSpot did not answer ${method} ${path} (${(error as Error).message}); the write may have been applied`,
            { method, path },
            error,
          );
        }
        if (transient && attempt < this.#retry.maxRetries) {
          await this.#backoff(attempt, undefined, { method, path, reason: (error as Error).message }, options.signal);
          continue;
        }
        throw new HubSpotApiError(`HubSpot could not be reached for ${method} ${path}: ${(error as Error).message}`, {
          status: 0,
          category: 'NETWORK',
          method,
          path,
        });
      }
      let parsed: Record<string, unknown>;
      try {
        parsed = await readJson(res);
      } catch (error) {
        if (options.write) {
          throw new HubSpotAmbiguousWriteError(
            `HubSpot's answer to ${method} ${path} was cut off (${(error as Error).message}); the write may have been applied`,
            { method, path, status: res.statusCode },
            error,
          );
        }
        if (attempt < this.#retry.maxRetries) {
          await this.#backoff(attempt, undefined, { method, path, reason: (error as Error).message }, options.signal);
          continue;
        }
        throw error;
      }
      if (!options.search) this.#budget.observe(res.headers);
      const status = res.statusCode;
      const category = textOf(parsed['category'] ?? `HTTP_${status}`);
      const message = textOf(parsed['message'] ?? '');
      const context = {
        status,
        category,
        method,
        path,
        ...(typeof parsed['correlationId'] === 'string' ? { correlationId: parsed['correlationId'] } : {}),
      };
      if (status === 401) {
        if (!refreshed && this.#tokens.invalidate()) {
          refreshed = true;
          continue;
        }
        throw new HubSpotAuthError(
          `HubSpot refused the credentials (401 ${category}: ${message}). Fix: check the private app token or the OAuth app and its scopes.`,
          context,
        );
      }
      if (status === 403) {
        throw new HubSpotAuthError(
          `HubSpot refused ${method} ${path} (403 ${category}: ${message}). Fix: give the app the scopes crm.objects.<object>.read/write and crm.schemas.<object>.read.`,
          context,
        );
      }
      if (status === 429) {
        const policy = textOf(parsed['policyName'] ?? '');
        if (policy === 'DAILY') {
          throw new QuotaExceededError(
            `HubSpot's daily API limit is reached (429 DAILY: ${message}). The run stopped cleanly; the next run after midnight in the account's time zone continues where it stopped.`,
            { ...context, policyName: policy },
          );
        }
        if (attempt < this.#retry.maxRetries + 5) {
          const retryAfter = retryAfterMs(res.headers);
          const wait =
            retryAfter ?? (options.search || message === 'You have reached your secondly limit.' ? 1000 : 10_000);
          if (!options.search) this.#budget.pause(wait);
          await this.#backoff(attempt, wait, { method, path, reason: `429 ${policy || 'rate limit'}` }, options.signal);
          continue;
        }
        throw new HubSpotApiError(`HubSpot kept answering 429 (${policy}) to ${method} ${path}`, {
          ...context,
          policyName: policy,
        });
      }
      if (RETRYABLE.has(status)) {
        if (attempt < this.#retry.maxRetries) {
          const retryAfter = retryAfterMs(res.headers);
          const wait = status === 423 ? Math.max(2000, retryAfter ?? 0) : retryAfter;
          if (status === 423) this.#budget.pause(wait ?? 2000);
          await this.#backoff(attempt, wait, { method, path, reason: `${status} ${category}` }, options.signal);
          continue;
        }
        throw new HubSpotApiError(
          `HubSpot answered ${status} ${category} to ${method} ${path} after ${attempt + 1} attempts: ${message}`,
          context,
        );
      }
      return { status, body: parsed, headers: res.headers };
    }
  }

  async #backoff(
    attempt: number,
    fixedMs: number | undefined,
    detail: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<void> {
    this.retries++;
    const exp = Math.min(this.#retry.maxDelayMs, this.#retry.initialDelayMs * 2 ** attempt);
    const wait = fixedMs ?? Math.round(exp * (0.5 + Math.random() / 2));
    this.#logger.warn({ ...detail, attempt: attempt + 1, waitMs: wait }, 'hubspot call retried');
    await sleep(wait, undefined, signal ? { signal } : {});
  }
}

/** `Retry-After` (seconds or an HTTP date) as ms. */
function retryAfterMs(headers: Readonly<Record<string, string | string[] | undefined>>): number | undefined {
  const raw = headers['retry-after'];
  return parseRetryAfter(Array.isArray(raw) ? raw[0] : raw);
}

/** The body as JSON, gunzipped/inflated when HubSpot compressed it (error bodies included). */
async function readJson(res: Dispatcher.ResponseData): Promise<Record<string, unknown>> {
  let bytes: Buffer = Buffer.from(await res.body.arrayBuffer());
  const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase();
  if (encoding.includes('gzip')) bytes = gunzipSync(bytes);
  else if (encoding.includes('deflate')) bytes = inflateSync(bytes);
  const text = bytes.toString('utf8');
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : { value };
  } catch {
    return { message: text.slice(0, 500) };
  }
}

function isNetworkFailure(error: unknown): boolean {
  return (
    error instanceof undiciErrors.SocketError ||
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    error instanceof undiciErrors.ConnectTimeoutError ||
    error instanceof undiciErrors.ClientClosedError ||
    (error instanceof Error &&
      /ECONNRESET|ECONNREFUSED|EPIPE|socket hang up|other side closed/i.test(
        `${(error as NodeJS.ErrnoException).code ?? ''} ${error.message}`,
      ))
  );
}
