import type { Logger } from '../util/logger.js';
import type { SampleCustomer } from './sample-data.js';

/** An account as the demo writes it on the CRM side, in the ERP's terms (each CRM maps it to its own fields). */
export type DemoAccount = Omit<SampleCustomer, 'customer_no' | 'email'>;

/**
 * The CRM side of `tandem demo`, one per CRM it can run against (`--crm <type>`): how to start that CRM's emulator
 * in-process, which tandem.yaml maps the demo's ERP to it, and how a CRM user edits its accounts.
 */
export interface DemoCrm {
  /** The connector type, as in `crm.type` (registered in the connector registry). */
  readonly type: string;
  /** For people: 'HubSpot'. */
  readonly title: string;
  /** The demo's tandem.yaml for this CRM, in examples/ (it uses `${VAR}` references for `env` below). */
  readonly configExample: string;
  /** Starts the emulator on a free loopback port with freshly generated credentials. */
  start(options: { readonly logger: Logger }): Promise<DemoCrmSession>;
}

/** A running demo CRM: an emulator the demo seeds and edits in-process, as that CRM's users would. */
export interface DemoCrmSession {
  /** The emulator's origin, e.g. 'http://127.0.0.1:54321'. */
  readonly url: string;
  /** The values of the `${VAR}` references in the demo's tandem.yaml (secrets included: never print them). */
  readonly env: Readonly<Record<string, string>>;
  /** Creates an account; `key` is the ERP customer number kept in the CRM's external-ID field (none: CRM-only). */
  insertAccount(account: Partial<DemoAccount>, key?: string): void;
  /** Edits the account holding `key`: `change` gets its current values. False when no live account holds it. */
  updateAccount(key: string, change: (current: DemoAccount) => Partial<DemoAccount>): boolean;
  /** Deletes the account holding `key` as a CRM user would. False when no live account holds it. */
  deleteAccount(key: string): boolean;
  close(): Promise<void>;
}
