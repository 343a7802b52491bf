import type { Command, CommanderError } from 'commander';
import { EXIT } from '../util/errors.js';

/**
 * Makes commander's own errors (unknown option or command, missing argument, invalid choice) end the process with
 * `EXIT.usage` (2), as README's table says, instead of commander's default 1. Help and `--version` keep exit 0.
 * `addCommand` does not pass settings down, so every command of the tree gets the override.
 *
 * @example
 * ```ts
 * const program = exitUsageErrorsWithUsageCode(new Command('tandem'))
 * ```
 */
export function exitUsageErrorsWithUsageCode<C extends Command>(program: C): C {
  const visit = (command: Command): void => {
    command.exitOverride((error: CommanderError) => {
      process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage);
    });
    for (const child of command.commands) visit(child);
  };
  visit(program);
  return program;
}
