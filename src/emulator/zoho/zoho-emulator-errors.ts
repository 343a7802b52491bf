import { EXIT, TandemError } from '../../util/errors.js';

/** The Zoho emulator's options or module definitions are invalid. */
export class ZohoEmulatorConfigError extends TandemError {
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super(message, { code: 'EMULATOR_CONFIG_INVALID', context, cause, exitCode: EXIT.usage });
  }
}

/**
 * An error answer of the emulated Zoho API: HTTP status plus Zoho's
 * `{"code","details","message","status":"error"}` body. Thrown inside handlers and turned into the response.
 */
export class ZohoApiError extends TandemError {
  readonly status: number;
  readonly zohoCode: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    status: number,
    zohoCode: string,
    message: string,
    details: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    super(message, { code: 'ZOHO_EMULATOR_API_ERROR', context: { status, zohoCode } });
    this.status = status;
    this.zohoCode = zohoCode;
    this.details = details;
    this.headers = headers;
  }

  /** The JSON body Zoho sends. */
  body(): ZohoErrorBody {
    return { code: this.zohoCode, details: this.details, message: this.message, status: 'error' };
  }
}

export interface ZohoErrorBody {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly message: string;
  readonly status: 'error';
}

/** A record Zoho refuses, as one entry of a per-record result (`INVALID_DATA`, `DUPLICATE_DATA`...). */
export class ZohoRecordError extends TandemError {
  readonly zohoCode: string;
  readonly details: Readonly<Record<string, unknown>>;
  constructor(zohoCode: string, message: string, details: Record<string, unknown>) {
    super(message, { code: 'ZOHO_EMULATOR_RECORD_REJECTED', context: { zohoCode, ...details } });
    this.zohoCode = zohoCode;
    this.details = details;
  }
  /** The API name of the field at fault, for `CODE-Field` in bulk-write result files. */
  get field(): string {
    const name = this.details['api_name'];
    return typeof name === 'string' ? name : '';
  }
}
