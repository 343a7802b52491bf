import { EXIT, TandemError } from '../../util/errors.js';

/** The connector's configuration or a stream's options are invalid (unknown key, bad identifier, bad value). */
export class PostgresConfigError extends TandemError {
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super(message, { code: 'POSTGRES_CONFIG_INVALID', context, cause, exitCode: EXIT.usage });
  }
}

/**
 * A mapped table or column does not exist or does not fit (wrong type, key column not unique...).
 * `context` always carries `{ object, table, column }` (column may be undefined for table-level problems) so the
 * CLI can point at the mapping's line in tandem.yaml.
 */
export class PostgresSchemaError extends TandemError {
  constructor(
    message: string,
    context: { object: string; table: string; column: string | undefined } & Record<string, unknown>,
    cause?: unknown,
  ) {
    super(message, { code: 'POSTGRES_SCHEMA_MISMATCH', context, cause, exitCode: EXIT.usage });
  }
}

/** Changelog capture is configured for a stream but its trigger or change-log table is missing. */
export class CaptureNotInstalledError extends TandemError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super(message, { code: 'POSTGRES_CAPTURE_NOT_INSTALLED', context, exitCode: EXIT.usage });
  }
}
