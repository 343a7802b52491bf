import { Command } from 'commander';
import { DEFAULT_DEMO_CRM, DEMO_CRMS } from '../../demo/demo-crms.js';
import { runDemo } from '../../demo/run-demo.js';
import { EXIT } from '../../util/errors.js';
import { action, loggerFor, output } from '../cli-io.js';
import { formatRun } from '../format.js';
import type { ProgressMode } from '../progress/progress-mode.js';
import { progressOption, progressReporterFor } from './sync.js';

export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'a real sync on embedded defaults: an embedded ERP, a CRM emulator (Salesforce, HubSpot or Zoho), first load, edits, increments',
    )
    .option(
      '--crm <type>',
      `the CRM to run against, with its emulator: ${DEMO_CRMS.map((c) => c.type).join(', ')}`,
      DEFAULT_DEMO_CRM,
    )
    .option('--data <dir>', 'where the demo keeps its databases (wiped first)', '.tandem/demo')
    .option('--customers <n>', 'ERP customers to generate', (v) => Number.parseInt(v, 10), 2000)
    .option('--json', 'print the report as JSON')
    .option('--log-level <level>', 'log level (default warn)')
    .addOption(progressOption())
    .action(
      action(
        async (options: {
          crm: string;
          data: string;
          customers: number;
          json?: boolean;
          logLevel?: string;
          progress: ProgressMode;
        }) => {
          const progress = progressReporterFor(options);
          const logger = loggerFor(
            {
              config: '',
              ...(options.json ? { json: true } : {}),
              logLevel: options.logLevel ?? 'warn',
            },
            (text) => progress.log(text),
          );
          // The story goes to stdout; on the terminal that shows the live display it is printed above it.
          const toTerminal = progress.output === 'tty' && Boolean(process.stdout.isTTY);
          progress.begin('tandem demo');
          try {
            const report = await runDemo({
              crm: options.crm,
              dataDir: options.data,
              customers: options.customers,
              logger,
              formatRun,
              onStep: (message) => progress.step(message),
              onProgress: (event) => progress.event(event),
              ...(options.json
                ? { print: () => {} }
                : toTerminal
                  ? { print: (line: string) => progress.log(line) }
                  : {}),
            });
            progress.end();
            if (options.json) output(options, report, () => '');
            const failedRun = report.runs.some((r) => r.status === 'failed' || r.status === 'interrupted');
            return failedRun ? EXIT.failure : EXIT.ok;
          } finally {
            progress.end();
          }
        },
      ),
    );
}
