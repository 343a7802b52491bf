import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { silentLogger } from '../../util/logger.js';
import { closeOnce, listenEmulator, persistState } from '../emulator-http.js';
import { ZohoAccounts } from './zoho-accounts.js';
import { ZohoApiLimits } from './zoho-api-limits.js';
import { ZohoEmulatorConfigError } from './zoho-emulator-errors.js';
import { ZohoEmulatorServer, type ZohoEmulatorStats } from './zoho-emulator-server.js';
import type { ZohoFaultConfig } from './zoho-fault-config.js';
import { DEFAULT_MODULES, parseModuleDefinitions, type ZohoModuleDefinitionInput } from './zoho-module-definition.js';
import { ZohoStore, type ZohoStoreSnapshot } from './zoho-store.js';
import { offsetMinutes } from './zoho-values.js';

export type { ZohoFaultConfig, ZohoFaultKind } from './zoho-fault-config.js';
export { ZOHO_FAULT_KINDS, parseZohoFaultConfig } from './zoho-fault-config.js';
export type { ZohoEmulatorStats } from './zoho-emulator-server.js';
export { ZohoStore, type ZohoRecord } from './zoho-store.js';
export type { ZohoModuleDefinitionInput, ZohoFieldDefinition } from './zoho-module-definition.js';
export { DEFAULT_MODULES } from './zoho-module-definition.js';
export { ZohoEmulatorConfigError } from './zoho-emulator-errors.js';

/** Options of startZohoEmulator; every one is optional. */
export interface ZohoEmulatorOptions {
  /** Default 0 (a free port). */
  readonly port?: number;
  /** Default '127.0.0.1'. */
  readonly host?: string;
  /** Persist records in this folder (loaded at start, saved on close and every 30 s when changed). */
  readonly dataDir?: string;
  /** Default 'tandem-zoho-client'. */
  readonly clientId?: string;
  /** Default 'tandem-zoho-secret'. */
  readonly clientSecret?: string;
  /** The refresh token that exists from the start; default 'tandem-zoho-refresh-token'. */
  readonly refreshToken?: string;
  /** Guards `/__emulator/*` (Authorization: Bearer …); default a random token, see RunningZohoEmulator.adminToken. */
  readonly adminToken?: string;
  /** The org's zgid, sent as X-CRM-ORG to the upload host; default '6196138'. */
  readonly orgId?: string;
  /** The org's time zone offset in every DateTime Zoho returns; default '+05:30'. */
  readonly timeZoneOffset?: string;
  /** Modules and fields; default DEFAULT_MODULES (Contacts, Accounts). */
  readonly modules?: readonly ZohoModuleDefinitionInput[];
  /** Credits per rolling 24 hours; default 50,000. */
  readonly dailyCredits?: number;
  /** Simultaneous calls; default 10. Heavy calls: subConcurrency, default 10. */
  readonly concurrency?: number;
  readonly subConcurrency?: number;
  /** Access tokens a refresh token may mint per refreshWindowMs (Zoho: 10 per 10 minutes). */
  readonly refreshLimit?: number;
  readonly refreshWindowMs?: number;
  /** How long a bulk job stays ADDED, then IN PROGRESS (each); default 300 ms. */
  readonly jobDelayMs?: number;
  /** Rows per bulk-read page; default 200,000. */
  readonly bulkReadPageSize?: number;
  /** Bulk-read downloads per minute; default 10. */
  readonly downloadsPerMinute?: number;
  readonly faults?: ZohoFaultConfig;
  readonly logger?: Logger;
}

/**
 * A running Zoho emulator. One origin serves Zoho Accounts (`/oauth/v2/token`), the API domain (`/crm/v7/…`,
 * `/crm/bulk/v7/…`), the upload host (`/crm/v7/upload`) and the download host.
 *
 * @example
 * ```ts
 * const zoho = await startZohoEmulator()
 * const token = await request(`${zoho.url}/oauth/v2/token?grant_type=refresh_token&client_id=${zoho.clientId}&client_secret=${zoho.clientSecret}&refresh_token=${zoho.refreshToken}`, { method: 'POST' })
 * zoho.store.insert('Contacts', { Last_Name: 'Ng', ERP_Customer_No: 'C-17' })
 * await zoho.close()
 * ```
 */
export interface RunningZohoEmulator {
  /** Origin, e.g. 'http://127.0.0.1:54321'. */
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly refreshToken: string;
  readonly adminToken: string;
  readonly orgId: string;
  readonly store: ZohoStore;
  readonly server: ZohoEmulatorServer;
  setFaults(faults: ZohoFaultConfig): void;
  stats(): ZohoEmulatorStats;
  /** Stops the server (and saves dataDir state). Safe to call twice. */
  close(): Promise<void>;
}

const SAVE_INTERVAL_MS = 30_000;
const STATE_FILE = 'zoho-emulator-state.json';

/** Starts the Zoho CRM emulator on 127.0.0.1 (by default). */
export async function startZohoEmulator(options: ZohoEmulatorOptions = {}): Promise<RunningZohoEmulator> {
  const logger = options.logger ?? silentLogger();
  for (const [name, value] of [
    ['dailyCredits', options.dailyCredits],
    ['concurrency', options.concurrency],
    ['subConcurrency', options.subConcurrency],
    ['refreshLimit', options.refreshLimit],
    ['refreshWindowMs', options.refreshWindowMs],
    ['bulkReadPageSize', options.bulkReadPageSize],
    ['downloadsPerMinute', options.downloadsPerMinute],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw new ZohoEmulatorConfigError(`${name} must be a positive integer, got ${value}`, { [name]: value });
    }
  }
  const offset = options.timeZoneOffset ?? '+05:30';
  try {
    offsetMinutes(offset);
  } catch {
    throw new ZohoEmulatorConfigError(`timeZoneOffset must look like +05:30 or -08:00, got '${offset}'`, { offset });
  }
  const modules = parseModuleDefinitions({ modules: options.modules ?? DEFAULT_MODULES }, 'modules');
  const store = new ZohoStore(modules, offset);
  if (options.dataDir !== undefined) {
    const snapshot = await loadSnapshot(options.dataDir);
    if (snapshot)
      logger.info({ dataDir: options.dataDir, records: store.restore(snapshot) }, 'zoho emulator state loaded');
  }
  const clientId = options.clientId ?? 'tandem-zoho-client';
  const clientSecret = options.clientSecret ?? 'tandem-zoho-secret';
  const refreshToken = options.refreshToken ?? 'tandem-zoho-refresh-token';
  const adminToken = options.adminToken ?? randomBytes(18).toString('base64url');
  const orgId = options.orgId ?? '6196138';
  const accounts = new ZohoAccounts({
    clientId,
    clientSecret,
    refreshTokens: [refreshToken],
    authorizationCode: 'tandem-zoho-code',
    refreshLimit: options.refreshLimit ?? 10,
    refreshWindowMs: options.refreshWindowMs ?? 10 * 60_000,
    maxActiveTokens: 30,
    tokenTtlSeconds: 3600,
    scope: 'ZohoCRM.modules.ALL ZohoCRM.bulk.ALL ZohoFiles.files.ALL ZohoCRM.settings.fields.READ ZohoCRM.org.READ',
  });
  const limits = new ZohoApiLimits({
    dailyCredits: options.dailyCredits ?? 50_000,
    concurrency: options.concurrency ?? 10,
    subConcurrency: options.subConcurrency ?? 10,
  });
  const server = new ZohoEmulatorServer({
    store,
    accounts,
    limits,
    logger,
    orgId,
    adminToken,
    jobDelayMs: options.jobDelayMs ?? 300,
    bulkReadPageSize: options.bulkReadPageSize ?? 200_000,
    downloadsPerMinute: options.downloadsPerMinute ?? 10,
    faults: options.faults ?? {},
  });
  const url = await listenEmulator(
    server.app,
    { port: options.port ?? 0, host: options.host ?? '127.0.0.1' },
    'loopback',
  );
  server.origin = url;
  logger.info({ url }, 'zoho emulator listening');
  const persistence = persistState({
    dataDir: options.dataDir,
    version: () => store.version,
    write: (dir) => saveSnapshot(dir, store.snapshot()),
    logger,
    failureMessage: 'saving zoho emulator state failed',
    intervalMs: SAVE_INTERVAL_MS,
  });
  return {
    url,
    clientId,
    clientSecret,
    refreshToken,
    adminToken,
    orgId,
    store,
    server,
    setFaults: (faults) => server.setFaults(faults),
    stats: () => server.stats(),
    close: closeOnce(async () => {
      persistence.stop();
      await server.app.close();
      await persistence.save();
      logger.info('zoho emulator stopped');
    }),
  };
}

async function loadSnapshot(dir: string): Promise<ZohoStoreSnapshot | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, STATE_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ZohoEmulatorConfigError(
      `cannot read ${join(dir, STATE_FILE)}: ${(error as Error).message}`,
      { dir },
      error,
    );
  }
  try {
    return JSON.parse(text) as ZohoStoreSnapshot;
  } catch (error) {
    throw new ZohoEmulatorConfigError(
      `${join(dir, STATE_FILE)} is not valid JSON (${(error as Error).message}); delete it to start empty`,
      { dir },
      error,
    );
  }
}

async function saveSnapshot(dir: string, snapshot: ZohoStoreSnapshot): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, STATE_FILE);
  await writeFile(`${file}.tmp`, JSON.stringify(snapshot));
  await rename(`${file}.tmp`, file);
}
