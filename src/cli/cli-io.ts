import { resolve } from 'node:path';
import { CommanderError, type Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import type { TandemConfig } from '../config/tandem-config.js';
import { connectionFailureOf } from '../util/connection-failure.js';
import { coerceError, EXIT, TandemError } from '../util/errors.js';
import { cliErrorJson, cliErrorText, UsageError } from './cli-errors.js';
import { createLogger, type Logger } from '../util/logger.js';

/** Options every tandem command takes. */
export interface CommonOptions {
  readonly config: string;
  readonly json?: boolean;
  readonly logLevel?: string;
}

/** Adds `--config`, `--json` and `--log-level` to a command. */
export function withCommonOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'the sync configuration', process.env['TANDEM_CONFIG'] ?? 'tandem.yaml')
    .option('--json', 'print machine-readable JSON on stdout')
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace (default: info; TANDEM_LOG_LEVEL)');
}

/**
 * The process logger for a command: pretty on a terminal, JSON lines otherwise; always on stderr. With a progress
 * display (`prettyLines`), pretty lines go through it, so they are printed above the display instead of into it.
 */
export function loggerFor(options: CommonOptions, prettyLines?: (text: string) => void): Logger {
  const level = options.logLevel ?? process.env['TANDEM_LOG_LEVEL'] ?? (options.json ? 'warn' : 'info');
  const pretty = Boolean(process.stderr.isTTY) && !options.json;
  return createLogger({ level, pretty, ...(pretty && prettyLines ? { prettyLines } : {}) });
}

/** Loads and validates tandem.yaml (every problem at once, with file and line). */
export async function loadCommandConfig(options: CommonOptions): Promise<TandemConfig> {
  return loadConfig(resolve(options.config), process.env);
}

/** Prints a result: JSON on stdout with --json, else the human text. */
export function output(options: { json?: boolean | undefined }, value: unknown, human: () => string): void {
  if (options.json) process.stdout.write(JSON.stringify(value, null, 2) + '\n');
  else process.stdout.write(human() + '\n');
}

/** Where a command writes and how it ends; tests pass their own. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly setExitCode: (code: number) => void;
}

/** The process's stdout, stderr and exit code. */
export const processIo: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  setExitCode: (code) => void (process.exitCode = code),
};

/**
 * Ends a command with an error: the one JSON shape on stdout with --json (`cliErrorJson`), else its message on
 * stderr; the exit code is the error's (2 for usage and configuration errors), 5 for anything unexpected.
 */
export function reportError(thrown: unknown, json: boolean, io: CliIo = processIo): void {
  // A database or host that cannot be used at all is exit 4 with a plain message, not "a bug".
  const error = thrown instanceof TandemError ? thrown : (connectionFailureOf(thrown) ?? coerceError(thrown));
  if (json) io.stdout.write(JSON.stringify(cliErrorJson(error), null, 2) + '\n');
  else io.stderr.write(cliErrorText(error) + '\n');
  io.setExitCode(error instanceof TandemError ? error.exitCode : EXIT.failure);
}

/**
 * Runs a command's action: its result is the exit code (default 0); whatever it throws ends it through
 * `reportError`. Every tandem command runs its action through this.
 */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<number | void>,
  io: CliIo = processIo,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const command = args[args.length - 1] as Command | undefined;
    const json = Boolean(command && typeof command.optsWithGlobals === 'function' && command.optsWithGlobals()['json']);
    try {
      const code = await fn(...args);
      io.setExitCode(code ?? EXIT.ok);
    } catch (thrown) {
      reportError(thrown, json, io);
    }
  };
}

/**
 * Parses the command line and runs the command. Commander's own errors (an unknown option, a missing argument, a
 * value an option refuses) end as a UsageError, exit code 2, in the same JSON shape with --json.
 */
export async function runCli(program: Command, argv: readonly string[], io: CliIo = processIo): Promise<void> {
  const json = argv.includes('--json');
  const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
  for (const command of all(program)) {
    command.exitOverride();
    if (json) command.configureOutput({ outputError: () => {} });
  }
  try {
    await program.parseAsync(argv);
  } catch (thrown) {
    if (!(thrown instanceof CommanderError)) throw thrown;
    if (thrown.exitCode === 0) return io.setExitCode(EXIT.ok); // --help, --version
    const message = thrown.message.replace(/^error: /, '');
    if (json) reportError(new UsageError(message, { reason: thrown.code }), true, io);
    else io.setExitCode(EXIT.usage); // commander has printed it
  }
}
