import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { silentLogger } from '../../util/logger.js';
import { closeOnce, listenEmulator, persistState } from '../emulator-http.js';
import { HubSpotEmulatorConfigError } from './emulator-errors.js';
import { HubSpotEmulatorServer, type HubSpotEmulatorStats } from './emulator-server.js';
import type { HubSpotFaultConfig } from './fault-config.js';
import { HubSpotStore, type CustomObjectInput } from './hubspot-store.js';

export type { HubSpotFaultConfig, HubSpotFaultKind } from './fault-config.js';
export { HUBSPOT_FAULT_KINDS, parseHubSpotFaultConfig } from './fault-config.js';
export type { HubSpotEmulatorStats } from './emulator-server.js';
export { HubSpotStore, type CustomObjectInput, type StoredRecord } from './hubspot-store.js';
export type { PropertyInput, PropertyDefinition, PropertyType } from './property-definition.js';
export { HubSpotEmulatorConfigError, HubSpotEmulatorRecordError } from './emulator-errors.js';
export { addHubSpotProperties, readHubSpotPropertyFile, type HubSpotPropertySet } from './property-file.js';

/** Rate-limit tiers of privately distributed apps (burst per 10 s, daily). */
export const HUBSPOT_TIERS = Object.freeze({
  starter: { tenSecondLimit: 100, dailyLimit: 250_000 },
  professional: { tenSecondLimit: 190, dailyLimit: 625_000 },
  enterprise: { tenSecondLimit: 190, dailyLimit: 1_000_000 },
  'api-add-on': { tenSecondLimit: 250, dailyLimit: 2_000_000 },
});
export type HubSpotTier = keyof typeof HUBSPOT_TIERS;

/** Options of startHubSpotEmulator; every one is optional. */
export interface HubSpotEmulatorOptions {
  /** Default 0 (a free port). */
  readonly port?: number;
  /** Default '127.0.0.1'. */
  readonly host?: string;
  /** Persist records and custom properties in this folder (loaded at start, saved on close and every 30 s). */
  readonly dataDir?: string;
  /** The private app token the API accepts; default 'pat-na1-tandem-emulator'. */
  readonly privateAppToken?: string;
  /** The admin API's token (X-Emulator-Admin-Token); default a random one, see `adminToken`. */
  readonly adminToken?: string;
  /** OAuth app; defaults 'tandem-emulator-client', 'tandem-emulator-secret', refresh token 'tandem-emulator-refresh'. */
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly refreshToken?: string;
  /** Access token lifetime in seconds; default 1800. */
  readonly tokenTtlSeconds?: number;
  /** Rate-limit tier (default enterprise: 190 / 10 s, 1,000,000 a day), or explicit limits below. */
  readonly tier?: HubSpotTier;
  readonly tenSecondLimit?: number;
  readonly dailyLimit?: number;
  /** Search requests per second; default 5. */
  readonly searchPerSecond?: number;
  /** How long after a write search sees it, in ms; default 0. */
  readonly indexLagMs?: number;
  readonly customObjects?: readonly CustomObjectInput[];
  readonly faults?: HubSpotFaultConfig;
  readonly logger?: Logger;
}

/**
 * A running HubSpot emulator.
 *
 * @example
 * ```ts
 * const hs = await startHubSpotEmulator()
 * const client = new Client({ accessToken: hs.privateAppToken, basePath: hs.url })
 * await client.crm.contacts.batchApi.upsert({ inputs: [{ id: 'a@b.io', idProperty: 'email', properties: {} }] })
 * await hs.close()
 * ```
 */
export interface RunningHubSpotEmulator {
  /** Origin, e.g. 'http://127.0.0.1:54321' (the API is mounted at the root, like https://api.hubapi.com). */
  readonly url: string;
  readonly privateAppToken: string;
  readonly adminToken: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly refreshToken: string;
  readonly store: HubSpotStore;
  setFaults(faults: HubSpotFaultConfig): void;
  /** Forgets every rate-limit count (a new day). */
  resetLimits(): void;
  stats(): HubSpotEmulatorStats & { readonly daily: number };
  close(): Promise<void>;
}

const SAVE_INTERVAL_MS = 30_000;
const STATE_FILE = 'hubspot-state.json';

function positive(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
    throw new HubSpotEmulatorConfigError(`${name} must be a positive integer, got ${value}`, { [name]: value });
  }
}

/** Starts the HubSpot-compatible emulator (OAuth, CRM objects v3, batch, search, properties, limits, faults). */
export async function startHubSpotEmulator(options: HubSpotEmulatorOptions = {}): Promise<RunningHubSpotEmulator> {
  const logger = options.logger ?? silentLogger();
  positive('tenSecondLimit', options.tenSecondLimit);
  positive('dailyLimit', options.dailyLimit);
  positive('searchPerSecond', options.searchPerSecond);
  if (options.tier !== undefined && !(options.tier in HUBSPOT_TIERS)) {
    throw new HubSpotEmulatorConfigError(
      `tier '${String(options.tier)}' is unknown; use ${Object.keys(HUBSPOT_TIERS).join(', ')}`,
      {},
    );
  }
  const tier = HUBSPOT_TIERS[options.tier ?? 'enterprise'];
  const store = new HubSpotStore({
    ...(options.customObjects ? { customObjects: options.customObjects } : {}),
    indexLagMs: options.indexLagMs ?? 0,
  });
  const dataDir = options.dataDir;
  if (dataDir !== undefined) {
    const text = await readFile(join(dataDir, STATE_FILE), 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw new HubSpotEmulatorConfigError(`cannot read ${join(dataDir, STATE_FILE)}: ${e.message}`, { dataDir }, e);
    });
    if (text !== undefined) logger.info({ dataDir, records: store.restore(JSON.parse(text)) }, 'emulator state loaded');
  }
  const privateAppToken = options.privateAppToken ?? 'pat-na1-tandem-emulator';
  const adminToken = options.adminToken ?? `adm-${randomBytes(18).toString('base64url')}`;
  const clientId = options.clientId ?? 'tandem-emulator-client';
  const clientSecret = options.clientSecret ?? 'tandem-emulator-secret';
  const refreshToken = options.refreshToken ?? 'tandem-emulator-refresh';
  const server = new HubSpotEmulatorServer({
    store,
    logger,
    privateAppToken,
    adminToken,
    clientId,
    clientSecret,
    refreshToken,
    tokenTtlSeconds: options.tokenTtlSeconds ?? 1800,
    limits: {
      tenSecondLimit: options.tenSecondLimit ?? tier.tenSecondLimit,
      dailyLimit: options.dailyLimit ?? tier.dailyLimit,
      searchPerSecond: options.searchPerSecond ?? 5,
    },
    faults: options.faults ?? {},
  });
  const url = await listenEmulator(server.app, { port: options.port ?? 0, host: options.host ?? '127.0.0.1' }, 'bound');
  logger.info({ port: Number(new URL(url).port) }, 'hubspot emulator listening');
  const persistence = persistState({
    dataDir,
    version: () => store.version,
    write: async (dir) => {
      await mkdir(dir, { recursive: true });
      const file = join(dir, STATE_FILE);
      await writeFile(`${file}.tmp`, JSON.stringify(store.dump()));
      await rename(`${file}.tmp`, file);
    },
    logger,
    failureMessage: 'saving emulator state failed',
    intervalMs: SAVE_INTERVAL_MS,
  });

  return {
    url,
    privateAppToken,
    adminToken,
    clientId,
    clientSecret,
    refreshToken,
    store,
    setFaults: (faults) => server.faults.set(faults),
    resetLimits: () => server.limits.reset(),
    stats: () => ({ ...server.stats(), daily: server.limits.snapshot().daily }),
    close: closeOnce(async () => {
      persistence.stop();
      await server.app.close();
      await persistence.save();
      logger.info('hubspot emulator stopped');
    }),
  };
}
