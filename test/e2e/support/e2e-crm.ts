import { setTimeout as sleep } from 'node:timers/promises';
import type { Connector } from '../../../src/connectors/connector.js';
import { HubSpotConnector } from '../../../src/connectors/hubspot/hubspot-connector.js';
import { SalesforceConnector } from '../../../src/connectors/salesforce/salesforce-connector.js';
import { startHubSpotEmulator, type RunningHubSpotEmulator } from '../../../src/emulator/hubspot/index.js';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../../../src/emulator/salesforce/index.js';
import type { FieldValue } from '../../../src/model/record.js';
import type { JobLedger } from '../../../src/model/job-ledger.js';
import type { Logger } from '../../../src/util/logger.js';

/** The canonical fields of the e2e mapping. */
export const E2E_FIELD_NAMES = ['name', 'phone', 'city', 'employees'] as const;
export type E2eField = (typeof E2E_FIELD_NAMES)[number];

/** Faults the model injects; each CRM maps them onto its emulator's own fault switches. */
export type E2eFault =
  | { kind: 'errors'; seed: number }
  | { kind: 'drops'; seed: number }
  | { kind: 'token' }
  | { kind: 'fail-job'; after: number }
  | { kind: 'slow' }
  | { kind: 'quota'; at: number };

/** A live CRM record as a user sees it: key ('' without one), native id, native field values. */
export interface CrmRecord {
  readonly key: string;
  readonly nativeId: string;
  readonly native: Readonly<Record<string, FieldValue>>;
}

/**
 * One CRM under the model-based test: its emulator (shared by a test file's runs), the mapping's CRM side in
 * tandem.yaml, tandem's connectors to it, and a CRM user's edits. The test itself never names a CRM.
 */
export interface E2eCrm {
  readonly name: 'salesforce' | 'hubspot';
  /** Native names of the canonical fields. */
  readonly fields: Readonly<Record<E2eField, string>>;
  /** The `crm:` section and the `crm:` side of the mapping, with env references. */
  configSection(lookbackSeconds: number | undefined): { crm: string; object: string; env: Record<string, string> };
  /** tandem's connector; `impatient` gives up on slow writes early (the write stays open or is resolved later). */
  connector(impatient: boolean, logger: Logger): Connector;
  /** Empties the CRM (a fresh run), faults off. */
  reset(): void;
  insert(key: string, native: Readonly<Record<string, FieldValue>>): string;
  update(nativeId: string, native: Readonly<Record<string, FieldValue>>): void;
  delete(nativeId: string): void;
  get(nativeId: string): Readonly<Record<string, FieldValue>> | undefined;
  list(): CrmRecord[];
  /** Faults set before a sync (`at: 'start'`) or at a checkpoint (`planned`, the n-th step for quota). */
  faultAtStart(fault: E2eFault): void;
  faultAtStep(fault: E2eFault, step: string, n: number): void;
  clearFaults(): void;
  /** Waits until remote work a run left behind is done (Salesforce bulk jobs); nothing for HubSpot. */
  settle(ledger: JobLedger, connector: Connector): Promise<void>;
  close(): Promise<void>;
}

// ---- Salesforce ----

const SF_FIELDS = { name: 'Name', phone: 'Phone', city: 'BillingCity', employees: 'NumberOfEmployees' } as const;

/** The Salesforce CRM, with its emulator for the Salesforce-specific regressions. */
export interface SalesforceE2eCrm extends E2eCrm {
  readonly emulator: RunningSalesforceEmulator;
}

export async function salesforceE2eCrm(): Promise<SalesforceE2eCrm> {
  const emulator: RunningSalesforceEmulator = await startSalesforceEmulator({ port: 0 });
  const connector = (pollTimeoutMs: number, logger: Logger): SalesforceConnector =>
    new SalesforceConnector(
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
  return {
    name: 'salesforce',
    emulator,
    fields: SF_FIELDS,
    configSection: (lookback) => ({
      crm: `crm:
  type: salesforce
  loginUrl: \${E2E_SF_URL}
  auth:
    flow: client_credentials
    clientId: \${E2E_SF_CLIENT_ID}
    clientSecret: \${E2E_SF_CLIENT_SECRET}
`,
      object: `{ object: Account, externalId: External_Id__c${lookback === undefined ? '' : `, lookbackSeconds: ${lookback}`} }`,
      env: {
        E2E_SF_URL: emulator.url,
        E2E_SF_CLIENT_ID: emulator.clientId,
        E2E_SF_CLIENT_SECRET: emulator.clientSecret,
      },
    }),
    connector: (impatient, logger) => connector(impatient ? 300 : 20_000, logger),
    reset: () => {
      emulator.setFaults({});
      const table = emulator.store.table('Account');
      if (!table) throw new Error('the emulator has no Account object');
      for (const id of [...table.rows.keys()]) emulator.store.deleteRow(table, id, true);
    },
    insert: (key, native) =>
      String(emulator.store.insert('Account', key === '' ? { ...native } : { ...native, External_Id__c: key })['Id']),
    update: (id, native) => void emulator.store.update('Account', id, native),
    delete: (id) => emulator.store.delete('Account', id),
    get: (id) => emulator.store.get('Account', id),
    list: () =>
      emulator.store.list('Account').map((r) => ({
        key: (r['External_Id__c'] as string | null) ?? '',
        nativeId: String(r['Id']),
        native: r,
      })),
    faultAtStart: (f) => {
      switch (f.kind) {
        case 'errors':
          return emulator.setFaults({
            seed: f.seed,
            errorRate: 0.25,
            errorKinds: ['500', '502', '503', '429'],
            retryAfterSeconds: 0,
          });
        case 'drops':
          return emulator.setFaults({ seed: f.seed, dropConnectionRate: 0.15 });
        case 'token':
          return emulator.setFaults({ tokenTtlSeconds: 0.03 });
        case 'fail-job':
          return emulator.setFaults({ failJobAfterRecords: f.after });
        default:
          return undefined; // set mid-run
      }
    },
    faultAtStep: (f, step, n) => {
      if (f.kind === 'quota' && n === f.at) emulator.setFaults({ quotaExhausted: true });
      // Slow jobs from planning on: the capture's query jobs finish, the ingest jobs outlast the connector's patience.
      if (f.kind === 'slow' && step.startsWith('planned')) emulator.setFaults({ jobDelayMs: 500 });
    },
    clearFaults: () => emulator.setFaults({}),
    settle: async (ledger, crm) => {
      const salesforce = crm as SalesforceConnector;
      for (const job of await ledger.listOpen('crm', 'account')) {
        for (let i = 0; i < 200; i++) {
          const info = await salesforce.bulk.getJob('ingest', job.jobId);
          if (!info || (info.state !== 'UploadComplete' && info.state !== 'InProgress')) break;
          await sleep(10);
        }
      }
    },
    close: () => emulator.close(),
  };
}

// ---- HubSpot ----

const HS_FIELDS = { name: 'name', phone: 'phone', city: 'city', employees: 'numberofemployees' } as const;

/** Store strings -> the typed values a HubSpot user sees (numbers as numbers, unset as null). */
function typed(properties: Readonly<Record<string, string>>): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (const name of Object.values(HS_FIELDS)) {
    const v = properties[name];
    out[name] = v === undefined || v === '' ? null : name === 'numberofemployees' ? Number(v) : v;
  }
  return out;
}

export async function hubspotE2eCrm(): Promise<E2eCrm> {
  const emulator: RunningHubSpotEmulator = await startHubSpotEmulator({ port: 0 });
  emulator.store.createProperty(emulator.store.type('companies')!, {
    name: 'erp_id',
    type: 'string',
    hasUniqueValue: true,
  });
  return {
    name: 'hubspot',
    fields: HS_FIELDS,
    configSection: (lookback) => ({
      // OAuth, so that expiring access tokens (the 'token' fault) are refreshed mid-run.
      crm: `crm:
  type: hubspot
  baseUrl: \${E2E_HS_URL}
  auth:
    kind: oauth
    clientId: \${E2E_HS_CLIENT_ID}
    clientSecret: \${E2E_HS_CLIENT_SECRET}
    refreshToken: \${E2E_HS_REFRESH_TOKEN}
  indexLagSeconds: 1
`,
      object: `{ object: companies, externalId: erp_id${lookback === undefined ? '' : `, lookbackSeconds: ${lookback}`} }`,
      env: {
        E2E_HS_URL: emulator.url,
        E2E_HS_CLIENT_ID: emulator.clientId,
        E2E_HS_CLIENT_SECRET: emulator.clientSecret,
        E2E_HS_REFRESH_TOKEN: emulator.refreshToken,
      },
    }),
    connector: (impatient, logger) =>
      new HubSpotConnector(
        {
          baseUrl: emulator.url,
          auth: {
            kind: 'oauth',
            clientId: emulator.clientId,
            clientSecret: emulator.clientSecret,
            refreshToken: emulator.refreshToken,
          },
          indexLagSeconds: 1,
          concurrency: 2,
          requestTimeoutMs: impatient ? 300 : 20_000,
          budgets: { per10Seconds: 100_000, daily: 10_000_000 },
          retry: { initialDelayMs: 1, maxDelayMs: 10, maxRetries: 12 },
        },
        { logger },
      ),
    reset: () => {
      emulator.setFaults({});
      emulator.resetLimits();
      emulator.store.purge('companies');
    },
    insert: (key, native) =>
      emulator.store.insert('companies', key === '' ? { ...native } : { ...native, erp_id: key }).id,
    update: (id, native) => void emulator.store.patch('companies', id, native),
    delete: (id) => emulator.store.remove('companies', id),
    get: (id) => {
      const r = emulator.store.get('companies', id);
      return r && !r.archived ? typed(r.properties) : undefined;
    },
    list: () =>
      emulator.store.list('companies').map((r) => ({
        key: r.properties['erp_id'] ?? '',
        nativeId: r.id,
        native: typed(r.properties),
      })),
    faultAtStart: (f) => {
      switch (f.kind) {
        case 'errors':
          return emulator.setFaults({
            seed: f.seed,
            errorRate: 0.25,
            errorKinds: ['500', '502', '503', '429'],
            retryAfterSeconds: 0,
          });
        case 'drops':
          return emulator.setFaults({ seed: f.seed, dropConnectionRate: 0.15 });
        case 'token':
          return emulator.setFaults({ tokenTtlSeconds: 0.03 });
        case 'fail-job':
          // A write applied, then its connection dropped: the sink must read it back, not write it twice.
          return emulator.setFaults({ dropAfterApply: f.after + 1 });
        default:
          return undefined;
      }
    },
    faultAtStep: (f, step, n) => {
      if (f.kind === 'quota' && n === f.at) emulator.setFaults({ dailyLimitExhausted: true });
      // Writes applied but answered after the impatient connector's timeout: resolved by reading them back.
      if (f.kind === 'slow' && step.startsWith('planned')) emulator.setFaults({ writeResponseDelayMs: 500 });
    },
    clearFaults: () => emulator.setFaults({}),
    settle: async () => undefined,
    close: () => emulator.close(),
  };
}

export const E2E_CRMS: Readonly<Record<E2eCrm['name'], () => Promise<E2eCrm>>> = {
  salesforce: salesforceE2eCrm,
  hubspot: hubspotE2eCrm,
};
