import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import type { TandemConfig } from '../config/tandem-config.js';
import { connectionFailureOf } from '../util/connection-failure.js';
import { coerceError, EXIT, TandemError } from '../util/errors.js';
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

/** The process logger for a command: pretty on a terminal, JSON lines otherwise; always on stderr. */
export function loggerFor(options: CommonOptions): Logger {
  const level = options.logLevel ?? process.env['TANDEM_LOG_LEVEL'] ?? (options.json ? 'warn' : 'info');
  return createLogger({ level, pretty: Boolean(process.stderr.isTTY) && !options.json });
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

/**
 * Runs a command's action: a TandemError ends it with its message and exit code (JSON on stdout with --json);
 * anything else is a bug, reported with its stack.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const command = args[args.length - 1] as Command | undefined;
    const json = Boolean(command && typeof command.optsWithGlobals === 'function' && command.optsWithGlobals()['json']);
    try {
      const code = await fn(...args);
      process.exitCode = code ?? EXIT.ok;
    } catch (thrown) {
      // A database or host that cannot be used at all is exit 4 with a plain message, not "a bug".
      const error = thrown instanceof TandemError ? thrown : (connectionFailureOf(thrown) ?? coerceError(thrown));
      const exitCode = error instanceof TandemError ? error.exitCode : EXIT.failure;
      if (json) {
        process.stdout.write(
          JSON.stringify(
            {
              error: {
                name: error.name,
                message: error.message,
                ...(error instanceof TandemError ? { code: error.code, context: error.context } : {}),
              },
            },
            null,
            2,
          ) + '\n',
        );
      } else if (error instanceof TandemError) {
        process.stderr.write(`tandem: ${error.message}\n`);
      } else {
        process.stderr.write(`tandem: unexpected error (a bug; please report it): ${error.stack ?? error.message}\n`);
      }
      process.exitCode = exitCode;
    }
  };
}

/** A progress line on a terminal (rewritten in place), nothing otherwise. */
export function progressPrinter(enabled: boolean): { update(text: string): void; done(): void } {
  let last = 0;
  let shown = false;
  return {
    update(text: string) {
      if (!enabled) return;
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      shown = true;
      process.stderr.write(`\r\x1b[2K${text}`);
    },
    done() {
      if (enabled && shown) process.stderr.write('\r\x1b[2K');
    },
  };
}
