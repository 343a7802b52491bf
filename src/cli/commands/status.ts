import { Command } from 'commander';
import { openStateStore } from '../../engine/open-engine.js';
import type { RunLog, RunSummary } from '../../model/run-log.js';
import { action, loadCommandConfig, output, withCommonOptions, type CommonOptions } from '../cli-io.js';
import { lastRunByObject, type RunStatusView, type StatusReport } from '../../report/status-report.js';
import { formatStatus } from '../status-report.js';

/** Runs of which to take the last counts per object (a run of one object may be older than the runs shown). */
const RUNS_FOR_COUNTS = 50;

/**
 * The runs with their liveness: a run recorded `running` whose objects' locks nobody holds lost its process (the lock
 * dies with its holder), so it shows `interrupted`. Read only: the next run of those objects marks it in the history.
 * Statuses are read again after the lock check, so a run that finished meanwhile is not taken for a dead one.
 */
async function withLiveness(runs: RunLog, sync: string, list: readonly RunSummary[]): Promise<RunStatusView[]> {
  const running = list.filter((r) => r.status === 'running');
  if (running.length === 0) return [...list];
  const alive = new Map<string, boolean>();
  for (const run of running) {
    const held = await Promise.all(run.objects.map((object) => runs.isLocked(sync, object)));
    alive.set(run.id, held.some(Boolean));
  }
  const again = new Map((await runs.listRuns(sync, list.length)).map((r) => [r.id, r]));
  return list.map((run) => {
    const now = again.get(run.id) ?? run;
    if (now.status !== 'running') return now;
    return alive.get(run.id)
      ? { ...now, holder: 'alive' as const }
      : { ...now, status: 'interrupted' as const, recordedStatus: 'running' as const, holder: 'gone' as const };
  });
}

export function statusCommand(): Command {
  return withCommonOptions(new Command('status'))
    .description(
      'recent runs (a run whose process died shows as interrupted), counts per side, queues, policy versions, watermarks and operator actions',
    )
    .option('--runs <n>', 'how many recent runs to show', (v) => Number.parseInt(v, 10), 5)
    .action(
      action(async (options: CommonOptions & { runs: number }) => {
        const config = await loadCommandConfig(options);
        const store = await openStateStore(config);
        try {
          const [recent, queues, watermarks, openJobs, operatorActions] = await Promise.all([
            store.runs.listRuns(config.sync, Math.max(options.runs, RUNS_FOR_COUNTS)),
            store.status.queueSizes(config.sync),
            store.status.listWatermarks(config.sync),
            store.status.openJobCount(config.sync),
            store.failed.listOperatorActions(config.sync, 5),
          ]);
          const runs = await withLiveness(store.runs, config.sync, recent.slice(0, options.runs));
          const report: StatusReport = {
            sync: config.sync,
            runs,
            queues,
            watermarks,
            openJobs,
            lastRunByObject: lastRunByObject(recent),
            operatorActions,
          };
          output(options, report, () => formatStatus(report, new Date()));
        } finally {
          await store.close();
        }
      }),
    );
}
