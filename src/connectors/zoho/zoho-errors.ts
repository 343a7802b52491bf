import { EXIT, TandemError } from '../../util/errors.js';

/** Zoho answered a call with an error that is not about one record (`{"code","message","details","status":"error"}`). */
export class ZohoApiError extends TandemError {
  readonly status: number;
  readonly zohoCode: string;
  constructor(message: string, context: { status: number; zohoCode: string; url: string; details?: unknown }) {
    super(message, {
      code: 'ZOHO_API_ERROR',
      context,
      exitCode: context.status >= 500 || context.status === 429 ? EXIT.unavailable : EXIT.failure,
    });
    this.status = context.status;
    this.zohoCode = context.zohoCode;
  }
}

/** Zoho Accounts refused the refresh-token grant (wrong client or refresh token, or too many refreshes). */
export class ZohoAuthError extends TandemError {
  constructor(message: string, context: Record<string, unknown>) {
    super(message, { code: 'ZOHO_AUTH_FAILED', context, exitCode: EXIT.unavailable });
  }
}

/** A stream does not fit the Zoho module (unknown field, no unique key field, read-only field...). */
export class ZohoSchemaError extends TandemError {
  constructor(message: string, context: Record<string, unknown>) {
    super(message, { code: 'ZOHO_SCHEMA_MISMATCH', context, exitCode: EXIT.usage });
  }
}
