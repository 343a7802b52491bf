import { Command } from 'commander';
import cron from 'node-cron';
import { openEngine } from '../../engine/open-engine.js';
import { dryRunSync, type DryRunObjectPlan } from '../../pipeline/dry-run.js';
import { runSync, type SyncRunResult } from '../../pipeline/run-sync.js';
import type { SyncOptions } from '../../pipeline/sync-object.js';
import { EXIT, TandemError } from '../../util/errors.js';
import {
  action,
  loadCommandConfig,
  loggerFor,
  output,
  progressPrinter,
  withCommonOptions,
  type CommonOptions,
} from '../cli-io.js';
import { UsageError } from '../cli-errors.js';
import { formatRun } from '../format.js';

interface SyncFlags extends CommonOptions {
  dryRun?: boolean;
  object?: string[];
  full?: boolean;
  schedule?: string | boolean;
}

export function exitCodeOf(result: SyncRunResult): number {
  if (result.status === 'succeeded') return EXIT.ok;
  if (result.status === 'partial') return EXIT.partial;
  return result.error instanceof TandemError ? result.error.exitCode : EXIT.failure;
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
    .option('--schedule [cron]', "keep running, syncing on this cron schedule (default: the config's schedule.cron)")
    .action(
      action(async (flags: SyncFlags) => {
        const config = await loadCommandConfig(flags);
        const logger = loggerFor(flags);
        const engine = await openEngine(config, { logger });
        const progress = progressPrinter(Boolean(process.stderr.isTTY) && !flags.json);
        const options: SyncOptions = {
          ...(flags.object ? { objects: flags.object } : {}),
          ...(flags.full ? { full: true } : {}),
          onProgress: (e) =>
            progress.update(
              `${e.object} ${e.stage}${e.system ? ` ${e.system}` : ''}: ${e.done}${e.total ? `/${e.total}` : ''} records`,
            ),
        };
        try {
          if (flags.dryRun) {
            const plans = await dryRunSync(engine.context, options);
            progress.done();
            output(flags, { dryRun: true, objects: plans }, () => formatDryRun(plans));
            return EXIT.ok;
          }
          if (flags.schedule) {
            const expression = typeof flags.schedule === 'string' ? flags.schedule : config.schedule?.cron;
            if (!expression || !cron.validate(expression)) {
              throw new UsageError(
                `--schedule needs a valid cron expression (got ${JSON.stringify(expression ?? null)}); e.g. --schedule "*/5 * * * *", or set schedule.cron in ${config.file}`,
                { schedule: expression ?? null },
              );
            }
            return await runScheduled(
              expression,
              async () => {
                const result = await runSync(engine.context, options);
                progress.done();
                output(flags, result, () => formatRun(config.sync, result));
              },
              logger,
            );
          }
          const result = await runSync(engine.context, options);
          progress.done();
          output(
            flags,
            { ...result, error: result.error ? { name: result.error.name, message: result.error.message } : undefined },
            () => formatRun(config.sync, result),
          );
          return exitCodeOf(result);
        } finally {
          await engine.close();
        }
      }),
    );
}

/** Runs `job` on a cron schedule until SIGINT/SIGTERM; a tick that finds the previous run still going is skipped. */
async function runScheduled(
  expression: string,
  job: () => Promise<void>,
  logger: import('../../util/logger.js').Logger,
): Promise<number> {
  // A holder, not a local: the cron callback assigns it, which control-flow narrowing cannot see.
  const state: { running: Promise<void> | null } = { running: null };
  const task = cron.schedule(expression, () => {
    if (state.running) {
      logger.warn('the previous sync is still running; this tick is skipped');
      return;
    }
    state.running = job()
      .catch((error: unknown) => logger.error({ err: error }, 'scheduled sync failed'))
      .finally(() => {
        state.running = null;
      });
  });
  logger.info({ schedule: expression }, 'waiting for the schedule; Ctrl-C stops');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await task.stop();
  if (state.running) await state.running;
  return EXIT.ok;
}
