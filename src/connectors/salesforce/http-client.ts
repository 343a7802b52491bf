import type { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';

/** HTTP methods the Salesforce client uses. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';

/** What one request carries. A structural subset of undici's `request` options. */
export interface HttpRequestOptions {
  readonly method: HttpMethod;
  readonly headers?: Record<string, string>;
  /**
   * Strings and byte arrays can be replayed by `withRetry`; a Readable only when `replay` says how to make it again
   * (otherwise it is sent once and never retried).
   */
  readonly body?: string | Uint8Array | Readable | null;
  /** Makes a fresh copy of a stream body for another attempt. Decorators use it; undici never sees it. */
  readonly replay?: () => Readable;
  readonly signal?: AbortSignal;
  /**
   * Whether sending the request twice is harmless. Defaults to true for GET, HEAD, DELETE and PATCH and false for
   * POST and PUT. `withRetry` only retries a non-idempotent request when the server provably did not process it.
   */
  readonly idempotent?: boolean;
}

/** The response body: a byte stream with undici's convenience readers. */
export interface HttpBody extends AsyncIterable<Uint8Array> {
  text(): Promise<string>;
  json(): Promise<unknown>;
  /** Discards the rest of the body so the socket can be reused. */
  dump?(): Promise<void>;
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: HttpBody;
}

/**
 * The one function the Salesforce client needs from an HTTP library. undici's `request` satisfies it, so decorators
 * (`withRetry`, `withAuth`, `withLimits`) take an HttpClient and return one, and tests can script a fake.
 *
 * @example
 * ```ts
 * import { request } from 'undici'
 * const http: HttpClient = withAuth(withRetry(withLimits(request, tracker)), tokens)
 * const res = await http('https://x.my.salesforce.com/services/data/v62.0/limits', { method: 'GET' })
 * ```
 */
export type HttpClient = (url: string, options: HttpRequestOptions) => Promise<HttpResponse>;

// Compile-time proof that undici's request is an HttpClient.
const undiciIsHttpClient: HttpClient = request;
void undiciIsHttpClient;

/** An HttpClient over an undici Agent with keep-alive sockets, and the means to close them. */
export interface PooledHttpClient {
  readonly http: HttpClient;
  close(): Promise<void>;
}

/** Creates an undici-backed HttpClient with its own connection pool (closed by `close`). */
export function createUndiciHttpClient(
  options: { connections?: number; bodyTimeoutMs?: number } = {},
): PooledHttpClient {
  const agent: Dispatcher = new Agent({
    connections: options.connections ?? 8,
    bodyTimeout: options.bodyTimeoutMs ?? 300_000,
    headersTimeout: 300_000,
  });
  let closed = false;
  return {
    http: (url, { replay: _replay, ...opts }) => request(url, { ...opts, dispatcher: agent }),
    close: async () => {
      if (closed) return;
      closed = true;
      await agent.close();
    },
  };
}

/** First value of a response header (case-insensitive name), or undefined. */
export function headerValue(response: Pick<HttpResponse, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(response.headers)) {
    if (key.toLowerCase() !== wanted) continue;
    return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

/** A response whose body was already read into memory (so a decorator can look at it and pass it on). */
export function bufferedResponse(statusCode: number, headers: HttpResponse['headers'], text: string): HttpResponse {
  const bytes = Buffer.from(text, 'utf8');
  return {
    statusCode,
    headers,
    body: {
      text: () => Promise.resolve(text),
      json: () => new Promise<unknown>((resolve) => resolve(JSON.parse(text))),
      dump: () => Promise.resolve(undefined),
      // eslint-disable-next-line @typescript-eslint/require-await -- an async iterator over bytes already in memory
      async *[Symbol.asyncIterator]() {
        if (bytes.length > 0) yield bytes;
      },
    },
  };
}

/** Reads and discards a body, ignoring errors: used before retrying or after a status that is already decided. */
export async function discardBody(response: HttpResponse): Promise<void> {
  try {
    if (response.body.dump) await response.body.dump();
    else await response.body.text();
  } catch {
    // The connection is being replaced anyway.
  }
}

/** Whether a method is idempotent by default (see HttpRequestOptions.idempotent). */
export function isIdempotent(options: HttpRequestOptions): boolean {
  if (options.idempotent !== undefined) return options.idempotent;
  return options.method !== 'POST' && options.method !== 'PUT';
}
