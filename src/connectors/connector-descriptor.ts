import type { z } from 'zod';
import type { SystemId } from '../model/system.js';
import type { Logger } from '../util/logger.js';
import type { Connector } from './connector.js';

/**
 * What a connector module exports so that tandem can choose it by `type:` in tandem.yaml, in the spirit of Kysely's
 * `Dialect`: one small object per system. Everything about a system (its settings, its field names, how it opens)
 * lives in `connectors/<name>/`; the engine only looks descriptors up in the registry.
 *
 * @example
 * ```ts
 * export const hubspotConnector: ConnectorDescriptor<HubSpotSettings> = {
 *   type: 'hubspot',
 *   sides: ['crm'],
 *   settings: hubspotSettingsSchema,
 *   fieldName: z.string().regex(/^[a-z0-9_]+$/),
 *   open: async (settings, deps) => new HubSpotConnector(settings, deps),
 * }
 * ```
 */
export interface ConnectorDescriptor<Settings = unknown> {
  /** The value of `erp.type` / `crm.type` that selects this connector, e.g. `salesforce`. */
  readonly type: string;
  /** The sides it can serve. */
  readonly sides: readonly SystemId[];
  /**
   * The single declaration of its settings: the keys under `erp:` / `crm:` besides `type`, as written in
   * tandem.yaml after `${ENV}` substitution. A strict zod object (unknown keys are reported), with defaults.
   */
  readonly settings: z.ZodType<Settings>;
  /**
   * A native field name on this system (a SQL column, a Salesforce API name, a HubSpot property), checked for every
   * mapped field and key at config time. Absent: any non-empty string.
   */
  readonly fieldName?: z.ZodType<string>;
  /** The native entity name (table, object). Absent: any non-empty string. */
  readonly entityName?: z.ZodType<string>;
  /** Per-stream options (`objects[].erp.options` / `objects[].crm.options`). Absent: none allowed. */
  readonly streamOptions?: z.ZodType;
  /**
   * The body of its tandem.yaml section after `type:` (two-space indented, commented), which `tandem init --crm <type>`
   * writes. Secrets only as `\${VAR}` references. Absent: a comment pointing at the connector's documentation.
   */
  readonly example?: string;
  /**
   * `tandem init` against a live system: how its section is written from a URL (secrets as `\${VAR}` references).
   * Absent: `tandem init` cannot read this system and writes the commented example instead.
   */
  readonly connection?: ConnectionTemplate;
  /**
   * The native names `tandem init`'s example maps examples/erp-schema.sql's `customers` and `contacts` tables to on
   * this CRM (objects, external ID fields, fields). Absent: the example names the CRM's objects as placeholders.
   */
  readonly exampleObjects?: ExampleObjects;
  /** Opens the connector; must not do network I/O beyond what `Connector.init` needs. */
  open(settings: Settings, deps: ConnectorOpenDeps): Promise<Connector>;
}

export interface ConnectorOpenDeps {
  /** The side this connector serves in this sync. */
  readonly system: SystemId;
  readonly logger: Logger;
  /** Folder of the tandem.yaml being used, for settings that are relative paths. */
  readonly baseDir: string;
}

/**
 * How `tandem init` writes a connector's section for a live system, e.g. for Salesforce
 * `loginUrl: https://acme.my.salesforce.com` and client credentials as `${SF_CLIENT_ID}` / `${SF_CLIENT_SECRET}`.
 */
export interface ConnectionTemplate {
  /** The variable the URL is read from when no flag gives it (`ERP_DATABASE_URL`, `SF_LOGIN_URL`). */
  readonly urlEnv: string;
  /** The other variables the section references (credentials), named in messages when one is missing. */
  readonly env: readonly string[];
  /** The section body after `type:`, two-space indented; `url` is the URL or a `${VAR}` reference to it. */
  section(url: string): string;
}

/** Native names on one CRM for the example's two mappings (account <- customers, contact <- contacts). */
export interface ExampleObjects {
  readonly account: ExampleObject<
    'name' | 'phone' | 'website' | 'industry' | 'city' | 'country' | 'annual_revenue' | 'employees' | 'status'
  >;
  readonly contact: ExampleObject<'first_name' | 'last_name' | 'email' | 'phone' | 'title'>;
  /** Comment lines about the objects (how the key field is made on this CRM), without `#`. */
  readonly notes?: readonly string[];
}

export interface ExampleObject<Column extends string> {
  readonly object: string;
  readonly externalId: string;
  /** ERP column -> the CRM field it maps to; a column left out has no counterpart on this CRM. */
  readonly fields: Partial<Record<Column, string>>;
  /** Per-object CRM options written under `crm:` (e.g. HubSpot's idProperty), as `key: value` text. */
  readonly options?: readonly string[];
  /** The ERP's `status` values (Customer, Prospect, Partner) -> this CRM's, for the example's enum transform. */
  readonly statusValues?: Readonly<Record<string, string>>;
}
