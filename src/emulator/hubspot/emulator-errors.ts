import { randomUUID } from 'node:crypto';
import { EXIT, TandemError } from '../../util/errors.js';

/** The emulator's options, flags or admin input are invalid. */
export class HubSpotEmulatorConfigError extends TandemError {
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super(message, { code: 'EMULATOR_CONFIG_INVALID', context, cause, exitCode: EXIT.usage });
  }
}

/** An in-process store call was given a record HubSpot would refuse (the same rules as the API). */
export class HubSpotEmulatorRecordError extends TandemError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super(message, { code: 'EMULATOR_RECORD_REJECTED', context });
  }
}

/**
 * An error answer of the emulated API, with HubSpot's body: `{status:"error", message, correlationId, category,
 * subCategory?, context?, errors?}`. Thrown in handlers and sent by the server's error handler.
 */
export class HubSpotApiError extends TandemError {
  readonly status: number;
  readonly category: string;
  readonly extra: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    status: number,
    category: string,
    message: string,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    super(message, { code: 'EMULATOR_API_ERROR', context: { status, category } });
    this.status = status;
    this.category = category;
    this.extra = extra;
    this.headers = headers;
  }

  body(correlationId: string = randomUUID()): Record<string, unknown> {
    return { status: 'error', message: this.message, correlationId, category: this.category, ...this.extra };
  }
}
