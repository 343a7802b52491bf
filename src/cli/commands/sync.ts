import { Command, Option } from 'commander';
import cron from 'node-cron';
import { openEngine } from '../../engine/open-engine.js';
import { dryRunSync, type DryRunObjectPlan } from '../../pipeline/dry-run.js';
import { runSync } from '../../pipeline/run-sync.js';
import type { SyncOptions } from '../../pipeline/sync-object.js';
import { EXIT } from '../../util/errors.js';
import { action, loadCommandConfig, loggerFor, output, withCommonOptions, type CommonOptions } from '../cli-io.js';
import { UsageError } from '../cli-errors.js';
import { formatRun } from '../format.js';
import { createProgressReporter } from '../progress/create-progress-reporter.js';
import { PROGRESS_MODES, resolveProgressOutput, type ProgressMode } from '../progress/progress-mode.js';
import type { ProgressReporter } from '../progress/progress-reporter.js';
import { exitCodeOf } from '../run-exit-code.js';
import { runOnSchedule } from '../scheduled-sync.js';

export { exitCodeOf } from '../run-exit-code.js';

interface SyncFlags extends CommonOptions {
  dryRun?: boolean;
  object?: string[];
  full?: boolean;
  schedule?: string | boolean;
  runAtStart: boolean;
  progress: ProgressMode;
}

/** The `--progress` option (sync and demo). */
export function progressOption(): Option {
  return new Option(
    '--progress <mode>',
    'progress display: auto (live bars on a terminal, a line per stage otherwise, none with --json), tty, plain, json (JSON lines on stderr) or none',
  )
    .choices(PROGRESS_MODES)
    .default('auto');
}

/** The reporter for a command's `--progress` and `--json`, on stderr. */
export function progressReporterFor(flags: { progress: ProgressMode; json?: boolean | undefined }): ProgressReporter {
  return createProgressReporter(
    resolveProgressOutput(flags.progress, { json: Boolean(flags.json), isTTY: Boolean(process.stderr.isTTY) }),
  );
}

/** Resolves on the first SIGINT or SIGTERM; a second one ends the process at once. */
function firstSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      const force = () => process.exit(EXIT.failure);
      process.once('SIGINT', force);
      process.once('SIGTERM', force);
      resolve(signal);
    };
    const onInt = on('SIGINT');
    const onTerm = on('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  });
}

function formatDryRun(plans: readonly DryRunObjectPlan[]): string {
  const lines = ['dry run: nothing was written to either side and no state changed'];
  for (const p of plans) {
    lines.push(
      `  ${p.object}: captured erp ${p.captured.erp}, crm ${p.captured.crm}${p.truncated ? ' (more waiting; a dry run reads at most 100000 per side)' : ''}`,
    );
    lines.push(
      `    plan: ${
        Object.entries(p.plan)
          .map(([k, n]) => `${n} ${k}`)
          .join(', ') || 'nothing to plan'
      }`,
    );
    lines.push(
      `    would write: ${p.writes.erp} record(s) to the erp, ${p.writes.crm} to the crm; conflicts: ${p.conflicts.decided} decided, ${p.conflicts.queued} queued`,
    );
    for (const system of ['erp', 'crm'] as const) {
      for (const w of p.examples[system]) lines.push(`    ${system} ${w.op} ${w.key}: ${JSON.stringify(w.fields)}`);
    }
  }
  return lines.join('\n');
}

export function syncCommand(): Command {
  return withCommonOptions(new Command('sync'))
    .description('capture changes on both sides, resolve conflicts and write the outcome to each side')
    .option('--dry-run', 'print the plan; write nothing to either side and change no state')
    .option('--object <name...>', 'only these mapped objects')
    .option('--full', 're-read everything (ignoring watermarks) and reconcile keys to find hard deletes')
    .option(
      '--schedule [cron]',
      "keep running, syncing at start and on this cron schedule (default: the config's schedule.cron)",
    )
    .option('--no-run-at-start', 'with --schedule: wait for the first tick instead of syncing at start')
    .addOption(progressOption())
    .action(
      action(async (flags: SyncFlags) => {
        const config = await loadCommandConfig(flags);
        const progress = progressReporterFor(flags);
        const logger = loggerFor(flags, (text) => progress.log(text));
        const expression = flags.schedule
          ? typeof flags.schedule === 'string'
            ? flags.schedule
            : config.schedule?.cron
          : undefined;
        if (flags.schedule && (!expression || !cron.validate(expression))) {
          throw new UsageError(
            `--schedule needs a valid cron expression (got ${JSON.stringify(expression ?? null)}); e.g. --schedule "*/5 * * * *", or set schedule.cron in ${config.file}`,
            { schedule: expression ?? null },
          );
        }
        const engine = await openEngine(config, { logger });
        const options = (signal?: AbortSignal): SyncOptions => ({
          ...(flags.object ? { objects: flags.object } : {}),
          ...(flags.full ? { full: true } : {}),
          ...(signal ? { signal } : {}),
          onProgress: (event) => progress.event(event),
        });
        /** One run with its progress display and its result printed. */
        const runOnce = async (signal: AbortSignal) => {
          progress.begin(`tandem sync ${config.sync}${flags.full ? ' (full)' : ''}`);
          try {
            return await runSync(engine.context, options(signal));
          } finally {
            progress.end();
          }
        };
        const print = (result: Awaited<ReturnType<typeof runSync>>) =>
          output(
            flags,
            { ...result, error: result.error ? { name: result.error.name, message: result.error.message } : undefined },
            () => formatRun(config.sync, result),
          );
        try {
          if (flags.dryRun) {
            progress.begin(`tandem sync ${config.sync} --dry-run`);
            const plans = await dryRunSync(engine.context, options()).finally(() => progress.end());
            output(flags, { dryRun: true, objects: plans }, () => formatDryRun(plans));
            return EXIT.ok;
          }
          if (expression) {
            const outcome = await runOnSchedule({
              expression,
              runAtStart: flags.runAtStart,
              logger,
              stopRequested: firstSignal(),
              onWaitingForSafePoint: () => progress.step('stopping: waiting for a safe point'),
              run: async (signal) => {
                const result = await runOnce(signal);
                print(result);
                return result;
              },
            });
            return outcome.exitCode;
          }
          // Ctrl-C (or SIGTERM) stops the run at its next safe point; the next run resumes from there.
          const stop = new AbortController();
          void firstSignal().then((signal) => {
            logger.info(
              { signal },
              'stopping: waiting for the running sync to reach a safe point (a second signal ends at once)',
            );
            progress.step('stopping: waiting for a safe point');
            stop.abort();
          });
          const result = await runOnce(stop.signal);
          print(result);
          return exitCodeOf(result);
        } finally {
          await engine.close();
        }
      }),
    );
}
