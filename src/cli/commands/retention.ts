import { Command } from 'commander';
import { openStateStore } from '../../engine/open-engine.js';
import { forgetRecord, type ForgetTarget } from '../../retention/forget-record.js';
import { pruneState } from '../../retention/prune-state.js';
import { EXIT, TandemError } from '../../util/errors.js';
import { action, loadCommandConfig, output, withCommonOptions, type CommonOptions } from '../cli-io.js';

interface ForgetFlags extends CommonOptions {
  object: string;
  key?: string;
  erpId?: string;
  crmId?: string;
}

export function pruneCommand(): Command {
  return withCommonOptions(new Command('prune'))
    .description('remove copies of record values older than retention: from the state store now, and report them')
    .action(
      action(async (flags: CommonOptions) => {
        const config = await loadCommandConfig(flags);
        const store = await openStateStore(config);
        try {
          const report = await pruneState(store.database, config.sync, config.retention);
          output(flags, report, () =>
            [
              `pruned the state of sync '${config.sync}':`,
              `  staged changes deleted:           ${report.staged}   (older than ${report.cutoffs.staged})`,
              `  planned writes deleted:           ${report.planned}   (older than ${report.cutoffs.planned})`,
              `  decisions deleted:                ${report.decisions}   (older than ${report.cutoffs.decisions})`,
              `  resolved conflicts deleted:       ${report.resolvedConflicts}`,
              `  run details deleted:              ${report.runs}   (older than ${report.cutoffs.runs})`,
              `  failed-record payloads cleared:   ${report.failedPayloads}   (older than ${report.cutoffs.failed})`,
              `  deleted records' values cleared:  ${report.deletedRecordValues}`,
              `  record timeline events deleted:   ${report.recordEvents}   (older than ${report.cutoffs.history})`,
            ].join('\n'),
          );
          return EXIT.ok;
        } finally {
          await store.close();
        }
      }),
    );
}

export function forgetCommand(): Command {
  return withCommonOptions(new Command('forget'))
    .description(
      "erase one record's values from the state store (GDPR erasure); keeps only its key, ids and existence, and records the erasure without values",
    )
    .requiredOption('--object <name>', 'the mapped object')
    .option('--key <key>', 'the sync key')
    .option('--erp-id <id>', "the record's native id in the ERP")
    .option('--crm-id <id>', "the record's native id in the CRM")
    .action(
      action(async (flags: ForgetFlags) => {
        const given = [flags.key, flags.erpId, flags.crmId].filter((v) => v !== undefined);
        if (given.length !== 1)
          throw new TandemError('tandem forget needs exactly one of --key, --erp-id or --crm-id', {
            code: 'USAGE',
            exitCode: EXIT.usage,
          });
        const config = await loadCommandConfig(flags);
        if (!config.objects.some((o) => o.name === flags.object))
          throw new TandemError(
            `unknown object '${flags.object}'; the config maps: ${config.objects.map((o) => o.name).join(', ')}`,
            { code: 'UNKNOWN_OBJECT', exitCode: EXIT.usage, context: { object: flags.object } },
          );
        const target: ForgetTarget =
          flags.key !== undefined
            ? { object: flags.object, key: flags.key }
            : { object: flags.object, nativeId: (flags.erpId ?? flags.crmId)!, system: flags.erpId ? 'erp' : 'crm' };
        const store = await openStateStore(config);
        try {
          const report = await forgetRecord(store.database, config.sync, target);
          output(flags, report, () =>
            [
              `erased ${report.object} ${report.key} from the state store (audit #${report.auditId}):`,
              ...Object.entries(report.removed).map(([table, n]) => `  ${table}: ${n}`),
              'kept: the key, the native ids and which side holds it, so it is neither re-created nor re-synced by mistake.',
              'The ERP and the CRM still hold the record: erase it there with their own tools.',
            ].join('\n'),
          );
          return EXIT.ok;
        } finally {
          await store.close();
        }
      }),
    );
}
