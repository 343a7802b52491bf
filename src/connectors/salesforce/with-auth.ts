import { bufferedResponse, type HttpClient } from './http-client.js';
import type { TokenProvider } from './oauth-token-provider.js';

/**
 * Adds `Authorization: Bearer <token>` from a cached TokenProvider. On `401 INVALID_SESSION_ID` (an expired or revoked
 * session) it drops the token, fetches one new token and retries the call once; a second 401 is returned as is.
 *
 * @example
 * ```ts
 * const http = withAuth(withRetry(withLimits(request, limits)), tokens)
 * ```
 */
export function withAuth(client: HttpClient, tokens: TokenProvider): HttpClient {
  return async (url, request) => {
    for (let attempt = 0; ; attempt += 1) {
      const token = await tokens.getToken(request.signal);
      const body = attempt > 0 && request.replay ? { body: request.replay() } : {};
      const response = await client(url, {
        ...request,
        ...body,
        headers: { ...request.headers, authorization: `Bearer ${token.accessToken}` },
      });
      if (response.statusCode !== 401) return response;
      const text = await response.body.text();
      // A stream body is gone after the first attempt; only replayable bodies are resent.
      const replayable =
        request.body === undefined ||
        request.body === null ||
        typeof request.body === 'string' ||
        request.body instanceof Uint8Array ||
        request.replay !== undefined;
      if (attempt > 0 || !text.includes('INVALID_SESSION_ID') || !replayable) {
        return bufferedResponse(response.statusCode, response.headers, text);
      }
      tokens.invalidate(token);
    }
  };
}
