import { parseConfig } from '../../../src/config/parse-config.js';
import { PostgresConnector } from '../../../src/connectors/postgres/postgres-connector.js';
import { SalesforceConnector } from '../../../src/connectors/salesforce/salesforce-connector.js';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../../../src/emulator/salesforce/index.js';
import { buildSyncObjects } from '../../../src/engine/open-engine.js';
import type { ObjectMapper } from '../../../src/mapping/object-mapper.js';
import { createObjectMapper } from '../../../src/mapping/object-mapper.js';
import type { Fields } from '../../../src/model/record.js';
import type { SyncContext, SyncObject } from '../../../src/pipeline/sync-object.js';
import type { StateStore } from '../../../src/state/state-store.js';
import { createLogger, silentLogger, type Logger } from '../../../src/util/logger.js';
import { CrashingConnector } from './crashing-connector.js';
import { createCustomersTable, type ErpDatabase } from './erp-database.js';

/** The canonical fields of the e2e mapping, and their native names on each side. */
export const E2E_FIELDS = {
  name: { erp: 'name', crm: 'Name' },
  phone: { erp: 'phone', crm: 'Phone' },
  city: { erp: 'city', crm: 'BillingCity' },
  employees: { erp: 'employees', crm: 'NumberOfEmployees' },
} as const;
export type E2eField = keyof typeof E2E_FIELDS;
export const E2E_FIELD_NAMES = Object.keys(E2E_FIELDS) as E2eField[];

/**
 * The conflict policy under test: the latest edit wins (ties to the ERP, deletes too), except `city`, which a person
 * decides (so the conflict queue is exercised end to end).
 */
export const E2E_POLICY = `object: account
version: e2e
default: latest-wins
tie: erp
deletes: latest-wins
fields:
  city: manual
`;

export type CaptureMode = 'watermark' | 'changelog';

/**
 * tandem.yaml of one run. The ERP watermark lookback is 0: every ERP write here commits before the next read starts
 * (one user at a time), and the lookback's own safety (late commits) is covered by
 * test/connectors/postgres/capture.pbt.test.ts.
 */
export function e2eConfigText(options: {
  sync: string;
  table: string;
  capture: CaptureMode;
  policiesDir: string;
  crmLookbackSeconds?: number;
}): string {
  const crmOptions = options.crmLookbackSeconds === undefined ? '' : `, lookbackSeconds: ${options.crmLookbackSeconds}`;
  const erpOptions = options.capture === 'watermark' ? 'capture: watermark, lookbackSeconds: 0' : 'capture: changelog';
  return `sync: ${options.sync}
state:
  dataDir: ./unused-state
erp:
  type: postgres
  dataDir: ./unused-erp
crm:
  type: salesforce
  loginUrl: \${E2E_SF_URL}
  auth:
    flow: client_credentials
    clientId: \${E2E_SF_CLIENT_ID}
    clientSecret: \${E2E_SF_CLIENT_SECRET}
policies:
  dir: ${JSON.stringify(options.policiesDir)}
objects:
  account:
    erp: { table: ${options.table}, key: customer_no, primaryKey: id, updatedAt: updated_at, ${erpOptions} }
    crm: { object: Account, externalId: External_Id__c${crmOptions} }
    policy: account.yaml
    fields:
      name:      { erp: name, crm: Name, transforms: [trim] }
      phone:     { erp: phone, crm: Phone }
      city:      { erp: city, crm: BillingCity }
      employees: { erp: employees, crm: NumberOfEmployees, type: integer }
`;
}

/** Everything one property run works with: both systems, tandem's connectors and its context. */
export interface E2eRun {
  readonly sync: string;
  readonly table: string;
  readonly emulator: RunningSalesforceEmulator;
  readonly erp: ErpDatabase;
  readonly store: StateStore;
  readonly object: SyncObject;
  readonly mapper: ObjectMapper;
  readonly erpConnector: PostgresConnector;
  /** The CRM connector tandem uses, able to die mid bulk job. */
  readonly crm: CrashingConnector;
  /** A CRM connector that gives up waiting on a job after 300 ms (the job stays open in the ledger). */
  readonly impatientCrm: SalesforceConnector;
  /** The context of a normal run; `withCrm` swaps the CRM connector. */
  readonly ctx: SyncContext;
  withCrm(crm: SalesforceConnector | CrashingConnector): SyncContext;
  close(): Promise<void>;
}

function salesforceConnector(
  emulator: RunningSalesforceEmulator,
  pollTimeoutMs: number,
  logger: Logger,
): SalesforceConnector {
  return new SalesforceConnector(
    {
      loginUrl: emulator.url,
      auth: { flow: 'client_credentials', clientId: emulator.clientId, clientSecret: emulator.clientSecret },
      pollIntervalMs: 20,
      pollMaxIntervalMs: 40,
      pollTimeoutMs,
      // Small uploads: a write of a handful of records already spans several bulk jobs.
      maxUploadBytes: 400,
      queryPageSize: 4,
      retry: { initialDelayMs: 1, maxDelayMs: 10, maxRetries: 12, maxElapsedMs: 5_000 },
    },
    { logger },
  );
}

/**
 * Starts the emulator a test file shares between its runs. Shared, not one per run: job ids then never repeat within
 * one state store (a fresh emulator starts its ids at 1 again, and the job ledger is keyed on the job id alone).
 */
export function startE2eEmulator(): Promise<RunningSalesforceEmulator> {
  return startSalesforceEmulator({ port: 0 });
}

/** Removes every Account (hard delete: not even queryAll sees them), so a run starts with an empty CRM. */
export function clearAccounts(emulator: RunningSalesforceEmulator): void {
  const table = emulator.store.table('Account');
  if (!table) throw new Error('the emulator has no Account object');
  for (const id of [...table.rows.keys()]) emulator.store.deleteRow(table, id, true);
}

/** Empties the shared emulator's Accounts, creates a fresh ERP table and assembles tandem with the real engine parts. */
export async function openE2eRun(options: {
  erp: ErpDatabase;
  store: StateStore;
  emulator: RunningSalesforceEmulator;
  run: number;
  capture: CaptureMode;
  policiesDir: string;
  crmLookbackSeconds?: number;
}): Promise<E2eRun> {
  const { erp, store, emulator } = options;
  const sync = `e2e-${options.run}`;
  const table = await createCustomersTable(erp, `customers_${options.run}`);
  emulator.setFaults({});
  clearAccounts(emulator);
  const opened: { close(): Promise<void> }[] = [];
  try {
    const config = parseConfig(
      e2eConfigText({
        sync,
        table,
        capture: options.capture,
        policiesDir: options.policiesDir,
        ...(options.crmLookbackSeconds === undefined ? {} : { crmLookbackSeconds: options.crmLookbackSeconds }),
      }),
      'e2e.tandem.yaml',
      {
        E2E_SF_URL: emulator.url,
        E2E_SF_CLIENT_ID: emulator.clientId,
        E2E_SF_CLIENT_SECRET: emulator.clientSecret,
      },
    );
    const [object] = await buildSyncObjects(config);
    if (!object) throw new Error('the e2e config maps no object');
    const mapper = createObjectMapper(config.objects[0]!);
    const erpConnector = new PostgresConnector(erp.connectorConfig);
    opened.push(erpConnector);
    if (options.capture === 'changelog') await erpConnector.installCapture(object.streams.erp);
    // E2E_LOG=debug shows what tandem did (JSON lines on stderr).
    const logger = process.env['E2E_LOG'] ? createLogger({ level: process.env['E2E_LOG'] }) : silentLogger();
    const salesforce = salesforceConnector(emulator, 20_000, logger);
    opened.push(salesforce);
    const impatientCrm = salesforceConnector(emulator, 300, logger);
    opened.push(impatientCrm);
    await erpConnector.init([object.streams.erp]);
    await salesforce.init([object.streams.crm]);
    await impatientCrm.init([object.streams.crm]);
    const crm = new CrashingConnector(salesforce);
    const base = { sync, store, objects: [object], logger };
    const withCrm = (c: SalesforceConnector | CrashingConnector): SyncContext => ({
      ...base,
      connectors: { erp: erpConnector, crm: c },
    });
    return {
      sync,
      table,
      emulator,
      erp,
      store,
      object,
      mapper,
      erpConnector,
      crm,
      impatientCrm,
      ctx: withCrm(crm),
      withCrm,
      async close() {
        for (const part of opened.reverse()) await part.close().catch(() => {});
      },
    };
  } catch (error) {
    for (const part of opened.reverse()) await part.close().catch(() => {});
    throw error;
  }
}

/** One side's live records as key -> canonical fields (a record without a key under the key tandem derives). */
export interface SideSnapshot {
  readonly records: Map<string, Fields>;
  /** Keys as stored on that side ('' for none), one entry per live record: duplicates show up here. */
  readonly storedKeys: readonly string[];
}

export async function erpSnapshot(run: E2eRun): Promise<SideSnapshot> {
  const rows = await run.erp.query<{
    id: string | number;
    customer_no: string | null;
    name: string;
    phone: string | null;
    city: string | null;
    employees: number | null;
  }>(`select id, customer_no, name, phone, city, employees from ${run.table} order by id`);
  const records = new Map<string, Fields>();
  const storedKeys: string[] = [];
  for (const row of rows) {
    storedKeys.push(row.customer_no ?? '');
    records.set(
      row.customer_no ?? `erp-${String(row.id)}`,
      run.mapper.toCanonical('erp', { name: row.name, phone: row.phone, city: row.city, employees: row.employees }),
    );
  }
  return { records, storedKeys };
}

export function crmSnapshot(run: E2eRun): SideSnapshot {
  const records = new Map<string, Fields>();
  const storedKeys: string[] = [];
  for (const r of run.emulator.store.list('Account')) {
    const key = (r['External_Id__c'] as string | null) ?? '';
    storedKeys.push(key);
    const native: Record<string, Fields[string]> = {};
    for (const f of E2E_FIELD_NAMES) native[E2E_FIELDS[f].crm] = (r[E2E_FIELDS[f].crm] ?? null) as Fields[string];
    records.set(key || `crm-${String(r['Id'])}`, run.mapper.toCanonical('crm', native));
  }
  return { records, storedKeys };
}
