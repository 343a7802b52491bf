import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { openEngine, type Engine } from '../../src/engine/open-engine.js';
import { createLogger } from '../../src/util/logger.js';
import type { CrmEmulatorInfo } from './crm-emulator-protocol.js';

/** The object name the HubSpot and Zoho bench mappings use (RunResult.counts key). */
export const CRM_BENCH_OBJECT = 'customer';

/** Rate-limit tier the HubSpot bench configures (tandem and the emulator alike); its budget is the floor's. */
export const HUBSPOT_BENCH_TIER = { name: 'professional', per10Seconds: 190 } as const;

export interface CrmBenchEngineOptions {
  readonly databaseUrl: string;
  /** `schema.table` of the ERP customers table (bench/harness/erp-fixture.ts). */
  readonly table: string;
  /** Schema of tandem's state (dropped by dropStateSchema). */
  readonly stateSchema: string;
  readonly emulator: CrmEmulatorInfo;
}

/** ERP column -> CRM field of each CRM, with the transforms the Salesforce bench uses. */
const FIELDS: Readonly<Record<CrmEmulatorInfo['kind'], readonly (readonly [string, string])[]>> = {
  hubspot: [
    ['name', 'lastname'],
    ['phone', 'phone'],
    ['website', 'website'],
    ['industry', 'industry'],
    ['city', 'city'],
    ['country', 'country'],
    ['employees', 'numemployees'],
  ],
  zoho: [
    ['name', 'Name'],
    ['phone', 'Phone'],
    ['website', 'Website'],
    ['industry', 'Industry'],
    ['city', 'City'],
    ['country', 'Country'],
    ['employees', 'Employees'],
  ],
};

function crmSection(e: CrmEmulatorInfo): string[] {
  if (e.kind === 'hubspot') {
    return [
      'crm:',
      '  type: hubspot',
      '  baseUrl: ${BENCH_CRM_URL}',
      '  auth:',
      '    kind: private-app',
      '    accessToken: ${BENCH_HS_TOKEN}',
      `  tier: ${HUBSPOT_BENCH_TIER.name}`,
      '  apiReserveShare: 0',
    ];
  }
  return [
    'crm:',
    '  type: zoho',
    '  dataCenter: us',
    '  accountsUrl: ${BENCH_CRM_URL}',
    '  apiDomain: ${BENCH_CRM_URL}',
    '  uploadUrl: ${BENCH_CRM_URL}',
    '  auth:',
    '    clientId: ${BENCH_ZOHO_CLIENT_ID}',
    '    clientSecret: ${BENCH_ZOHO_CLIENT_SECRET}',
    '    refreshToken: ${BENCH_ZOHO_REFRESH_TOKEN}',
    '  dailyCredits: 10000000',
    '  creditReserveShare: 0',
    '  writePath: auto',
    '  pollIntervalMs: 200',
    '  pollMaxIntervalMs: 1000',
  ];
}

/**
 * Opens the real engine the way `tandem sync` does, from a tandem.yaml: Postgres ERP and state store, the HubSpot
 * (contacts keyed on `erp_customer_no`) or Zoho (`Customers` keyed on `ERP_No`) connector against the emulator, one
 * `customer` mapping of the seven customer columns with latest-wins.
 */
export async function openCrmBenchEngine(o: CrmBenchEngineOptions): Promise<Engine> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-bench-'));
  const e = o.emulator;
  const crmObject =
    e.kind === 'hubspot'
      ? '{ object: contacts, externalId: erp_customer_no }'
      : '{ object: Customers, externalId: ERP_No }';
  const fields = FIELDS[e.kind].map(([erp, crm]) => {
    const extra =
      erp === 'name'
        ? ', transforms: [trim]'
        : erp === 'website'
          ? ', transforms: [trim, lowercase]'
          : erp === 'employees'
            ? ', type: integer'
            : '';
    return `      ${erp}: { erp: ${erp}, crm: ${crm}${extra} }`;
  });
  const yaml = [
    'sync: bench',
    'state:',
    '  url: ${BENCH_DB_URL}',
    `  schema: ${o.stateSchema}`,
    'erp:',
    '  type: postgres',
    '  url: ${BENCH_DB_URL}',
    `  tandemSchema: ${o.stateSchema}_erp`,
    ...crmSection(e),
    'objects:',
    `  ${CRM_BENCH_OBJECT}:`,
    `    erp: { table: ${o.table}, key: customer_no, primaryKey: customer_no, updatedAt: updated_at }`,
    `    crm: ${crmObject}`,
    '    policy: latest-wins',
    '    fields:',
    ...fields,
    '',
  ].join('\n');
  const file = join(dir, 'tandem.yaml');
  await writeFile(file, yaml, 'utf8');
  try {
    const config = await loadConfig(file, {
      BENCH_DB_URL: o.databaseUrl,
      BENCH_CRM_URL: e.url,
      BENCH_HS_TOKEN: e.token ?? '',
      BENCH_ZOHO_CLIENT_ID: e.clientId ?? '',
      BENCH_ZOHO_CLIENT_SECRET: e.clientSecret ?? '',
      BENCH_ZOHO_REFRESH_TOKEN: e.refreshToken ?? '',
    });
    return await openEngine(config, { logger: createLogger({ level: process.env['BENCH_LOG_LEVEL'] ?? 'warn' }) });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
