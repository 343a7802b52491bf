import { pino, type Logger, type LoggerOptions } from 'pino';
import { prettyFactory } from 'pino-pretty';

export type { Logger } from 'pino';

/**
 * Paths pino redacts wherever they appear in a log object. Secrets also never reach log calls on purpose; this is
 * the second line of defence.
 */
export const REDACT_PATHS: readonly string[] = Object.freeze([
  'password',
  '*.password',
  '*.*.password',
  'clientSecret',
  '*.clientSecret',
  '*.*.clientSecret',
  'client_secret',
  '*.client_secret',
  'privateKey',
  '*.privateKey',
  '*.*.privateKey',
  'accessToken',
  '*.accessToken',
  'access_token',
  '*.access_token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'connectionString',
  '*.connectionString',
  'url',
  '*.url',
  'databaseUrl',
  '*.databaseUrl',
  'assertion',
  '*.assertion',
]);

export interface CreateLoggerOptions {
  /** pino level; default `info`, or TANDEM_LOG_LEVEL read by the CLI. */
  readonly level?: string;
  /** Pretty, coloured lines (for a terminal) instead of JSON lines. */
  readonly pretty?: boolean;
  /** Where to write; default stderr (stdout is for command output and --json). */
  readonly destination?: NodeJS.WritableStream;
  /**
   * With `pretty`: each pretty log entry is handed to this function instead of being written (a progress display
   * prints it above itself). Formatted in this thread, synchronously, so no line arrives after the display ends.
   */
  readonly prettyLines?: (text: string) => void;
}

/** Creates the process logger: JSON lines, or pretty lines when `pretty` (the CLI sets it when stderr is a TTY). */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const base: LoggerOptions = {
    level: options.level ?? 'info',
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    base: { app: 'tandem' },
  };
  if (options.pretty && options.prettyLines) {
    const prettify = prettyFactory({ colorize: true, ignore: 'pid,hostname,app' });
    const sink = options.prettyLines;
    return pino(base, { write: (line: string) => sink(prettify(line)) });
  }
  if (options.pretty) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, ignore: 'pid,hostname,app' } },
    });
  }
  return pino(base, (options.destination ?? process.stderr) as pino.DestinationStream);
}

/** A logger that drops everything: the default for library use and tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
