import { ConfigError, EXIT, TandemError } from '../util/errors.js';

/**
 * The command was used wrongly: a missing or contradictory option, an unknown object, a record that is not there.
 * The one usage error of the CLI (exit code 2); commander's own parse errors become one too. `code` defaults to
 * `USAGE`; a more specific one (`FILE_EXISTS`) tells scripts what to fix.
 *
 * @example
 * ```ts
 * throw new UsageError('give exactly one of --take erp|crm or --set field=value')
 * throw new UsageError(`${file} already exists`, { file }, 'FILE_EXISTS')
 * ```
 */
export class UsageError extends TandemError {
  constructor(message: string, context: Record<string, unknown> = {}, code = 'USAGE') {
    super(message, { code, context, exitCode: EXIT.usage });
  }
}

/**
 * The one shape of an error that ends a command run with `--json`, printed on stdout for every command:
 * `{ "error": { "code", "name", "message", "context" } }`. `code` is stable (`CONFIG_INVALID`, `USAGE`,
 * `UNAVAILABLE`...; `UNEXPECTED` for a bug); `context` carries the facts (a ConfigError's `issues`, with file and
 * line). Secrets are never in either.
 */
export interface CliErrorJson {
  readonly error: {
    readonly code: string;
    readonly name: string;
    readonly message: string;
    readonly context: Readonly<Record<string, unknown>>;
  };
}

export function cliErrorJson(error: Error): CliErrorJson {
  if (error instanceof TandemError)
    return { error: { code: error.code, name: error.name, message: error.message, context: error.context } };
  return { error: { code: 'UNEXPECTED', name: error.name, message: error.message, context: {} } };
}

/** The text form of the same error, for stderr. */
export function cliErrorText(error: Error): string {
  if (error instanceof ConfigError || error instanceof TandemError) return `tandem: ${error.message}`;
  return `tandem: unexpected error (a bug; please report it): ${error.stack ?? error.message}`;
}
