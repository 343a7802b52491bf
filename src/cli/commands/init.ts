import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { exampleConfigFor } from '../../config/example-config.js';
import { defaultConnectorRegistry } from '../../connectors/builtin-connectors.js';
import { EXIT, TandemError } from '../../util/errors.js';
import { action, output, withCommonOptions, type CommonOptions } from '../cli-io.js';

export function initCommand(): Command {
  return withCommonOptions(new Command('init'))
    .description('write a commented example tandem.yaml to start from')
    .option('--force', 'overwrite an existing file')
    .option(
      '--crm <type>',
      `the CRM connector (registered: ${defaultConnectorRegistry.types('crm').join(', ')})`,
      'salesforce',
    )
    .action(
      action(async (options: CommonOptions & { force?: boolean; crm: string }) => {
        // An unregistered type is refused before anything is written, with the registered types listed.
        const example = exampleConfigFor(options.crm, defaultConnectorRegistry);
        const file = resolve(options.config);
        if (existsSync(file) && !options.force) {
          throw new TandemError(
            `${file} already exists; nothing was written. Fix: edit it, pass another --config path, or add --force to overwrite it`,
            { code: 'FILE_EXISTS', context: { file }, exitCode: EXIT.usage },
          );
        }
        await writeFile(file, example, 'utf8');
        output(
          options,
          { written: file, crm: options.crm },
          () => `wrote ${file}\nnext: set the \${...} environment variables it names, then run: tandem sync --dry-run`,
        );
      }),
    );
}
