import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import {
  type FaultConfig,
  parseFaultConfig,
  type RunningSalesforceEmulator,
  startSalesforceEmulator,
} from '../../emulator/salesforce/index.js';
import { EmulatorConfigError } from '../../emulator/salesforce/emulator-errors.js';
import {
  addHubSpotProperties,
  HUBSPOT_TIERS,
  parseHubSpotFaultConfig,
  readHubSpotPropertyFile,
  startHubSpotEmulator,
  type HubSpotFaultConfig,
  type HubSpotTier,
  type RunningHubSpotEmulator,
} from '../../emulator/hubspot/index.js';
import { createLogger, type Logger } from '../../util/logger.js';
import { action, processIo, type CliIo } from '../cli-io.js';
import { definedOnly, faultFlags, intFlag, rateFlag, serveUntilStopped } from './emulator-command-support.js';
import { zohoEmulatorCommand } from './emulator-zoho.js';

const DEFAULT_SECRET = 'tandem-emulator-secret';

/** What the command needs from the process; tests replace it. */
export interface EmulatorCommandDeps {
  readonly stdout?: NodeJS.WritableStream;
  /** Where an error goes without --json, and how the exit code is set (default: the process's). */
  readonly stderr?: CliIo['stderr'];
  readonly setExitCode?: CliIo['setExitCode'];
  readonly logger?: Logger;
  /** Resolves when the emulator should stop; default: the first SIGINT or SIGTERM. */
  readonly waitForStop?: (emulator: RunningSalesforceEmulator) => Promise<void>;
  /** The same for `tandem emulator hubspot`. */
  readonly waitForHubSpotStop?: (emulator: RunningHubSpotEmulator) => Promise<void>;
}

interface HubSpotFlags {
  port?: number;
  host?: string;
  data?: string;
  token?: string;
  adminToken?: string;
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  tier?: string;
  tenSecondLimit?: number;
  dailyLimit?: number;
  indexLag?: number;
  tokenTtl?: number;
  faultRate?: number;
  faultKinds?: string;
  retryAfter?: number;
  dropRate?: number;
  dailyExhausted?: boolean;
  writeDelay?: number;
  seed?: number;
  properties?: string;
}

/** Builds the HubSpot emulator's FaultConfig from its fault flags (validated like the admin API's). */
export function hubspotFaultsFromFlags(flags: HubSpotFlags): HubSpotFaultConfig {
  const raw = faultFlags({
    seed: flags.seed,
    errorRate: flags.faultRate,
    errorKinds: flags.faultKinds,
    retryAfterSeconds: flags.retryAfter,
    dropConnectionRate: flags.dropRate,
    dailyLimitExhausted: flags.dailyExhausted,
    writeResponseDelayMs: flags.writeDelay,
  });
  return parseHubSpotFaultConfig(raw, 'fault flags');
}

interface SalesforceFlags {
  port?: number;
  host?: string;
  data?: string;
  clientId?: string;
  clientSecret?: string;
  jwtPublicKey?: string;
  adminToken?: string;
  definitions?: string;
  apiVersion?: string;
  queryPageSize?: number;
  batchSize?: number;
  dailyApiRequests?: number;
  faultRate?: number;
  faultKinds?: string;
  retryAfter?: number;
  slowJobs?: number;
  failJobAfter?: number;
  tokenTtl?: number;
  dropRate?: number;
  quotaExhausted?: boolean;
  seed?: number;
  json?: boolean;
}

const int = intFlag;
const rate = rateFlag;

/** Builds the FaultConfig from the fault flags (validated like the admin API's). */
export function faultsFromFlags(flags: SalesforceFlags): FaultConfig {
  const raw = faultFlags({
    seed: flags.seed,
    errorRate: flags.faultRate,
    errorKinds: flags.faultKinds,
    retryAfterSeconds: flags.retryAfter,
    jobDelayMs: flags.slowJobs,
    failJobAfterRecords: flags.failJobAfter,
    tokenTtlSeconds: flags.tokenTtl,
    dropConnectionRate: flags.dropRate,
    quotaExhausted: flags.quotaExhausted,
  });
  return parseFaultConfig(raw, 'fault flags');
}

/**
 * `tandem emulator salesforce [--port N] [--data DIR] [--client-id ID --client-secret SECRET] [--definitions FILE]
 * [--fault-rate R --fault-kinds 503,429 --slow-jobs MS --fail-job-after N --token-ttl S --drop-rate R --seed N]`:
 * runs the Salesforce-compatible emulator until SIGINT/SIGTERM. Prints the base URL and credentials on stdout
 * (the secret only when it is the default), logs with pino on stderr.
 *
 * @example
 * ```ts
 * program.addCommand(emulatorCommand())
 * // $ tandem emulator salesforce --port 8484 --data .emulator --fault-rate 0.1 --fault-kinds 503,429 --seed 7
 * ```
 */
export function emulatorCommand(deps: EmulatorCommandDeps = {}): Command {
  const emulator = new Command('emulator').description('local emulators of the CRM APIs, for tests and demos');
  emulator
    .command('salesforce')
    .description('a Salesforce-compatible server: OAuth, Bulk API 2.0 ingest/query, limits, describe, fault injection')
    .option('--port <n>', 'port to listen on (0 = a free port)', int('--port'), 0)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--data <dir>', 'persist records in this folder (loaded at start, saved periodically and on exit)')
    .option('--client-id <id>', 'OAuth client id (consumer key)', 'tandem-emulator')
    .option('--client-secret <secret>', 'OAuth client secret', DEFAULT_SECRET)
    .option(
      '--jwt-public-key <file>',
      'PEM public key that JWT bearer assertions must be signed with (without it the JWT flow is off)',
    )
    .option(
      '--admin-token <token>',
      'token the admin API (/__emulator) requires as "Authorization: Bearer <token>" (default: TANDEM_EMULATOR_ADMIN_TOKEN, else a random one, printed)',
    )
    .option('--definitions <file>', 'JSON or YAML file adding objects and fields')
    .option('--api-version <v>', 'newest API version served', '62.0')
    .option('--query-page-size <n>', 'query results page size without maxRecords', int('--query-page-size'))
    .option('--batch-size <n>', 'records per internal ingest batch', int('--batch-size'))
    .option('--daily-api-requests <n>', 'DailyApiRequests Max', int('--daily-api-requests'))
    .option('--fault-rate <r>', 'share (0..1) of API requests answered with an error', rate('--fault-rate'))
    .option('--fault-kinds <list>', 'errors to inject: 500,502,503,429,403-quota (default 503)')
    .option('--retry-after <s>', 'Retry-After seconds sent with 429/503', int('--retry-after'))
    .option('--slow-jobs <ms>', 'delay before each internal batch of a job', int('--slow-jobs'))
    .option('--fail-job-after <n>', 'ingest jobs fail after processing this many records', int('--fail-job-after'))
    .option('--token-ttl <s>', 'access tokens expire after this many seconds', int('--token-ttl'))
    .option('--drop-rate <r>', 'share (0..1) of API requests whose connection is dropped', rate('--drop-rate'))
    .option('--quota-exhausted', 'answer every API request with 403 REQUEST_LIMIT_EXCEEDED')
    .option('--seed <n>', 'seed of the fault decisions', int('--seed'))
    .option('--json', 'print the URLs and credentials as JSON; errors in the JSON shape of every command')
    .action(
      action(
        async (flags: SalesforceFlags) => {
          const stdout = deps.stdout ?? process.stdout;
          const logger = deps.logger ?? createLogger({ level: 'info' });
          let jwtPublicKeyPem: string | undefined;
          if (flags.jwtPublicKey !== undefined) {
            try {
              jwtPublicKeyPem = await readFile(flags.jwtPublicKey, 'utf8');
            } catch (cause) {
              throw new EmulatorConfigError(
                `cannot read --jwt-public-key ${flags.jwtPublicKey}: ${(cause as Error).message}`,
                {
                  file: flags.jwtPublicKey,
                },
                cause,
              );
            }
          }
          const adminToken = flags.adminToken ?? (process.env['TANDEM_EMULATOR_ADMIN_TOKEN'] || undefined);
          const running = await startSalesforceEmulator({
            port: flags.port ?? 0,
            host: flags.host ?? '127.0.0.1',
            clientId: flags.clientId ?? 'tandem-emulator',
            clientSecret: flags.clientSecret ?? DEFAULT_SECRET,
            apiVersion: flags.apiVersion ?? '62.0',
            ...definedOnly({
              dataDir: flags.data,
              jwtPublicKeyPem,
              adminToken,
              definitionsFile: flags.definitions,
              queryPageSize: flags.queryPageSize,
              batchSize: flags.batchSize,
              dailyApiRequests: flags.dailyApiRequests,
            }),
            faults: faultsFromFlags(flags),
            logger,
          });
          const secretShown = running.clientSecret === DEFAULT_SECRET;
          if (flags.json) {
            const info = {
              url: running.url,
              tokenUrl: `${running.url}/services/oauth2/token`,
              clientId: running.clientId,
              ...(secretShown ? { clientSecret: running.clientSecret } : {}),
              adminUrl: `${running.url}/__emulator/stats`,
              jwtEnabled: running.jwtEnabled,
              // A generated token is printed so the person who started the emulator can use it; a given one never is.
              ...(adminToken === undefined ? { adminToken: running.adminToken } : {}),
            };
            stdout.write(`${JSON.stringify(info)}\n`);
          } else {
            stdout.write(`Salesforce emulator listening on ${running.url}\n`);
            stdout.write(`  login URL / instance URL: ${running.url}\n`);
            stdout.write(`  token endpoint: ${running.url}/services/oauth2/token\n`);
            stdout.write(`  client id: ${running.clientId}\n`);
            if (secretShown) stdout.write(`  client secret: ${running.clientSecret}\n`);
            else stdout.write('  client secret: (as given with --client-secret)\n');
            stdout.write(
              `  JWT bearer flow: ${running.jwtEnabled ? `on (signatures checked with ${flags.jwtPublicKey ?? ''})` : 'off (start with --jwt-public-key to enable it)'}\n`,
            );
            stdout.write(`  admin API: ${running.url}/__emulator/stats (Authorization: Bearer <admin token>)\n`);
            // A generated token is printed so the person who started the emulator can use it; a given one never is.
            if (adminToken === undefined) stdout.write(`  admin token: ${running.adminToken}\n`);
            else stdout.write('  admin token: (as given with --admin-token or TANDEM_EMULATOR_ADMIN_TOKEN)\n');
          }
          await serveUntilStopped(
            running,
            deps.waitForStop,
            stdout,
            flags.json ? undefined : 'Salesforce emulator stopped',
          );
        },
        {
          stdout: deps.stdout ?? process.stdout,
          stderr: deps.stderr ?? process.stderr,
          setExitCode: deps.setExitCode ?? processIo.setExitCode,
        },
      ),
    );
  emulator.addCommand(
    zohoEmulatorCommand({
      ...(deps.stdout ? { stdout: deps.stdout } : {}),
      ...(deps.logger ? { logger: deps.logger } : {}),
    }),
  );
  emulator
    .command('hubspot')
    .description(
      'a HubSpot-compatible server: private-app and OAuth tokens, CRM objects v3 (batch, search, list), properties, rate limits, faults',
    )
    .option('--port <n>', 'port to listen on (0 = a free port)', int('--port'), 0)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--data <dir>', 'persist records and custom properties in this folder')
    .option('--token <token>', 'the private app access token the API accepts', 'pat-na1-tandem-emulator')
    .option(
      '--admin-token <token>',
      'token of the admin API (Authorization: Bearer, or X-Emulator-Admin-Token); default TANDEM_EMULATOR_ADMIN_TOKEN, else a random one, printed',
    )
    .option('--properties <file>', 'JSON file of properties to add per object, e.g. examples/hubspot-properties.json')
    .option('--client-id <id>', 'OAuth client id', 'tandem-emulator-client')
    .option('--client-secret <secret>', 'OAuth client secret', DEFAULT_SECRET)
    .option('--refresh-token <token>', 'the OAuth refresh token the token endpoint accepts', 'tandem-emulator-refresh')
    .option('--tier <tier>', `rate-limit tier: ${Object.keys(HUBSPOT_TIERS).join(', ')}`, 'enterprise')
    .option('--ten-second-limit <n>', 'requests per rolling 10 seconds (overrides the tier)', int('--ten-second-limit'))
    .option('--daily-limit <n>', 'requests per day (overrides the tier)', int('--daily-limit'))
    .option('--index-lag <ms>', 'how long search takes to see a write, in ms', int('--index-lag'))
    .option('--token-ttl <s>', 'OAuth access token lifetime in seconds (default 1800)', int('--token-ttl'))
    .option('--fault-rate <r>', 'share (0..1) of API requests answered with an error', rate('--fault-rate'))
    .option('--fault-kinds <list>', 'errors to inject: 500,502,503,504,423,429,429-daily (default 503)')
    .option('--retry-after <s>', 'Retry-After seconds sent with injected errors', int('--retry-after'))
    .option('--drop-rate <r>', 'share (0..1) of API requests whose connection is dropped', rate('--drop-rate'))
    .option('--daily-exhausted', 'answer every API request with 429 DAILY')
    .option('--write-delay <ms>', 'apply writes, then answer only after this delay', int('--write-delay'))
    .option('--seed <n>', 'seed of the fault decisions', int('--seed'))
    .action(async (flags: HubSpotFlags) => {
      const stdout = deps.stdout ?? process.stdout;
      const logger = deps.logger ?? createLogger({ level: 'info' });
      const tier = flags.tier ?? 'enterprise';
      if (!(tier in HUBSPOT_TIERS)) {
        throw new InvalidArgumentError(`--tier must be one of ${Object.keys(HUBSPOT_TIERS).join(', ')}, got '${tier}'`);
      }
      const adminToken = flags.adminToken ?? (process.env['TANDEM_EMULATOR_ADMIN_TOKEN'] || undefined);
      const properties = flags.properties === undefined ? undefined : await readHubSpotPropertyFile(flags.properties);
      const running = await startHubSpotEmulator({
        port: flags.port ?? 0,
        host: flags.host ?? '127.0.0.1',
        tier: tier as HubSpotTier,
        ...definedOnly({
          dataDir: flags.data,
          privateAppToken: flags.token,
          adminToken,
          clientId: flags.clientId,
          clientSecret: flags.clientSecret,
          refreshToken: flags.refreshToken,
          tenSecondLimit: flags.tenSecondLimit,
          dailyLimit: flags.dailyLimit,
          indexLagMs: flags.indexLag,
          tokenTtlSeconds: flags.tokenTtl,
        }),
        faults: hubspotFaultsFromFlags(flags),
        logger,
      });
      try {
        if (properties !== undefined) addHubSpotProperties(running.store, properties);
      } catch (error) {
        await running.close();
        throw error;
      }
      stdout.write(`HubSpot emulator listening on ${running.url}\n`);
      stdout.write(`  base URL (crm.baseUrl): ${running.url}\n`);
      stdout.write(
        `  private app token: ${flags.token === undefined ? running.privateAppToken : '(as given with --token)'}\n`,
      );
      stdout.write(`  OAuth token endpoint: ${running.url}/oauth/v3/token (client id ${running.clientId})\n`);
      stdout.write(
        `  admin API: ${running.url}/__emulator/stats with Authorization: Bearer ${adminToken === undefined ? running.adminToken : '(as given with --admin-token or TANDEM_EMULATOR_ADMIN_TOKEN)'}\n`,
      );
      await serveUntilStopped(running, deps.waitForHubSpotStop, stdout, 'HubSpot emulator stopped');
    });
  return emulator;
}
