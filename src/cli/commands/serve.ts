import { Command } from 'commander';
import { pruneState } from '../../retention/prune-state.js';
import { MissingApiTokenError, startServe } from '../../serve/serve-service.js';
import { EXIT, TandemError } from '../../util/errors.js';
import { action, loadCommandConfig, loggerFor, withCommonOptions, type CommonOptions } from '../cli-io.js';

/** 03:17 UTC every day (off the hour, away from other jobs). */
const DAILY_PRUNE_CRON = '17 3 * * *';

interface ServeFlags extends CommonOptions {
  host?: string;
  port?: string;
  replica?: string;
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new TandemError(`--port must be a whole number from 0 to 65535 (got ${JSON.stringify(value)})`, {
      code: 'USAGE',
      exitCode: EXIT.usage,
    });
  return port;
}

export function serveCommand(): Command {
  return withCommonOptions(new Command('serve'))
    .description(
      'run as a service: each object on its schedules (schedule.increment, schedule.full), an HTTP endpoint with /healthz, /readyz, /metrics and /runs; SIGTERM stops cleanly',
    )
    .option('--host <address>', 'address the HTTP endpoint binds to (default: serve.host, 127.0.0.1)')
    .option('--port <port>', 'HTTP port (default: serve.port, 8080; 0 picks a free one)')
    .option('--replica <name>', 'this process in the run log (default: <hostname>:<pid>)')
    .action(
      action(async (flags: ServeFlags) => {
        const config = await loadCommandConfig(flags);
        const logger = loggerFor(flags);
        const token = process.env[config.serve.tokenEnv];
        if (!token) throw new MissingApiTokenError(config.serve.tokenEnv);
        const port = parsePort(flags.port);
        const service = await startServe({
          config,
          logger,
          token,
          ...(flags.host ? { host: flags.host } : {}),
          ...(port !== undefined ? { port } : {}),
          ...(flags.replica ? { replica: flags.replica } : {}),
          // Daily, in one replica: remove copies of record values older than retention:.
          maintenance: {
            cron: DAILY_PRUNE_CRON,
            async task(engine) {
              const report = await pruneState(engine.store.database, config.sync, config.retention);
              logger.info({ report }, 'daily prune done');
            },
          },
        });
        process.stdout.write(`${JSON.stringify({ listening: service.url, replica: service.replica })}\n`);
        const signal = await new Promise<NodeJS.Signals>((resolve) => {
          process.once('SIGINT', () => resolve('SIGINT'));
          process.once('SIGTERM', () => resolve('SIGTERM'));
        });
        logger.info({ signal }, 'signal received');
        // A second signal while stopping ends the process at once.
        const force = () => process.exit(EXIT.failure);
        process.once('SIGINT', force);
        process.once('SIGTERM', force);
        const inTime = await service.stop();
        logger.flush?.();
        // pg-boss and pools may keep timers for a moment: the service is stopped, so leave now.
        setTimeout(() => process.exit(inTime ? EXIT.ok : EXIT.failure), 50).unref();
        return inTime ? EXIT.ok : EXIT.failure;
      }),
    );
}
