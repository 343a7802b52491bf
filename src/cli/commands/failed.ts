import { Command } from 'commander';
import { openStateStore } from '../../engine/open-engine.js';
import type { FailedAction, FailedRecordView, FailedSelector, OperatorActionView } from '../../model/failed-queue.js';
import { UsageError } from '../cli-errors.js';
import { action, loadCommandConfig, output, withCommonOptions, type CommonOptions } from '../cli-io.js';
import { mappedObject, objectForKey } from '../object-for-key.js';

interface SelectOptions extends CommonOptions {
  readonly object?: string;
  readonly key?: string;
  readonly all?: boolean;
  readonly by: string;
}

/** What each action does, for its help and its message. */
const ACTIONS: Record<FailedAction, { readonly help: string; readonly done: string; readonly next: string }> = {
  retry: {
    help: 'retry on the next run, without waiting for the backoff (a skip is lifted)',
    done: 'due now',
    next: 'the next tandem sync (or the next scheduled run) writes them again; run tandem sync now to retry at once',
  },
  skip: {
    help: 'stop retrying until the record changes again (it stays listed, as skipped)',
    done: 'skipped',
    next: 'they are not retried until the record changes again; tandem failed retry undoes it',
  },
  discard: {
    help: 'remove from the queue for good (the record is written again only when it changes)',
    done: 'discarded',
    next: 'they are gone from the queue; the audit keeps what was discarded (tandem status, tandem failed history)',
  },
};

function listLine(f: FailedRecordView): string {
  const when = f.skippedAt ? `skipped ${f.skippedAt} by ${f.skippedBy ?? '?'}` : `next ${f.nextRetryAt}`;
  return `${f.object} ${f.key} -> ${f.system} ${f.status} (attempt ${f.attempts}, ${when}): ${f.reason}`;
}

/** One line per operator action, for `failed history` and `status`. */
export function actionLine(a: OperatorActionView): string {
  const what = a.selector.key
    ? `${a.selector.object} ${a.selector.key}`
    : a.selector.object
      ? `all of ${a.selector.object}`
      : 'all';
  return `#${a.id} ${a.at} ${a.action} ${what}: ${a.affected} entr${a.affected === 1 ? 'y' : 'ies'}, by ${a.actor}`;
}

function selectionCommand(name: FailedAction): Command {
  return withCommonOptions(new Command(name))
    .description(ACTIONS[name].help)
    .option('--object <name>', 'the failed records of this object (with --key: that one record)')
    .option(
      '--key <key>',
      'one record, by its sync key (--object is needed only when the key fails in several objects)',
    )
    .option('--all', 'every failed record of this sync')
    .option('--by <name>', 'who did it (kept in the audit trail)', process.env['USER'] ?? 'cli')
    .action(
      action(async (options: SelectOptions) => {
        if (options.all && (options.object !== undefined || options.key !== undefined))
          throw new UsageError(`--all takes every failed record: give it alone, or --object/--key without it`);
        if (!options.all && options.object === undefined && options.key === undefined)
          throw new UsageError(
            `say which failed records to ${name}: --object O --key K (one record), --object O (all of an object) or --all; tandem failed list shows them`,
          );
        const config = await loadCommandConfig(options);
        if (options.object !== undefined) mappedObject(config, options.object);
        const store = await openStateStore(config);
        try {
          let selector: FailedSelector = {};
          if (options.key !== undefined) {
            const object = await objectForKey(config, options.object, options.key, {
              queue: 'failed record',
              list: 'tandem failed list',
              objectsWithKey: (k) => store.failed.objectsWithFailedKey(config.sync, k),
            });
            selector = { object, key: options.key };
          } else if (options.object !== undefined) selector = { object: options.object };
          const done = await store.failed.actOnFailed(config.sync, name, selector, options.by, new Date());
          if (!done && selector.key !== undefined)
            throw new UsageError(
              `no failed record for ${selector.object} ${selector.key}; tandem failed list shows the queue`,
              { ...selector },
            );
          output(options, done ?? { action: `failed-${name}`, selector, affected: 0, records: [] }, () => {
            if (!done) return `no failed records${selector.object ? ` in ${selector.object}` : ''}: nothing to ${name}`;
            const shown = done.records
              .slice(0, 10)
              .map(
                (r) =>
                  `  ${r.object} ${r.key} -> ${r.system} (${r.status}, ${r.attempts} attempt(s)): ${r.reason ?? ''}`,
              );
            if (done.affected > shown.length) shown.push(`  ... and ${done.affected - shown.length} more`);
            return [
              `${ACTIONS[name].done}: ${done.affected} failed entr${done.affected === 1 ? 'y' : 'ies'} (audit #${done.id})`,
              ...shown,
              ACTIONS[name].next,
            ].join('\n');
          });
        } finally {
          await store.close();
        }
      }),
    );
}

export function failedCommand(): Command {
  const command = new Command('failed').description(
    'records a side rejected or did not process: list, retry, skip or discard them',
  );
  command.addCommand(
    withCommonOptions(new Command('list'))
      .description('list failed records with their reasons (skipped ones too)')
      .option('--object <name>', 'only this object')
      .action(
        action(async (options: CommonOptions & { object?: string }) => {
          const config = await loadCommandConfig(options);
          if (options.object !== undefined) mappedObject(config, options.object);
          const store = await openStateStore(config);
          try {
            const list = await store.failed.listFailed(config.sync, {
              ...(options.object ? { object: options.object } : {}),
              limit: 500,
            });
            output(options, list, () => (list.length ? list.map(listLine).join('\n') : 'no failed records'));
          } finally {
            await store.close();
          }
        }),
      ),
  );
  for (const name of ['retry', 'skip', 'discard'] as const) command.addCommand(selectionCommand(name));
  command.addCommand(
    withCommonOptions(new Command('history'))
      .description('what operators did to the failed records (retry, skip, discard), newest first')
      .option('--limit <n>', 'how many actions', (v) => Number.parseInt(v, 10), 20)
      .action(
        action(async (options: CommonOptions & { limit: number }) => {
          const config = await loadCommandConfig(options);
          const store = await openStateStore(config);
          try {
            const list = await store.failed.listOperatorActions(config.sync, options.limit);
            output(options, list, () => (list.length ? list.map(actionLine).join('\n') : 'no operator actions yet'));
          } finally {
            await store.close();
          }
        }),
      ),
  );
  return command;
}
