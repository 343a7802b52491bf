import type { PropertyInput } from '../../src/emulator/hubspot/index.js';
import type { ZohoModuleDefinitionInput } from '../../src/emulator/zoho/index.js';

/** Which CRM emulator a bench runs against (besides Salesforce, which has its own CLI-based process). */
export type CrmEmulatorKind = 'hubspot' | 'zoho';

/** What the emulator host tells its parent once listening: the origin and the credentials a tandem.yaml needs. */
export interface CrmEmulatorInfo {
  readonly kind: CrmEmulatorKind;
  readonly url: string;
  /** HubSpot private app token. */
  readonly token?: string;
  /** Zoho OAuth client and refresh token. */
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly refreshToken?: string;
}

/** The emulator's own counters since it started (never the client's). */
export interface CrmEmulatorStats {
  /** Every HTTP request the emulator answered (HubSpot: all routes; Zoho: API routes + the Accounts token endpoint). */
  readonly httpRequests: number;
  /** HubSpot: requests admitted against the rolling 10-second budget (searches have their own). Zoho: API calls. */
  readonly limitedRequests: number;
  readonly searchRequests: number;
  readonly batchRequests: number;
  /** Requests the emulator refused with a 429. */
  readonly rateLimited: number;
  /** Zoho API credits charged. */
  readonly credits: number;
  readonly writeJobs: number;
  readonly uploads: number;
  readonly restUpsertCalls: number;
}

export type CrmEmulatorRequest =
  | { readonly id: number; readonly op: 'stats' }
  | { readonly id: number; readonly op: 'count' }
  | { readonly id: number; readonly op: 'close' }
  /** Sets the phone of the records with these keys, as a CRM user would. */
  | { readonly id: number; readonly op: 'edit'; readonly keys: readonly string[]; readonly value: string };

/** Contact properties the HubSpot bench maps (the built-in contacts lack them; an admin would create them). */
export const BENCH_HUBSPOT_PROPERTIES: readonly PropertyInput[] = [
  { name: 'erp_customer_no', type: 'string', label: 'ERP customer no', hasUniqueValue: true },
  { name: 'website', type: 'string', label: 'Website URL' },
  { name: 'industry', type: 'string', label: 'Industry' },
  { name: 'country', type: 'string', label: 'Country/Region' },
  { name: 'numemployees', type: 'number', label: 'Number of Employees' },
];

/** The Zoho module the bench writes to: the ERP customers table's columns, the key as a unique field. */
export const BENCH_ZOHO_MODULE: ZohoModuleDefinitionInput = {
  api_name: 'Customers',
  display_field: 'Name',
  fields: [
    { api_name: 'ERP_No', data_type: 'text', length: 40, unique: true },
    { api_name: 'Name', data_type: 'text', length: 120 },
    { api_name: 'Phone', data_type: 'phone', length: 30 },
    { api_name: 'Website', data_type: 'text', length: 255 },
    { api_name: 'Industry', data_type: 'text', length: 80 },
    { api_name: 'City', data_type: 'text', length: 80 },
    { api_name: 'Country', data_type: 'text', length: 80 },
    { api_name: 'Employees', data_type: 'integer' },
  ],
};
