import { Command } from 'commander';
import { openStateStore } from '../../engine/open-engine.js';
import { action, loadCommandConfig, output, withCommonOptions, type CommonOptions } from '../cli-io.js';

export function statusCommand(): Command {
  return withCommonOptions(new Command('status'))
    .description('last runs, queue sizes and watermarks of this sync')
    .option('--runs <n>', 'how many recent runs to show', (v) => Number.parseInt(v, 10), 5)
    .action(
      action(async (options: CommonOptions & { runs: number }) => {
        const config = await loadCommandConfig(options);
        const store = await openStateStore(config);
        try {
          const [runs, queues, watermarks, openJobs] = await Promise.all([
            store.runs.listRuns(config.sync, options.runs),
            store.status.queueSizes(config.sync),
            store.status.listWatermarks(config.sync),
            store.status.openJobCount(config.sync),
          ]);
          output(options, { sync: config.sync, runs, queues, watermarks, openJobs }, () => {
            const lines = [`sync ${config.sync}`];
            lines.push('recent runs:');
            if (runs.length === 0) lines.push('  (none yet: run tandem sync)');
            for (const r of runs) {
              const took = r.finishedAt
                ? `${((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000).toFixed(1)} s`
                : 'running';
              lines.push(
                `  #${r.id} ${r.startedAt} ${r.status}${r.dryRun ? ' (dry run)' : ''}, ${took}${r.error ? `: ${(r.error as { message?: string }).message ?? ''}` : ''}`,
              );
            }
            lines.push('queues:');
            for (const [object, q] of Object.entries(queues))
              lines.push(
                `  ${object}: ${q.records} records tracked, ${q.inbox} captured waiting, ${q.outbox} writes waiting, ${q.conflicts} conflicts open, ${q.failed} failed`,
              );
            if (openJobs > 0) lines.push(`  ${openJobs} remote bulk job(s) in flight (the next run resumes them)`);
            lines.push('watermarks:');
            for (const w of watermarks)
              lines.push(`  ${w.object} ${w.system}: ${JSON.stringify(w.value)} (v${w.version}, ${w.updatedAt})`);
            return lines.join('\n');
          });
        } finally {
          await store.close();
        }
      }),
    );
}
