import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { silentLogger } from '../../util/logger.js';
import { closeOnce, listenEmulator, persistState } from '../emulator-http.js';
import { EmulatorConfigError } from './emulator-errors.js';
import { EmulatorServer, type EmulatorStats } from './emulator-server.js';
import { EmulatorStore } from './emulator-store.js';
import type { FaultConfig } from './fault-config.js';
import { loadObjectDefinitions } from './object-definition.js';
import { loadStore, saveStore } from './state-persistence.js';

export type { FaultConfig, FaultKind } from './fault-config.js';
export { FAULT_KINDS, parseFaultConfig } from './fault-config.js';
export type { EmulatorStats } from './emulator-server.js';
export { EmulatorStore, type EmulatorRecord } from './emulator-store.js';
export type { FieldDefinition, ObjectDefinition, FieldType } from './object-definition.js';
export { EmulatorConfigError, EmulatorRecordError } from './emulator-errors.js';

/** Options of startSalesforceEmulator; every one is optional. */
export interface SalesforceEmulatorOptions {
  /** Default 0 (random free port). */
  readonly port?: number;
  /** Default '127.0.0.1'. */
  readonly host?: string;
  /** Persist records in this folder (loaded at start, saved on close and every 30 s when changed); default memory only. */
  readonly dataDir?: string;
  /** Default 'tandem-emulator'. */
  readonly clientId?: string;
  /** Default 'tandem-emulator-secret'. */
  readonly clientSecret?: string;
  /**
   * Verify JWT bearer assertions (RS256) with this SPKI PEM. When absent the JWT bearer flow is off (every assertion
   * is refused with `invalid_grant`): a signature that cannot be checked is never accepted.
   */
  readonly jwtPublicKeyPem?: string;
  /**
   * The token the admin API (`/__emulator/...`) requires as `Authorization: Bearer <token>`; at least 16 characters.
   * Default: a random one, readable as `adminToken` (the CLI prints it).
   */
  readonly adminToken?: string;
  /** JSON or YAML file adding objects/fields (same field shape as describe). */
  readonly definitionsFile?: string;
  /** The newest version served, default '62.0'; any vXX.X from 41.0 up to it is accepted in paths. */
  readonly apiVersion?: string;
  /** Query results page size when maxRecords is absent; default 100000 (jsforce breaks on multi-page results). */
  readonly queryPageSize?: number;
  /** Records per internal ingest batch, default 10000. */
  readonly batchSize?: number;
  /** The DailyApiRequests Max, default 100000. */
  readonly dailyApiRequests?: number;
  readonly faults?: FaultConfig;
  readonly logger?: Logger;
  /** The clock that stamps LastModifiedDate/SystemModstamp (epoch ms); default Date.now. Tests move it. */
  readonly clock?: () => number;
}

/**
 * A running emulator.
 *
 * @example
 * ```ts
 * const sf = await startSalesforceEmulator()
 * const conn = new jsforce.Connection({ oauth2: { loginUrl: sf.url, clientId: sf.clientId, clientSecret: sf.clientSecret } })
 * await conn.authorize({ grant_type: 'client_credentials' })
 * sf.store.insert('Account', { Name: 'Acme' })
 * await sf.close()
 * ```
 */
export interface RunningSalesforceEmulator {
  /** Origin, e.g. 'http://127.0.0.1:54321' (the emulator is mounted at the root). */
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** What the admin API requires as `Authorization: Bearer <adminToken>`. */
  readonly adminToken: string;
  /** Whether the JWT bearer flow is on (a public key was given). */
  readonly jwtEnabled: boolean;
  /** Replaces the fault config. */
  setFaults(faults: FaultConfig): void;
  /** Counters since start. */
  stats(): EmulatorStats;
  /** In-process access to records and object definitions, writing as a CRM user would. */
  readonly store: EmulatorStore;
  /** Stops the server (and saves dataDir state). Safe to call twice. */
  close(): Promise<void>;
}

const SAVE_INTERVAL_MS = 30_000;

/** Starts the Salesforce-compatible emulator (OAuth, REST limits/describe, Bulk API 2.0 ingest and query). */
export async function startSalesforceEmulator(
  options: SalesforceEmulatorOptions = {},
): Promise<RunningSalesforceEmulator> {
  const logger = options.logger ?? silentLogger();
  const apiVersion = options.apiVersion ?? '62.0';
  if (!/^\d+\.0$/.test(apiVersion) || Number(apiVersion) < 47) {
    throw new EmulatorConfigError(
      `apiVersion '${apiVersion}' is invalid; use a version such as '62.0' (47.0 or newer)`,
      {
        apiVersion,
      },
    );
  }
  for (const [name, value] of [
    ['queryPageSize', options.queryPageSize],
    ['batchSize', options.batchSize],
    ['dailyApiRequests', options.dailyApiRequests],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw new EmulatorConfigError(`${name} must be a positive integer, got ${value}`, { [name]: value });
    }
  }
  if (options.adminToken !== undefined && options.adminToken.length < 16) {
    throw new EmulatorConfigError('adminToken must be at least 16 characters; omit it to have a random one generated', {
      adminTokenLength: options.adminToken.length,
    });
  }
  const adminToken = options.adminToken ?? randomBytes(24).toString('base64url');
  const definitions = await loadObjectDefinitions(options.definitionsFile);
  const store = new EmulatorStore(definitions, options.clock);
  if (options.dataDir !== undefined) {
    const loaded = await loadStore(store, options.dataDir);
    logger.info({ dataDir: options.dataDir, records: loaded }, 'emulator state loaded');
  }
  const clientId = options.clientId ?? 'tandem-emulator';
  const clientSecret = options.clientSecret ?? 'tandem-emulator-secret';
  const emulator = new EmulatorServer({
    store,
    logger,
    clientId,
    clientSecret,
    jwtPublicKeyPem: options.jwtPublicKeyPem,
    adminToken,
    apiVersion,
    queryPageSize: options.queryPageSize ?? 100_000,
    batchSize: options.batchSize ?? 10_000,
    dailyApiRequests: options.dailyApiRequests ?? 100_000,
    faults: options.faults ?? {},
  });
  const url = await listenEmulator(
    emulator.app,
    { port: options.port ?? 0, host: options.host ?? '127.0.0.1' },
    'bound',
  );
  emulator.origin = url;
  logger.info({ port: Number(new URL(url).port) }, 'salesforce emulator listening');
  const persistence = persistState({
    dataDir: options.dataDir,
    version: () => store.version,
    write: (dir) => saveStore(store, dir),
    logger,
    failureMessage: 'saving emulator state failed',
    intervalMs: SAVE_INTERVAL_MS,
  });

  return {
    url,
    clientId,
    clientSecret,
    adminToken,
    jwtEnabled: options.jwtPublicKeyPem !== undefined,
    store,
    setFaults: (faults) => emulator.faults.set(faults),
    stats: () => emulator.stats(),
    close: closeOnce(async () => {
      persistence.stop();
      emulator.abortAll();
      await emulator.app.close();
      await emulator.idle();
      await persistence.save();
      logger.info('salesforce emulator stopped');
    }),
  };
}
