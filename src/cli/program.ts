import { resolve } from 'node:path';
import { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { openConnector, streamsOf } from '../engine/open-engine.js';
import { silentLogger } from '../util/logger.js';
import { conflictsCommand } from './commands/conflicts.js';
import { failedCommand } from './commands/failed.js';
import { historyCommand } from './commands/history.js';
import { demoCommand } from './commands/demo.js';
import { emulatorCommand } from './commands/emulator.js';
import { erpCommand } from './commands/erp.js';
import { initCommand } from './commands/init.js';
import { migrateCommand } from './commands/migrate.js';
import { policyCommand } from './commands/policy.js';
import { loadPolicyCliContext } from './policy-cli-context.js';
import { statusCommand } from './commands/status.js';
import { forgetCommand, pruneCommand } from './commands/retention.js';
import { serveCommand } from './commands/serve.js';
import { syncCommand } from './commands/sync.js';

/**
 * The `tandem` command line. Exit codes: 0 ok; 1 a run finished with rejected records or queued conflicts (or a
 * check found problems); 2 usage or configuration error; 3 a remote quota is exhausted (the next run resumes);
 * 4 a system could not be reached; 5 any other failure.
 */
export function buildProgram(): Command {
  const program = new Command('tandem')
    .description(
      'Bidirectional, incremental sync between an ERP (Postgres) and a CRM (Salesforce), with change-data capture.',
    )
    .version('0.1.0')
    .showHelpAfterError('(tandem --help lists the commands)')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 partial (rejected records or queued conflicts), 2 usage/config error, 3 quota exhausted, 4 unreachable, 5 other failure.\nDocs: README.md and docs/ (configuration, conflict rules, operations).',
    );
  program.addCommand(initCommand());
  program.addCommand(migrateCommand());
  program.addCommand(syncCommand());
  program.addCommand(serveCommand());
  program.addCommand(pruneCommand());
  program.addCommand(forgetCommand());
  program.addCommand(statusCommand());
  program.addCommand(historyCommand());
  program.addCommand(conflictsCommand());
  program.addCommand(failedCommand());
  program.addCommand(
    policyCommand((configPath, options) => loadPolicyCliContext(configPath, options, process.env, process.stderr)),
  );
  program.addCommand(
    erpCommand(async (configPath) => {
      const config = await loadConfig(resolve(configPath), process.env);
      const connector = await openConnector(config, 'erp', silentLogger());
      return { connector, type: config.erp.type, streams: config.objects.map((m) => streamsOf(m).erp) };
    }),
  );
  program.addCommand(emulatorCommand());
  program.addCommand(demoCommand());
  return program;
}
