import { EXIT, TandemError } from '../../util/errors.js';

/** HubSpot answered with an error that is not about one record, and retrying did not help (or cannot). */
export class HubSpotApiError extends TandemError {
  readonly status: number;
  readonly category: string;
  readonly policyName: string | undefined;
  constructor(
    message: string,
    context: {
      status: number;
      category: string;
      method: string;
      path: string;
      policyName?: string;
      correlationId?: string;
    },
  ) {
    super(message, {
      code: 'HUBSPOT_API_ERROR',
      context,
      exitCode: context.status >= 500 || context.status === 429 ? EXIT.unavailable : EXIT.failure,
    });
    this.status = context.status;
    this.category = context.category;
    this.policyName = context.policyName;
  }
}

/** The token endpoint refused the OAuth credentials, or the private app token was refused. */
export class HubSpotAuthError extends TandemError {
  constructor(message: string, context: Record<string, unknown>) {
    super(message, { code: 'HUBSPOT_AUTH_FAILED', context, exitCode: EXIT.usage });
  }
}

/** A stream names an object or property HubSpot does not have, or one tandem cannot use as mapped. */
export class HubSpotSchemaError extends TandemError {
  constructor(message: string, context: Record<string, unknown>) {
    super(message, { code: 'HUBSPOT_SCHEMA_MISMATCH', context, exitCode: EXIT.usage });
  }
}

/** A request that may have been applied got no answer (timeout, dropped connection). */
export class HubSpotAmbiguousWriteError extends TandemError {
  constructor(message: string, context: Record<string, unknown>, cause?: unknown) {
    super(message, { code: 'HUBSPOT_WRITE_UNCONFIRMED', context, cause, exitCode: EXIT.unavailable });
  }
}
