import type { SchemaProblem } from '../schema-problem.js';
import { EXIT, TandemError } from '../../util/errors.js';
import type { HttpResponse } from './http-client.js';

/**
 * Salesforce answered a request with an error that is not about one record and not worth retrying
 * (or retrying did not help). Carries the HTTP status and Salesforce's `errorCode`, never the token.
 *
 * @example
 * ```ts
 * try { await bulk.getIngestJob(id) } catch (e) { if (e instanceof SalesforceApiError && e.status === 404) ... }
 * ```
 */
export class SalesforceApiError extends TandemError {
  readonly status: number;
  /** Salesforce's error code from the body, e.g. `NOT_FOUND`, `INVALIDJOBSTATE`; `HTTP_<status>` when absent. */
  readonly errorCode: string;
  constructor(
    message: string,
    context: { status: number; errorCode: string; method: string; path: string; detail: string },
  ) {
    super(message, {
      code: 'SALESFORCE_API_ERROR',
      context,
      exitCode: context.status >= 500 || context.status === 429 ? EXIT.unavailable : EXIT.failure,
    });
    this.status = context.status;
    this.errorCode = context.errorCode;
  }
}

/** The OAuth token endpoint refused the credentials. Carries the OAuth `error` and `error_description`. */
export class SalesforceAuthError extends TandemError {
  readonly oauthError: string;
  readonly description: string;
  constructor(
    message: string,
    context: { flow: string; tokenUrl: string; status: number; oauthError: string; description: string },
  ) {
    super(message, { code: 'SALESFORCE_AUTH_FAILED', context, exitCode: EXIT.usage });
    this.oauthError = context.oauthError;
    this.description = context.description;
  }
}

/** A stream names an object or field that Salesforce's describe does not list. */
export class SalesforceSchemaError extends TandemError {
  constructor(
    message: string,
    context: {
      stream: string;
      entity: string;
      field?: string;
      available?: readonly string[];
      problems?: readonly SchemaProblem[];
    },
  ) {
    super(message, { code: 'SALESFORCE_SCHEMA_MISMATCH', context, exitCode: EXIT.usage });
  }
}

/** `[{"errorCode":"NOT_FOUND","message":"..."}]`, or `HTTP_<status>` and the raw text when the body is not that. */
export function parseSalesforceErrorBody(status: number, text: string): { errorCode: string; message: string } {
  try {
    const parsed: unknown = JSON.parse(text);
    const first: unknown = Array.isArray(parsed) ? parsed[0] : parsed;
    if (first !== null && typeof first === 'object') {
      const o = first as Record<string, unknown>;
      const errorCode = o['errorCode'] ?? o['error'];
      const message = o['message'] ?? o['error_description'];
      if (typeof errorCode === 'string') return { errorCode, message: typeof message === 'string' ? message : '' };
    }
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return { errorCode: `HTTP_${status}`, message: text.slice(0, 500) };
}

/** Reads an error response's body and builds a SalesforceApiError naming the call. */
export async function apiErrorFrom(
  response: HttpResponse,
  method: string,
  url: string,
  what: string,
): Promise<SalesforceApiError> {
  let text = '';
  try {
    text = await response.body.text();
  } catch {
    // Body unreadable: the status alone has to do.
  }
  const { errorCode, message } = parseSalesforceErrorBody(response.statusCode, text);
  const path = safePath(url);
  return new SalesforceApiError(
    `Salesforce ${what} failed: ${method} ${path} answered ${response.statusCode} ${errorCode}${message ? `: ${message}` : ''}`,
    { status: response.statusCode, errorCode, method, path, detail: message },
  );
}

/** The path and query of a URL, for messages (never userinfo). */
export function safePath(url: string): string {
  try {
    const u = new URL(url);
    return u.pathname + u.search;
  } catch {
    return url;
  }
}

/** A Bulk query job ended Failed or Aborted, so the read cannot finish. The watermark stays where it was. */
export class BulkQueryFailedError extends TandemError {
  constructor(message: string, context: { jobId: string; state: string; errorMessage: string; object: string }) {
    super(message, { code: 'SALESFORCE_QUERY_FAILED', context, exitCode: EXIT.unavailable });
  }
}
