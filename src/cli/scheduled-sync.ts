import cron from 'node-cron';
import type { SyncRunResult } from '../pipeline/run-sync.js';
import { coerceError, EXIT, TandemError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { exitCodeOf } from './run-exit-code.js';

export interface ScheduledSyncOptions {
  /** A cron expression (already validated). */
  readonly expression: string;
  /** Run once right away, before the first tick (default in the CLI; `--no-run-at-start` turns it off). */
  readonly runAtStart: boolean;
  /** One sync run. `signal` aborts when a stop is asked: the run ends at its next safe point ('interrupted'). */
  readonly run: (signal: AbortSignal) => Promise<SyncRunResult>;
  readonly logger: Logger;
  /** Resolves with what asked for the stop (`SIGINT`, `SIGTERM`). */
  readonly stopRequested: Promise<string>;
  /** Told when a stop has to wait for the running sync to reach a safe point. */
  readonly onWaitingForSafePoint?: () => void;
}

export interface ScheduledSyncOutcome {
  /** Runs started. */
  readonly runs: number;
  /** The last run that ended on its own (not stopped by the shutdown), if any. */
  readonly last: SyncRunResult | null;
  /**
   * 0 unless the last run that ended on its own failed: then that run's exit code (a quota stop or an unreachable
   * system too). A partial run (a rejected record, a queued conflict) is part of normal service: 0.
   */
  readonly exitCode: number;
}

/**
 * `tandem sync --schedule`: runs the sync on a cron schedule (and once at start) until SIGINT/SIGTERM, one run at a
 * time (a tick that finds a run still going is skipped), logging the next run's time after each run. A stop during a
 * run aborts it at its next safe point, the same shutdown signal `tandem serve` hands its runs; the next start resumes
 * from there.
 */
export async function runOnSchedule(options: ScheduledSyncOptions): Promise<ScheduledSyncOutcome> {
  const { logger } = options;
  const shutdown = new AbortController();
  // A holder, not locals: the cron callback assigns them, which control-flow narrowing cannot see.
  const state: { running: Promise<void> | null; runs: number; last: SyncRunResult | null; exitCode: number } = {
    running: null,
    runs: 0,
    last: null,
    exitCode: EXIT.ok,
  };
  const task = cron.schedule(options.expression, () => start('schedule'));
  const logNext = (message: string) => {
    const next = task.getNextRun();
    logger.info(
      { schedule: options.expression, next: next?.toISOString() ?? null },
      `${message}; next run at ${next ? next.toISOString() : '(none)'}`,
    );
  };

  function start(trigger: 'start' | 'schedule'): void {
    if (shutdown.signal.aborted) return;
    if (state.running) {
      logger.warn({ trigger }, 'the previous sync is still running; this tick is skipped');
      return;
    }
    state.runs += 1;
    state.running = options
      .run(shutdown.signal)
      .then((result) => {
        if (result.status === 'interrupted' && shutdown.signal.aborted) return;
        state.last = result;
        state.exitCode = result.status === 'partial' ? EXIT.ok : exitCodeOf(result);
        if (!shutdown.signal.aborted) logNext(`sync ${result.status}`);
      })
      .catch((thrown: unknown) => {
        const error = coerceError(thrown);
        state.exitCode = error instanceof TandemError ? error.exitCode : EXIT.failure;
        logger.error({ err: error }, 'scheduled sync could not run');
        if (!shutdown.signal.aborted) logNext('sync could not run');
      })
      .finally(() => {
        state.running = null;
      });
  }

  if (options.runAtStart) {
    logger.info({ schedule: options.expression }, 'syncing now, then on the schedule; Ctrl-C stops');
    start('start');
  } else logNext('waiting for the schedule; Ctrl-C stops');

  const reason = await options.stopRequested;
  shutdown.abort(
    new TandemError(`tandem sync --schedule is stopping (${reason})`, { code: 'SHUTDOWN', exitCode: EXIT.ok }),
  );
  await task.stop();
  if (state.running) {
    logger.info(
      { signal: reason },
      'stopping: waiting for the running sync to reach a safe point (a second signal ends at once)',
    );
    options.onWaitingForSafePoint?.();
    await state.running;
  } else logger.info({ signal: reason }, 'stopped');
  return { runs: state.runs, last: state.last, exitCode: state.exitCode };
}
