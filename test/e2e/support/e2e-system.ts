import { parseConfig } from '../../../src/config/parse-config.js';
import { PostgresConnector } from '../../../src/connectors/postgres/postgres-connector.js';
import type { Connector } from '../../../src/connectors/connector.js';
import { buildSyncObjects } from '../../../src/engine/open-engine.js';
import type { ObjectMapper } from '../../../src/mapping/object-mapper.js';
import { createObjectMapper } from '../../../src/mapping/object-mapper.js';
import type { Fields } from '../../../src/model/record.js';
import type { SyncContext, SyncObject } from '../../../src/pipeline/sync-object.js';
import type { StateStore } from '../../../src/state/state-store.js';
import { createLogger, silentLogger } from '../../../src/util/logger.js';
import { CrashingConnector } from './crashing-connector.js';
import { E2E_FIELD_NAMES, salesforceE2eCrm, type E2eCrm } from './e2e-crm.js';
import { createCustomersTable, type ErpDatabase } from './erp-database.js';

export { E2E_FIELD_NAMES, type E2eField } from './e2e-crm.js';

/** The Salesforce CRM the regressions share between their runs (job ids then never repeat in one state store). */
export const startE2eEmulator = salesforceE2eCrm;

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
  crm: E2eCrm;
  crmLookbackSeconds?: number;
}): { text: string; env: Record<string, string> } {
  const erpOptions = options.capture === 'watermark' ? 'capture: watermark, lookbackSeconds: 0' : 'capture: changelog';
  const section = options.crm.configSection(options.crmLookbackSeconds);
  const f = options.crm.fields;
  const text = `sync: ${options.sync}
state:
  dataDir: ./unused-state
erp:
  type: postgres
  dataDir: ./unused-erp
${section.crm}policies:
  dir: ${JSON.stringify(options.policiesDir)}
objects:
  account:
    erp: { table: ${options.table}, key: customer_no, primaryKey: id, updatedAt: updated_at, ${erpOptions} }
    crm: ${section.object}
    policy: account.yaml
    fields:
      name:      { erp: name, crm: ${f.name}, transforms: [trim] }
      phone:     { erp: phone, crm: ${f.phone} }
      city:      { erp: city, crm: ${f.city} }
      employees: { erp: employees, crm: ${f.employees}, type: integer }
`;
  return { text, env: section.env };
}

/** Everything one property run works with: both systems, tandem's connectors and its context. */
export interface E2eRun<C extends E2eCrm = E2eCrm> {
  readonly sync: string;
  readonly table: string;
  /** The CRM under test (its emulator, a user's edits). */
  readonly crmSide: C;
  readonly erp: ErpDatabase;
  readonly store: StateStore;
  readonly object: SyncObject;
  readonly mapper: ObjectMapper;
  readonly erpConnector: PostgresConnector;
  /** The CRM connector tandem uses, able to die mid bulk job. */
  readonly crm: CrashingConnector;
  /** A CRM connector that gives up early on slow writes (a bulk job stays open; a HubSpot write is read back). */
  readonly impatientCrm: Connector;
  /** The context of a normal run; `withCrm` swaps the CRM connector. */
  readonly ctx: SyncContext;
  withCrm(crm: Connector): SyncContext;
  /** Waits until the ERP user's committed writes are readable by the next run's capture (see ErpDatabase.settled). */
  erpSettled(): Promise<void>;
  close(): Promise<void>;
}

/** Empties the shared emulator's Accounts, creates a fresh ERP table and assembles tandem with the real engine parts. */
export async function openE2eRun<C extends E2eCrm>(options: {
  erp: ErpDatabase;
  store: StateStore;
  crmSide: C;
  run: number;
  capture: CaptureMode;
  policiesDir: string;
  crmLookbackSeconds?: number;
}): Promise<E2eRun<C>> {
  const { erp, store, crmSide } = options;
  const sync = `e2e-${options.run}`;
  const table = await createCustomersTable(erp, `customers_${options.run}`);
  crmSide.reset();
  const opened: { close(): Promise<void> }[] = [];
  try {
    const { text, env } = e2eConfigText({
      sync,
      table,
      capture: options.capture,
      policiesDir: options.policiesDir,
      crm: crmSide,
      ...(options.crmLookbackSeconds === undefined ? {} : { crmLookbackSeconds: options.crmLookbackSeconds }),
    });
    const config = parseConfig(text, 'e2e.tandem.yaml', env);
    const [object] = await buildSyncObjects(config);
    if (!object) throw new Error('the e2e config maps no object');
    const mapper = createObjectMapper(config.objects[0]!);
    const erpConnector = new PostgresConnector(erp.connectorConfig);
    opened.push(erpConnector);
    if (options.capture === 'changelog') await erpConnector.installCapture(object.streams.erp);
    // E2E_LOG=debug shows what tandem did (JSON lines on stderr).
    const logger = process.env['E2E_LOG'] ? createLogger({ level: process.env['E2E_LOG'] }) : silentLogger();
    const patient = crmSide.connector(false, logger);
    opened.push(patient);
    const impatientCrm = crmSide.connector(true, logger);
    opened.push(impatientCrm);
    await erpConnector.init([object.streams.erp]);
    await patient.init([object.streams.crm]);
    await impatientCrm.init([object.streams.crm]);
    const crm = new CrashingConnector(patient);
    const base = { sync, store, objects: [object], logger };
    const withCrm = (c: Connector): SyncContext => ({
      ...base,
      connectors: { erp: erpConnector, crm: c },
    });
    return {
      sync,
      table,
      crmSide,
      erp,
      store,
      object,
      mapper,
      erpConnector,
      crm,
      impatientCrm,
      ctx: withCrm(crm),
      withCrm,
      erpSettled: async () => (options.capture === 'changelog' ? erp.settled() : undefined),
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
  const names = run.crmSide.fields;
  for (const r of run.crmSide.list()) {
    storedKeys.push(r.key);
    const native: Record<string, Fields[string]> = {};
    for (const f of E2E_FIELD_NAMES) native[names[f]] = r.native[names[f]] ?? null;
    records.set(r.key || `crm-${r.nativeId}`, run.mapper.toCanonical('crm', native));
  }
  return { records, storedKeys };
}
