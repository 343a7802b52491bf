import { QuotaExceededError } from '../../util/errors.js';
import { ApiLimits, parseLimitInfo } from './api-limits.js';
import { parseSalesforceErrorBody, safePath } from './errors.js';
import { bufferedResponse, headerValue, type HttpClient } from './http-client.js';

/**
 * Watches the daily API budget: reads `Sforce-Limit-Info` from every response into `limits`, refuses a call that
 * would eat into the reserve (QuotaExceededError before the call is made), and turns
 * `403 REQUEST_LIMIT_EXCEEDED` into QuotaExceededError. Put it innermost, so every retry is checked and counted.
 *
 * @example
 * ```ts
 * const limits = new ApiLimits({ reserveShare: 0.2 })
 * const http = withRetry(withLimits(request, limits))
 * ```
 */
export function withLimits(client: HttpClient, limits: ApiLimits): HttpClient {
  return async (url, request) => {
    limits.assertCanCall(`${request.method} ${safePath(url)}`);
    limits.countCall();
    const response = await client(url, request);
    limits.observe(parseLimitInfo(headerValue(response, 'sforce-limit-info')));
    if (response.statusCode !== 403) return response;
    const text = await response.body.text();
    const { errorCode, message } = parseSalesforceErrorBody(403, text);
    if (errorCode === 'REQUEST_LIMIT_EXCEEDED' || errorCode.toUpperCase() === 'EXCEEDEDQUOTA') {
      const usage = limits.usage;
      throw new QuotaExceededError(
        `Salesforce API quota exhausted: ${request.method} ${safePath(url)} answered 403 ${errorCode}${message ? ` (${message})` : ''}. ` +
          'The run stopped cleanly; open jobs resume on the next run once the 24 h window rolls.',
        {
          method: request.method,
          path: safePath(url),
          errorCode,
          ...(usage ? { used: usage.used, max: usage.max } : {}),
        },
      );
    }
    return bufferedResponse(response.statusCode, response.headers, text);
  };
}
