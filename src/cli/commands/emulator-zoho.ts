import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import {
  parseZohoFaultConfig,
  startZohoEmulator,
  ZohoEmulatorConfigError,
  type RunningZohoEmulator,
  type ZohoModuleDefinitionInput,
} from '../../emulator/zoho/index.js';
import { createLogger, type Logger } from '../../util/logger.js';
import { definedOnly, faultFlags, intFlag, rateFlag, serveUntilStopped } from './emulator-command-support.js';

export interface ZohoEmulatorCommandDeps {
  readonly stdout?: NodeJS.WritableStream;
  readonly logger?: Logger;
  /** Resolves when the emulator should stop; default: the first SIGINT or SIGTERM. */
  readonly waitForStop?: (emulator: RunningZohoEmulator) => Promise<void>;
}

interface ZohoFlags {
  port?: number;
  host?: string;
  data?: string;
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  adminToken?: string;
  modules?: string;
  dailyCredits?: number;
  concurrency?: number;
  jobDelay?: number;
  bulkReadPageSize?: number;
  faultRate?: number;
  faultKinds?: string;
  shuffleResults?: boolean;
  absoluteUrls?: boolean;
  failJobAfter?: number;
  seed?: number;
}

const int = intFlag;

/**
 * `tandem emulator zoho [--port N] [--data DIR] [--modules FILE] [--daily-credits N] [--fault-rate R ...]`: runs the
 * Zoho CRM emulator until SIGINT/SIGTERM. Prints the origin (accounts server, API domain and upload host at once),
 * the OAuth client and refresh token, and the admin token; logs on stderr.
 *
 * @example
 * ```ts
 * emulator.addCommand(zohoEmulatorCommand())
 * // $ tandem emulator zoho --port 8585 --data .zoho --job-delay 2000
 * ```
 */
export function zohoEmulatorCommand(deps: ZohoEmulatorCommandDeps = {}): Command {
  return new Command('zoho')
    .description(
      'a Zoho CRM-compatible server: OAuth refresh grant, upload host, Bulk Write/Read, REST, credits, faults',
    )
    .option('--port <n>', 'port to listen on (0 = a free port)', int('--port'), 0)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--data <dir>', 'persist records in this folder (loaded at start, saved periodically and on exit)')
    .option('--client-id <id>', 'OAuth client id', 'tandem-zoho-client')
    .option('--client-secret <secret>', 'OAuth client secret', 'tandem-zoho-secret')
    .option('--refresh-token <token>', 'the refresh token that exists from the start', 'tandem-zoho-refresh-token')
    .option('--admin-token <token>', 'token of the /__emulator admin API (default: random, printed)')
    .option('--modules <file>', 'JSON file {"modules":[...]} replacing the default Contacts and Accounts')
    .option('--daily-credits <n>', 'API credits per rolling 24 hours', int('--daily-credits'))
    .option('--concurrency <n>', 'simultaneous API calls', int('--concurrency'))
    .option('--job-delay <ms>', 'how long bulk jobs stay ADDED, then IN PROGRESS', int('--job-delay'))
    .option('--bulk-read-page-size <n>', 'rows per bulk read page (Zoho: 200000)', int('--bulk-read-page-size'))
    .option('--fault-rate <r>', 'share (0..1) of API calls answered with an error', rateFlag('--fault-rate'))
    .option('--fault-kinds <list>', 'errors to inject: 500,429,invalid-token (default 500)')
    .option('--shuffle-results', 'bulk write result rows in another order than the upload')
    .option('--absolute-urls', 'absolute bulk write download URLs')
    .option('--fail-job-after <n>', 'bulk write jobs fail after this many rows', int('--fail-job-after'))
    .option('--seed <n>', 'seed of the fault decisions', int('--seed'))
    .action(async (flags: ZohoFlags) => {
      const stdout = deps.stdout ?? process.stdout;
      const logger = deps.logger ?? createLogger({ level: 'info' });
      let modules: readonly ZohoModuleDefinitionInput[] | undefined;
      if (flags.modules !== undefined) {
        try {
          modules = (JSON.parse(await readFile(flags.modules, 'utf8')) as { modules: ZohoModuleDefinitionInput[] })
            .modules;
        } catch (cause) {
          throw new ZohoEmulatorConfigError(
            `cannot read --modules ${flags.modules}: ${(cause as Error).message}`,
            { file: flags.modules },
            cause,
          );
        }
      }
      const faults = parseZohoFaultConfig(
        faultFlags({
          seed: flags.seed,
          errorRate: flags.faultRate,
          errorKinds: flags.faultKinds,
          shuffleResultRows: flags.shuffleResults,
          absoluteDownloadUrls: flags.absoluteUrls,
          failJobAfterRecords: flags.failJobAfter,
        }),
        'fault flags',
      );
      const running = await startZohoEmulator({
        port: flags.port ?? 0,
        host: flags.host ?? '127.0.0.1',
        ...definedOnly({
          dataDir: flags.data,
          clientId: flags.clientId,
          clientSecret: flags.clientSecret,
          refreshToken: flags.refreshToken,
          adminToken: flags.adminToken,
          modules,
          dailyCredits: flags.dailyCredits,
          concurrency: flags.concurrency,
          jobDelayMs: flags.jobDelay,
          bulkReadPageSize: flags.bulkReadPageSize,
        }),
        faults,
        logger,
      });
      stdout.write(`Zoho emulator listening on ${running.url}\n`);
      stdout.write(`  accountsUrl / apiDomain / uploadUrl: ${running.url}\n`);
      stdout.write(`  client id: ${running.clientId}\n`);
      stdout.write(
        flags.clientSecret === undefined || flags.clientSecret === 'tandem-zoho-secret'
          ? `  client secret: ${running.clientSecret}\n`
          : '  client secret: (as given with --client-secret)\n',
      );
      stdout.write(`  refresh token: ${running.refreshToken}\n`);
      stdout.write(`  org (X-CRM-ORG): ${running.orgId}\n`);
      stdout.write(
        flags.adminToken === undefined
          ? `  admin API: ${running.url}/__emulator/stats (Authorization: Bearer ${running.adminToken})\n`
          : `  admin API: ${running.url}/__emulator/stats (Authorization: Bearer <--admin-token>)\n`,
      );
      await serveUntilStopped(running, deps.waitForStop, stdout, 'Zoho emulator stopped');
    });
}
