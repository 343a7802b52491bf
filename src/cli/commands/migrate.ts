import { Command } from 'commander';
import { openStateStore } from '../../engine/open-engine.js';
import { action, loadCommandConfig, output, withCommonOptions, type CommonOptions } from '../cli-io.js';

export function migrateCommand(): Command {
  return withCommonOptions(new Command('migrate'))
    .description("create or upgrade tandem's state schema (idempotent; sync does it too)")
    .action(
      action(async (options: CommonOptions) => {
        const config = await loadCommandConfig(options);
        const store = await openStateStore(config);
        await store.close();
        const where = config.state.url
          ? `schema ${config.state.schema} of the state database`
          : `the embedded store in ${config.state.dataDir}`;
        output(
          options,
          { migrated: true, schema: config.state.schema, embedded: !config.state.url },
          () => `state store is up to date (${where})`,
        );
      }),
    );
}
