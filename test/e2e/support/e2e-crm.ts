import { setTimeout as sleep } from 'node:timers/promises';
import type { Connector } from '../../../src/connectors/connector.js';
import { HubSpotConnector } from '../../../src/connectors/hubspot/hubspot-connector.js';
import { SalesforceConnector } from '../../../src/connectors/salesforce/salesforce-connector.js';
import { startHubSpotEmulator, type RunningHubSpotEmulator } from '../../../src/emulator/hubspot/index.js';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../../../src/emulator/salesforce/index.js';
import { ZohoConnector } from '../../../src/connectors/zoho/zoho-connector.js';
import { startZohoEmulator, type RunningZohoEmulator } from '../../../src/emulator/zoho/index.js';
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
  readonly name: 'salesforce' | 'hubspot' | 'zoho';
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
  /** Waits until remote work a run left behind is done (Salesforce and Zoho bulk jobs); nothing for HubSpot. */
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

// ---- Zoho ----

const ZOHO_FIELDS = { name: 'Account_Name', phone: 'Phone', city: 'Billing_City', employees: 'Employees' } as const;
const ZOHO_KEY = 'ERP_Account_No';

/** Accounts as the e2e mapping needs them (the emulator's default Accounts have no Billing_City). */
const ZOHO_ACCOUNTS = {
  api_name: 'Accounts',
  display_field: 'Account_Name',
  fields: [
    { api_name: ZOHO_KEY, data_type: 'text' as const, length: 80, unique: true },
    { api_name: 'Account_Name', data_type: 'text' as const, length: 255, system_mandatory: true },
    { api_name: 'Phone', data_type: 'text' as const, length: 255 },
    { api_name: 'Billing_City', data_type: 'text' as const, length: 255 },
    { api_name: 'Employees', data_type: 'integer' as const },
  ],
};

/** A refresh token may mint 10 access tokens per 10 minutes: the 'token' fault revokes at most this many per run. */
const ZOHO_REVOCATIONS_PER_RUN = 6;

/**
 * Zoho CRM over its emulator. tandem writes through Bulk Write (records with a cleared field through REST upsert, as
 * the sink always does), so crashes and faults meet jobs: small files (3 records) make a handful of records span
 * several jobs. Each run gets a refresh token of its own (the authorization-code grant), so the process-wide token
 * cache and its 10-per-10-minutes guard start fresh, as for a new installation.
 */
export async function zohoE2eCrm(): Promise<E2eCrm> {
  const emulator: RunningZohoEmulator = await startZohoEmulator({
    modules: [ZOHO_ACCOUNTS],
    jobDelayMs: 5,
    dailyCredits: 100_000_000,
    refreshLimit: 1_000,
    // Bulk Read's 10 downloads a minute (tested in the emulator's own tests) would make every full sync wait.
    downloadsPerMinute: 100_000,
  });
  let refreshToken = emulator.refreshToken;
  let revocations = 0;
  const table = () => emulator.store.module('Accounts')!;
  const nativeOf = (id: string): Record<string, FieldValue> | undefined => {
    const record = table().records.get(id);
    if (!record) return undefined;
    const out: Record<string, FieldValue> = {};
    for (const name of [ZOHO_KEY, ...Object.values(ZOHO_FIELDS)]) out[name] = record.values.get(name) ?? null;
    return out;
  };
  const revoke = (): void => {
    if (revocations >= ZOHO_REVOCATIONS_PER_RUN) return;
    revocations += 1;
    emulator.server.accounts.revokeAccessTokens();
  };
  return {
    name: 'zoho',
    fields: ZOHO_FIELDS,
    configSection: (lookback) => ({
      crm: `crm:
  type: zoho
  accountsUrl: \${E2E_ZOHO_URL}
  apiDomain: \${E2E_ZOHO_URL}
  uploadUrl: \${E2E_ZOHO_URL}
  auth:
    clientId: \${E2E_ZOHO_CLIENT_ID}
    clientSecret: \${E2E_ZOHO_CLIENT_SECRET}
    refreshToken: \${E2E_ZOHO_REFRESH_TOKEN}
  dailyCredits: 100000000
  writePath: bulk
`,
      object: `{ object: Accounts, externalId: ${ZOHO_KEY}${lookback === undefined ? '' : `, lookbackSeconds: ${lookback}`} }`,
      env: {
        E2E_ZOHO_URL: emulator.url,
        E2E_ZOHO_CLIENT_ID: emulator.clientId,
        E2E_ZOHO_CLIENT_SECRET: emulator.clientSecret,
        E2E_ZOHO_REFRESH_TOKEN: refreshToken,
      },
    }),
    connector: (impatient, logger) =>
      new ZohoConnector(
        {
          accountsUrl: emulator.url,
          apiDomain: emulator.url,
          uploadUrl: emulator.url,
          orgId: emulator.orgId,
          auth: { clientId: emulator.clientId, clientSecret: emulator.clientSecret, refreshToken },
          dailyCredits: 100_000_000,
          writePath: 'bulk',
          maxRecordsPerFile: 3,
          pollIntervalMs: 5,
          pollMaxIntervalMs: 20,
          pollTimeoutMs: impatient ? 300 : 20_000,
          retry: { initialDelayMs: 1, maxDelayMs: 10, maxRetries: 12 },
        },
        { logger },
      ),
    reset: () => {
      emulator.setFaults({});
      emulator.server.limits.setUsed(0);
      emulator.store.restore({ nextId: 0, modules: { Accounts: { records: [], deleted: [] } } });
      const granted = emulator.server.accounts.grant(
        new URLSearchParams({
          grant_type: 'authorization_code',
          code: 'tandem-zoho-code', // the emulator's authorization code (startZohoEmulator's default)
          client_id: emulator.clientId,
          client_secret: emulator.clientSecret,
        }),
        emulator.url,
      );
      if (!granted.ok || !('refresh_token' in granted.body) || typeof granted.body.refresh_token !== 'string')
        throw new Error(`the Zoho emulator granted no refresh token: ${JSON.stringify(granted.body)}`);
      refreshToken = granted.body.refresh_token;
      revocations = 0;
    },
    insert: (key, native) =>
      emulator.store.insert('Accounts', key === '' ? { ...native } : { ...native, [ZOHO_KEY]: key }).id,
    update: (id, native) => void emulator.store.update('Accounts', id, native),
    delete: (id) => void emulator.store.delete('Accounts', id),
    get: (id) => nativeOf(id),
    list: () =>
      [...table().records.keys()].map((id) => {
        const native = nativeOf(id)!;
        return { key: (native[ZOHO_KEY] as string | null) ?? '', nativeId: id, native };
      }),
    faultAtStart: (f) => {
      switch (f.kind) {
        case 'errors':
          return emulator.setFaults({ seed: f.seed, errorRate: 0.25, errorKinds: ['500', '429'] });
        case 'drops':
          // The Zoho emulator has no dropped-connection fault: sparse 500s instead (retried the same way).
          return emulator.setFaults({ seed: f.seed, errorRate: 0.15, errorKinds: ['500'] });
        case 'fail-job':
          return emulator.setFaults({ failJobAfterRecords: f.after });
        default:
          return undefined; // set mid-run
      }
    },
    faultAtStep: (f, step, n) => {
      // The org's credits used up by others: Zoho answers 429 "24 hour period"; the run stops (exit 3).
      if (f.kind === 'quota' && n === f.at) emulator.server.limits.setUsed(100_000_000);
      // Access tokens revoked mid-run: INVALID_TOKEN, one refresh, the call retried.
      if (f.kind === 'token' && (step.startsWith('planned') || step.startsWith('write-batch'))) revoke();
      // Slow jobs from planning on: they outlast the impatient connector's pollTimeoutMs and are resumed later.
      if (f.kind === 'slow' && step.startsWith('planned')) emulator.setFaults({ jobDelayMs: 400 });
    },
    clearFaults: () => {
      emulator.setFaults({});
      emulator.server.limits.setUsed(0);
    },
    settle: async (ledger, crm) => {
      const zoho = crm as ZohoConnector;
      for (const job of await ledger.listOpen('crm', 'account')) {
        const zohoJobId = job.detail['zohoJobId'];
        if (typeof zohoJobId !== 'string') continue;
        for (let i = 0; i < 200; i++) {
          const info = await zoho.api.writeJob(zohoJobId);
          if (!info || info.status === 'COMPLETED' || info.status === 'FAILED') break;
          await sleep(10);
        }
      }
    },
    close: () => emulator.close(),
  };
}

export const E2E_CRMS: Readonly<Record<E2eCrm['name'], () => Promise<E2eCrm>>> = {
  salesforce: salesforceE2eCrm,
  hubspot: hubspotE2eCrm,
  zoho: zohoE2eCrm,
};
