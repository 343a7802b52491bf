import { gunzipSync } from 'node:zlib';
import { Agent, request, type Dispatcher, type FormData } from 'undici';
import { QuotaExceededError, UnavailableError } from '../../util/errors.js';
import type { Logger } from '../../util/logger.js';
import type { ZohoCreditBudget } from './zoho-credit-budget.js';
import { ZohoApiError } from './zoho-errors.js';
import type { ZohoTokenProvider } from './zoho-token-provider.js';
import { textOf } from '../../util/text-of.js';

export interface ZohoCall {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Absolute URL, or a path resolved against the API domain. */
  readonly url: string;
  readonly json?: unknown;
  readonly form?: FormData;
  readonly headers?: Record<string, string>;
  /** Credits the call costs (checked against the budget before it is made). */
  readonly credits: number;
  /** What the call is for, in budget errors and logs. */
  readonly what: string;
  readonly signal?: AbortSignal | undefined;
  /** Whether a retry after a lost answer is harmless (default true; job creation says false). */
  readonly retryable?: boolean;
  /** A credit check itself: made without checking the budget first. */
  readonly probe?: boolean;
}

export interface ZohoAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly bytes: Buffer;
  json<T = unknown>(): T;
}

export interface ZohoHttpOptions {
  readonly tokens: ZohoTokenProvider;
  readonly budget: ZohoCreditBudget;
  /** The API domain when the token answer has none (or the config overrides it). */
  readonly apiDomain: () => Promise<string>;
  readonly logger: Logger;
  readonly maxRetries: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** A 1-credit call that tells the credits remaining (e.g. `/crm/v7/org`). */
  readonly probePath: string;
}

/**
 * Zoho API calls over undici: the `Zoho-oauthtoken` header from the shared token cache, INVALID_TOKEN refreshed
 * once and retried, the credit budget checked before and updated after each call, 429 (not the daily limit) and
 * 5xx retried with backoff (Retry-After honoured), gzip error bodies decoded. Every failure is a named error.
 *
 * @example
 * ```ts
 * const answer = await http.call({ method: 'GET', url: '/crm/v7/org', credits: 1, what: 'org details' })
 * ```
 */
export class ZohoHttp {
  readonly #o: ZohoHttpOptions;
  readonly agent: Dispatcher;
  /** Calls made (statistics) and retries. */
  calls = 0;
  retries = 0;

  constructor(options: ZohoHttpOptions) {
    this.#o = options;
    this.agent = new Agent({ connections: 8, bodyTimeout: 300_000, headersTimeout: 300_000 });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** Makes the call; answers with status < 400 or 204, throws a named error otherwise (unless `accept` takes it). */
  async call(c: ZohoCall, accept: (status: number) => boolean = (s) => s < 300): Promise<ZohoAnswer> {
    try {
      if (c.probe !== true) this.#o.budget.require(c.credits, c.what);
    } catch (error) {
      // What this process knows may be stale (the rolling window frees credits): ask Zoho once, then decide.
      await this.call({
        method: 'GET',
        url: this.#o.probePath,
        credits: 1,
        what: 'credit check',
        signal: c.signal,
        probe: true,
      }).catch(() => undefined);
      this.#o.budget.require(c.credits, c.what);
    }
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      const token = await this.#o.tokens.getToken(c.signal);
      const url = /^https?:\/\//.test(c.url) ? c.url : `${await this.#o.apiDomain()}${c.url}`;
      let answer: ZohoAnswer;
      try {
        answer = await this.#send(url, c, token.accessToken);
      } catch (cause) {
        if (c.signal?.aborted) throw cause;
        if (c.retryable !== false && attempt < this.#o.maxRetries) {
          this.retries += 1;
          this.#o.logger.warn(
            { url: redact(url), err: (cause as Error).message, attempt },
            'zoho call failed; retrying',
          );
          await sleep(this.#delay(attempt, undefined), c.signal);
          continue;
        }
        throw new UnavailableError(
          `cannot reach Zoho at ${redact(url)}: ${(cause as Error).message}`,
          { url: redact(url) },
          cause,
        );
      }
      this.calls += 1;
      const remaining = header(answer, 'x-api-credits-remaining');
      this.#o.budget.spent(c.credits);
      if (remaining !== undefined) this.#o.budget.observeRemaining(Number(remaining));
      else if (answer.status < 400) this.#o.budget.observeNoHeader();
      if (accept(answer.status)) return answer;
      const body = errorBody(answer);
      if (answer.status === 401 && body.code === 'INVALID_TOKEN' && !refreshed) {
        refreshed = true;
        this.#o.tokens.invalidate(token);
        continue;
      }
      if (answer.status === 429 && /24 hour/i.test(body.message)) {
        throw new QuotaExceededError(
          `Zoho refused ${c.what}: the org's API credits for the 24-hour window are used up (${body.message}). The run stopped cleanly; it resumes on a later run.`,
          { url: redact(url), zohoCode: body.code },
        );
      }
      if ((answer.status === 429 || answer.status >= 500) && attempt < this.#o.maxRetries) {
        this.retries += 1;
        this.#o.logger.warn(
          { url: redact(url), status: answer.status, code: body.code, attempt },
          'zoho call refused; retrying',
        );
        await sleep(this.#delay(attempt, header(answer, 'retry-after')), c.signal);
        continue;
      }
      throw new ZohoApiError(
        `Zoho answered ${answer.status} ${body.code} to ${c.what} (${c.method} ${redact(url)}): ${body.message}${body.details ? ` ${JSON.stringify(body.details)}` : ''}`,
        { status: answer.status, zohoCode: body.code, url: redact(url), details: body.details },
      );
    }
  }

  async #send(url: string, c: ZohoCall, accessToken: string): Promise<ZohoAnswer> {
    const headers: Record<string, string> = { authorization: `Zoho-oauthtoken ${accessToken}`, ...(c.headers ?? {}) };
    let body: string | FormData | undefined;
    if (c.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(c.json);
    } else if (c.form !== undefined) body = c.form;
    const res = await request(url, {
      method: c.method,
      headers,
      dispatcher: this.agent,
      ...(body === undefined ? {} : { body }),
      ...(c.signal ? { signal: c.signal } : {}),
    });
    let bytes = Buffer.from(await res.body.arrayBuffer());
    const encoding = res.headers['content-encoding'];
    if (typeof encoding === 'string' && encoding.toLowerCase().includes('gzip') && bytes.length > 0)
      bytes = gunzipSync(bytes);
    return {
      status: res.statusCode,
      headers: res.headers,
      bytes,
      json: <T>() => JSON.parse(bytes.toString('utf8')) as T,
    };
  }

  #delay(attempt: number, retryAfter: string | undefined): number {
    const seconds = retryAfter === undefined ? Number.NaN : Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0)
      return Math.min(seconds * 1000, Math.max(this.#o.maxDelayMs, 1000) * 4);
    const base = Math.min(this.#o.maxDelayMs, this.#o.initialDelayMs * 2 ** attempt);
    return base / 2 + Math.random() * (base / 2);
  }
}

function header(answer: Pick<ZohoAnswer, 'headers'>, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Zoho's error body, read defensively (`{code,message,details}`, wrapped in `data`, or the upload host's shape). */
export function errorBody(answer: ZohoAnswer): { code: string; message: string; details?: unknown } {
  let parsed: unknown;
  try {
    parsed = answer.json();
  } catch {
    return { code: `HTTP_${answer.status}`, message: answer.bytes.toString('utf8').slice(0, 200) };
  }
  const first = (
    Array.isArray((parsed as { data?: unknown })?.data) ? (parsed as { data: unknown[] }).data[0] : parsed
  ) as Record<string, unknown> | undefined;
  const code = first?.['code'] ?? first?.['ERROR_CODE'] ?? `HTTP_${answer.status}`;
  const message = first?.['message'] ?? first?.['x-error'] ?? first?.['ERROR_MESSAGE'] ?? '';
  return { code: textOf(code), message: textOf(message), ...(first?.['details'] ? { details: first['details'] } : {}) };
}

/** URLs never carry secrets here, but page tokens are long: keep logs short. */
function redact(url: string): string {
  return url.replace(/(page_token=)[^&]+/, '$1…');
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });
}
