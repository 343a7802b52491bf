import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { EXAMPLE_CONFIG } from '../../config/example-config.js';
import { UsageError } from '../cli-errors.js';
import { action, output, withCommonOptions, type CommonOptions } from '../cli-io.js';

export function initCommand(): Command {
  return withCommonOptions(new Command('init'))
    .description('write a commented example tandem.yaml to start from')
    .option('--force', 'overwrite an existing file')
    .action(
      action(async (options: CommonOptions & { force?: boolean }) => {
        const file = resolve(options.config);
        if (existsSync(file) && !options.force) {
          throw new UsageError(
            `${file} already exists; nothing was written. Fix: edit it, pass another --config path, or add --force to overwrite it`,
            { file },
            'FILE_EXISTS',
          );
        }
        await writeFile(file, EXAMPLE_CONFIG, 'utf8');
        output(
          options,
          { written: file },
          () => `wrote ${file}\nnext: set the \${...} environment variables it names, then run: tandem sync --dry-run`,
        );
      }),
    );
}
