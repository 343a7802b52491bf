import type { CallOptions, Connector } from './connector.js';

/**
 * What a system says about its own shape, for `tandem init`: the entities (tables, CRM objects) and their fields,
 * with a system-neutral kind for each field so that the two sides can be compared. Read by a connector's optional
 * `introspect` (Postgres: pg_catalog; Salesforce: describe; HubSpot: the properties API).
 *
 * @example
 * ```ts
 * const catalog = await connector.introspect?.({ hints: ['customers'] })
 * // { entities: [{ name: 'public.customers', fields: [{ name: 'customer_no', kind: 'text', unique: true, ... }] }] }
 * ```
 */
export interface EntityCatalog {
  readonly entities: readonly CatalogEntity[];
}

export interface CatalogEntity {
  /** The name tandem.yaml uses for it: `schema.table` for a table, the API name for a CRM object. */
  readonly name: string;
  /** A human label when the system has one (`Account`), else the name. */
  readonly label: string;
  readonly fields: readonly CatalogField[];
  /** The entity's primary key column(s) or id field (`id`, `Id`). */
  readonly primaryKey: readonly string[];
}

/**
 * A system-neutral field kind: the canonical types of tandem.yaml (`string`, `number`, `integer`, `boolean`, `date`,
 * `datetime`), plus `id` (a system-assigned identifier or reference) and `other` (binary, json, arrays...).
 */
export type CatalogFieldKind = 'string' | 'number' | 'integer' | 'boolean' | 'date' | 'datetime' | 'id' | 'other';

export interface CatalogField {
  readonly name: string;
  /** A human label when the system has one (`Billing City`), else the name. */
  readonly label: string;
  readonly kind: CatalogFieldKind;
  /** The system's own type, for comments and messages (`character varying(40)`, `picklist`). */
  readonly nativeType: string;
  /** Holds unique values (a unique index or primary key; an external ID field or unique property on a CRM). */
  readonly unique: boolean;
  /** May serve as the external ID a CRM upserts on (Salesforce `externalId`, a unique HubSpot property). */
  readonly externalId: boolean;
  /** tandem may write it (not a system field, not computed, not read-only). */
  readonly writable: boolean;
  readonly nullable: boolean;
  /** The system keeps it as the record's modification time (`SystemModstamp`, `hs_lastmodifieddate`). */
  readonly modificationTime: boolean;
}

export interface IntrospectOptions extends CallOptions {
  /**
   * Names the caller is interested in (the other side's entity names), for systems with many entities: a connector
   * may describe only the entities close to these plus its usual ones. Absent: every entity it can list cheaply.
   */
  readonly hints?: readonly string[];
}

/** The optional capability: a connector that can describe its entities implements it (`tandem init` uses it). */
export interface Introspection {
  introspect(options?: IntrospectOptions): Promise<EntityCatalog>;
}

/** The connector's introspection, when it offers one. */
export function introspectionOf(connector: Connector): Introspection | undefined {
  const candidate = connector as Partial<Introspection>;
  return typeof candidate.introspect === 'function' ? (candidate as Introspection) : undefined;
}
