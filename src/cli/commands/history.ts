import { Command } from 'commander';
import { openStateStore } from '../../engine/open-engine.js';
import { UsageError } from '../cli-errors.js';
import { action, loadCommandConfig, output, withCommonOptions, type CommonOptions } from '../cli-io.js';
import { mappedObject } from '../object-for-key.js';
import { formatTimelines } from '../../report/timeline-report.js';
import { EXIT } from '../../util/errors.js';

interface HistoryOptions extends CommonOptions {
  readonly object?: string;
  readonly nativeId?: string;
  readonly limit: number;
}

export function historyCommand(): Command {
  return withCommonOptions(new Command('history'))
    .description(
      "a record's timeline: every capture, decision (rule, policy version), planned write, bulk job and result, oldest first",
    )
    .argument('[key]', 'the sync key of the record')
    .option('--object <name>', 'the mapped object (default: every object holding the key or id)')
    .option('--native-id <id>', 'find the record by its native id in the ERP or the CRM instead of its key')
    .option('--limit <n>', 'at most this many events per record, the newest', (v) => Number.parseInt(v, 10), 500)
    .action(
      action(async (key: string | undefined, options: HistoryOptions) => {
        if (key === undefined && options.nativeId === undefined)
          throw new UsageError('say which record: tandem history KEY, or tandem history --native-id ID');
        if (!Number.isInteger(options.limit) || options.limit < 1)
          throw new UsageError(`--limit must be a whole number of at least 1, not '${String(options.limit)}'`);
        const config = await loadCommandConfig(options);
        if (options.object !== undefined) mappedObject(config, options.object);
        const store = await openStateStore(config);
        try {
          const timelines = await store.timeline.timeline({
            sync: config.sync,
            ...(options.object !== undefined ? { object: options.object } : {}),
            ...(key !== undefined ? { key } : {}),
            ...(options.nativeId !== undefined ? { nativeId: options.nativeId } : {}),
            limit: options.limit,
          });
          const what = key !== undefined ? `key '${key}'` : `native id '${options.nativeId ?? ''}'`;
          output(options, { sync: config.sync, records: timelines }, () =>
            timelines.length > 0
              ? formatTimelines(timelines)
              : `no record with ${what}${options.object ? ` in object '${options.object}'` : ''} in the state of sync '${config.sync}'`,
          );
          return timelines.length > 0 ? EXIT.ok : EXIT.usage;
        } finally {
          await store.close();
        }
      }),
    );
}
