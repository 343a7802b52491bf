import type { Direction } from '../model/direction.js';
import type { HistoryConfig, NotifyTarget, RetentionConfig, ScheduleConfig, ServeConfig } from './service-config.js';

/**
 * The validated tandem.yaml, as the engine sees it. Built once, at the edge, by `parseConfig` / `loadConfig`
 * (every problem reported together as a ConfigError), then deeply frozen. Nothing below `src/config/` reads
 * `process.env`: the environment is passed in, and `${VAR}` references in the file are substituted from it.
 *
 * @example
 * ```ts
 * const config = await loadConfig('tandem.yaml', process.env)
 * for (const object of config.objects) console.log(object.name, object.erp.table, '<->', object.crm.object)
 * ```
 */
export interface TandemConfig {
  /** Absolute path of the file loaded. */
  readonly file: string;
  /** The `sync:` name, default `default` (`[a-z][a-z0-9_-]*`). */
  readonly sync: string;
  /** Where tandem keeps its own state. `url` null: embedded PGlite in `dataDir` (absolute). */
  readonly state: { readonly url: string | null; readonly dataDir: string; readonly schema: string };
  /** The ERP: the connector chosen by `erp.type` and its settings, as its descriptor's schema validated them. */
  readonly erp: ConnectorSection;
  /** The CRM: the connector chosen by `crm.type` and its settings, as its descriptor's schema validated them. */
  readonly crm: ConnectorSection;
  /** Folder of conflict policy files (absolute). */
  readonly policies: {
    readonly dir: string;
    /** Module of custom conflict strategies (absolute), from `policies.strategies`; see engine/strategy-module.ts. */
    readonly strategies?: string;
  };
  /** When runs happen (`sync --schedule`: cron; `serve`: increment and full); null when the file has no `schedule:`. */
  readonly schedule: ScheduleConfig | null;
  /** `tandem serve`'s endpoint, leases and shutdown (defaults when the file has no `serve:`). */
  readonly serve: ServeConfig;
  /** Webhook targets (empty when the file has no `notify:`). */
  readonly notify: readonly NotifyTarget[];
  /** Days each kind of stored record values is kept. */
  readonly retention: RetentionConfig;
  /** What tandem keeps of each record's history (`history:`; record events on by default). */
  readonly history: HistoryConfig;
  readonly objects: readonly ObjectMapping[];
}

/**
 * A connector chosen in tandem.yaml. `settings` is what the descriptor registered for `type` returned from its
 * `settings` schema (defaults applied; relative paths stay relative to the file's folder, which the connector gets as
 * `baseDir` when it opens).
 *
 * @example
 * ```ts
 * // crm: { type: salesforce, loginUrl: https://acme.my.salesforce.com, auth: {...} }
 * // -> { type: 'salesforce', settings: { loginUrl: 'https://acme.my.salesforce.com', apiVersion: '62.0', ... } }
 * ```
 */
export interface ConnectorSection {
  readonly type: string;
  readonly settings: unknown;
}

/**
 * One mapped pair: an ERP table and a CRM object.
 *
 * @example
 * ```ts
 * const account = config.objects.find((o) => o.name === 'account')
 * // account.erp.table === 'public.customers', account.crm.externalId === 'External_Id__c'
 * ```
 */
export interface ObjectMapping {
  /** The key under `objects:` (`[a-z][a-z0-9_]*`). */
  readonly name: string;
  /** 1-based line of the mapping in the file (for later errors, e.g. a schema check). */
  readonly line: number;
  /**
   * `table` is always schema-qualified (`public.` is added when the file omits the schema). `options` holds only the
   * connector options the file sets: primaryKey, updatedAt, capture, lookbackSeconds, deletes, softDeleteColumn.
   */
  readonly erp: { readonly table: string; readonly key: string; readonly options: Readonly<Record<string, unknown>> };
  /** `options` holds only the connector options the file sets: lookbackSeconds, deletes. */
  readonly crm: {
    readonly object: string;
    readonly externalId: string;
    readonly options: Readonly<Record<string, unknown>>;
  };
  /** In file order. */
  readonly fields: readonly FieldMapping[];
  /** A policy file in the policies dir (`account.yaml`) or a built-in: latest-wins | erp-wins | crm-wins | manual. */
  readonly policy: string;
}

/** The canonical type of a field; values are normalised to it (see docs/configuration.md, "Normal form"). */
export type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'date' | 'datetime';

/**
 * One canonical field and the native field(s) it maps to on each side.
 *
 * @example
 * ```ts
 * // contact: { erp: contact_name, crm: [FirstName, LastName], transforms: [{ split: ' ' }] }
 * // -> { name: 'contact', erp: ['contact_name'], crm: ['FirstName', 'LastName'], direction: 'both', type: 'string',
 * //      transforms: [{ kind: 'split-join', separator: ' ' }], line: 14 }
 * ```
 */
export interface FieldMapping {
  /** Canonical name (the key under `fields:`). */
  readonly name: string;
  readonly line: number;
  /** One column, or several for split/join. */
  readonly erp: readonly string[];
  readonly crm: readonly string[];
  /** Default `both`. */
  readonly direction: Direction;
  /** Default `string`. */
  readonly type: FieldType;
  /** Applied in order toward the canonical value; undone in reverse order toward a side. */
  readonly transforms: readonly Transform[];
}

/**
 * A value transform. `trim`, `lowercase`, `uppercase` and `phone` normalise (both sides read and receive the
 * normalised value); `enum` translates ERP codes to CRM values (canonical values are the CRM's); `split-join` joins
 * several native fields into one canonical string and splits it back.
 */
export type Transform =
  | { readonly kind: 'trim' }
  | { readonly kind: 'lowercase' }
  | { readonly kind: 'uppercase' }
  /** `e164`: `+14155550100`; `us-national`: `(415) 555-0100`. */
  | { readonly kind: 'phone'; readonly format: 'e164' | 'us-national'; readonly defaultCountry: string }
  /** ERP value -> CRM value; the inverse is used toward the ERP; one-to-one (validated). */
  | { readonly kind: 'enum'; readonly map: Readonly<Record<string, string>>; readonly unmapped: 'pass' | 'null' }
  /** One native field <-> several; the canonical value is the joined string. */
  | { readonly kind: 'split-join'; readonly separator: string };
