import { Command } from 'commander';
import { openStateStore } from '../../engine/open-engine.js';
import { parseFieldValueText } from '../../model/field-value-text.js';
import type { FieldValue } from '../../model/record.js';
import type { ConflictAnswer } from '../../model/conflict.js';
import type { QueuedConflict } from '../../model/queued-conflict.js';
import { UsageError } from '../cli-errors.js';
import { mappedObject, objectForKey } from '../object-for-key.js';
import { action, loadCommandConfig, output, withCommonOptions, type CommonOptions } from '../cli-io.js';

function show(c: QueuedConflict): string {
  const lines = [`${c.object} ${c.key} (${c.status}) queued by ${c.rule}: ${c.reason} [policy ${c.policyVersion}]`];
  if (c.existence)
    lines.push(
      `  ${c.existence === 'erp-deleted' ? 'deleted in the erp' : 'deleted in the crm'} while the other side changed it`,
    );
  lines.push(`  erp modified ${c.erpModifiedAt ?? '-'}, crm modified ${c.crmModifiedAt ?? '-'}`);
  for (const f of c.fields)
    lines.push(
      `  ${f.field}: base ${JSON.stringify(f.base ?? null)} | erp ${JSON.stringify(f.erp ?? null)} | crm ${JSON.stringify(f.crm ?? null)}`,
    );
  if (c.resolution) lines.push(`  answered: ${JSON.stringify(c.resolution)} (flows out on the next sync)`);
  return lines.join('\n');
}

/** Parses `field=value`; values are JSON when they parse as JSON (numbers, true, null), text otherwise. */
export function parseAssignment(text: string): [string, FieldValue] {
  const at = text.indexOf('=');
  if (at <= 0) throw new UsageError(`--set takes field=value, got '${text}'`);
  return [text.slice(0, at), parseFieldValueText(text.slice(at + 1))];
}

export function conflictsCommand(): Command {
  const command = new Command('conflicts').description('the manual conflict queue: records waiting for a person');
  command.addCommand(
    withCommonOptions(new Command('list'))
      .description('list open conflicts')
      .option('--object <name>', 'only this object')
      .option('--resolved', 'list resolved ones instead')
      .action(
        action(async (options: CommonOptions & { object?: string; resolved?: boolean }) => {
          const config = await loadCommandConfig(options);
          if (options.object !== undefined) mappedObject(config, options.object);
          const store = await openStateStore(config);
          try {
            const list = await store.conflicts.listConflicts(config.sync, {
              ...(options.object ? { object: options.object } : {}),
              status: options.resolved ? 'resolved' : 'open',
              limit: 500,
            });
            output(options, list, () =>
              list.length
                ? list
                    .map(
                      (c) =>
                        `${c.object} ${c.key}: ${c.fields.map((f) => f.field).join(', ') || c.existence} (${c.rule})${c.resolution ? ' answered' : ''}`,
                    )
                    .join('\n')
                : 'no conflicts waiting',
            );
          } finally {
            await store.close();
          }
        }),
      ),
  );
  command.addCommand(
    withCommonOptions(new Command('show'))
      .description('show one conflict with both sides and the base')
      .argument('<key>', 'the record key')
      .option('--object <name>', 'the object (needed only when the key has a conflict in several objects)')
      .action(
        action(async (key: string, options: CommonOptions & { object?: string }) => {
          const config = await loadCommandConfig(options);
          const store = await openStateStore(config);
          try {
            const object = await objectForKey(config, options.object, key, {
              queue: 'conflict',
              list: 'tandem conflicts list (--resolved for answered ones)',
              objectsWithKey: (k) => store.conflicts.objectsWithConflictKey(config.sync, k, true),
            });
            const conflict = await store.conflicts.getConflict(config.sync, object, key);
            if (!conflict)
              throw new UsageError(`no conflict for ${object} ${key}; tandem conflicts list shows the queue`, {
                object,
                key,
              });
            output(options, conflict, () => show(conflict));
          } finally {
            await store.close();
          }
        }),
      ),
  );
  command.addCommand(
    withCommonOptions(new Command('resolve'))
      .description('answer a conflict: take one side, or set values; it flows out on the next sync')
      .argument('<key>', 'the record key')
      .option('--object <name>', 'the object (needed only when the key has an open conflict in several objects)')
      .option('--take <side>', 'take the erp or crm values')
      .option('--set <field=value...>', 'set these values (others keep waiting)')
      .option('--by <name>', 'who decided (recorded with the decision)', process.env['USER'] ?? 'cli')
      .action(
        action(
          async (
            key: string,
            options: CommonOptions & { object?: string; take?: string; set?: string[]; by: string },
          ) => {
            if (Boolean(options.take) === Boolean(options.set))
              throw new UsageError('give exactly one of --take erp|crm or --set field=value');
            if (options.take && options.take !== 'erp' && options.take !== 'crm')
              throw new UsageError(`--take must be erp or crm, got '${options.take}'`);
            const config = await loadCommandConfig(options);
            const answer: ConflictAnswer = options.take
              ? { take: options.take as 'erp' | 'crm', by: options.by }
              : { set: Object.fromEntries((options.set ?? []).map(parseAssignment)), by: options.by };
            const store = await openStateStore(config);
            try {
              const object = await objectForKey(config, options.object, key, {
                queue: 'open conflict',
                list: 'tandem conflicts list',
                objectsWithKey: (k) => store.conflicts.objectsWithConflictKey(config.sync, k),
              });
              const ok = await store.conflicts.answerConflict(config.sync, object, key, answer);
              if (!ok)
                throw new UsageError(`no open conflict for ${object} ${key}; tandem conflicts list shows the queue`, {
                  object,
                  key,
                });
              output(
                options,
                { object, key, answer },
                () => `answered ${object} ${key}; the next tandem sync writes it to both sides`,
              );
            } finally {
              await store.close();
            }
          },
        ),
      ),
  );
  return command;
}
