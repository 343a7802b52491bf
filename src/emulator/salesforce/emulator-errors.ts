import { EXIT, TandemError } from '../../util/errors.js';

/** The emulator's options or definitions file are invalid. */
export class EmulatorConfigError extends TandemError {
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super(message, { code: 'EMULATOR_CONFIG_INVALID', context, cause, exitCode: EXIT.usage });
  }
}

/** A store call (in-process or admin API) was given a record Salesforce would reject. */
export class EmulatorRecordError extends TandemError {
  readonly statusCode: string;
  readonly fields: readonly string[];
  constructor(message: string, statusCode: string, fields: readonly string[], context: Record<string, unknown> = {}) {
    super(message, { code: 'EMULATOR_RECORD_REJECTED', context: { ...context, statusCode, fields } });
    this.statusCode = statusCode;
    this.fields = fields;
  }
}

/**
 * An error answer of the emulated REST API: HTTP status plus Salesforce's `[{"errorCode","message"}]` body.
 * Thrown inside request handlers and turned into the response by the server.
 */
export class SalesforceApiError extends TandemError {
  readonly status: number;
  readonly errorCode: string;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, errorCode: string, message: string, headers: Record<string, string> = {}) {
    super(message, { code: 'EMULATOR_API_ERROR', context: { status, errorCode } });
    this.status = status;
    this.errorCode = errorCode;
    this.headers = headers;
  }
  /** The JSON array body Salesforce sends. */
  body(): string {
    return JSON.stringify([{ errorCode: this.errorCode, message: this.message }]);
  }
}
