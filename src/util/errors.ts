/**
 * Every error tandem raises on purpose is a named subclass of TandemError. Messages say what went wrong, where,
 * the allowed values and the fix; `context` carries the same facts as data for `--json` output and logs.
 * Secrets never go into a message or a context.
 */
export class TandemError extends Error {
  /** Stable, machine-readable code, e.g. `CONFIG_INVALID`. */
  readonly code: string;
  /** Facts about the failure (file, line, object, job id...). Never secrets. */
  readonly context: Readonly<Record<string, unknown>>;
  /** The process exit code the CLI uses when this error ends a command. */
  readonly exitCode: number;

  constructor(
    message: string,
    options: { code: string; context?: Record<string, unknown>; cause?: unknown; exitCode?: number },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.context = Object.freeze({ ...(options.context ?? {}) });
    this.exitCode = options.exitCode ?? EXIT.failure;
  }
}

/** Exit codes of the `tandem` CLI (documented in README.md). */
export const EXIT = Object.freeze({
  ok: 0,
  /** A run finished but some records were rejected or wait in the conflict queue. */
  partial: 1,
  /** Wrong usage or invalid configuration: fix the command or the file. */
  usage: 2,
  /** A remote quota is exhausted; the run stopped cleanly and resumes on a later run. */
  quota: 3,
  /** A remote system or the database could not be reached or failed. */
  unavailable: 4,
  /** Any other failure. */
  failure: 5,
});

/** The configuration (tandem.yaml, conflict-rules/*.yaml) is invalid; `issues` lists every problem found. */
export class ConfigError extends TandemError {
  readonly issues: readonly ConfigIssue[];
  constructor(message: string, issues: readonly ConfigIssue[], cause?: unknown) {
    super(message, { code: 'CONFIG_INVALID', context: { issues }, cause, exitCode: EXIT.usage });
    this.issues = issues;
  }
}

export interface ConfigIssue {
  readonly file: string;
  /** 1-based; undefined when the problem has no single place (e.g. a missing file). */
  readonly line?: number;
  readonly column?: number;
  /** Dotted path inside the file, e.g. `objects.account.fields.phone.transform`. */
  readonly path: string;
  readonly message: string;
}

/** A remote system or the database is unreachable or answered with a failure that is not about one record. */
export class UnavailableError extends TandemError {
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super(message, { code: 'UNAVAILABLE', context, cause, exitCode: EXIT.unavailable });
  }
}

/** A remote API quota is exhausted (e.g. Salesforce 403 REQUEST_LIMIT_EXCEEDED). The run stops cleanly. */
export class QuotaExceededError extends TandemError {
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super(message, { code: 'QUOTA_EXCEEDED', context, cause, exitCode: EXIT.quota });
  }
}

/** Turns anything thrown into an Error, so callers can rely on `.message` and `.name`. */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === 'string') return new Error(thrown);
  try {
    return new Error(`non-error thrown: ${JSON.stringify(thrown)}`);
  } catch {
    return new Error(`non-error thrown: ${String(thrown)}`);
  }
}
