/**
 * Terminology (read this first; every module uses these words in this sense):
 *
 * - **object**: one mapped pair, an ERP table and a CRM object (e.g. `account`: `public.customers` <-> `Account`).
 * - **key** (sync key, external ID): the identity a record has on both sides. The ERP holds it in a key column,
 *   the CRM in an external ID field (e.g. `External_Id__c`). Every write is keyed on it, so a retry never duplicates.
 * - **native id**: a system's own id for a record (ERP primary key, Salesforce 18-character Id).
 * - **native fields**: field names as a system spells them (`customer_name`, `Name`).
 * - **canonical fields**: the mapping's own field names; diff and resolve only ever see these.
 * - **base**: the last canonical state both sides agreed on (three-way diff's common ancestor).
 * - **change**: a record read from one side whose content may differ from what tandem last knew of that side.
 * - **echo**: tandem's own earlier write, read back as a change. It equals what tandem knows, so it diffs to nothing.
 * - **watermark**: how far a side's changes have been captured (a (modifiedAt, id) cursor or a log position).
 */

/** A field value as tandem moves it. Dates and datetimes travel as ISO-8601 strings. */
export type FieldValue = string | number | boolean | null;

/** A record's fields by name. Frozen plain data. */
export type Fields = Readonly<Record<string, FieldValue>>;

/**
 * One record as a Source reads it: native field names, the side's own clock.
 * `fields` holds the mapped fields only (not the key field, not the modification column).
 */
export interface NativeRecord {
  /** The sync key. Empty string when the record has none yet (created on that side, never synced). */
  readonly key: string;
  /** The system's own id for the record. */
  readonly nativeId: string;
  readonly fields: Fields;
  /** When that system last modified the record, by its own clock, ISO-8601 UTC. */
  readonly modifiedAt: string;
  /** True when the record was deleted on that side (a tombstone: `fields` may be empty). */
  readonly deleted: boolean;
}

/** A record after mapping: canonical field names. What diff and resolve see. */
export interface CanonicalRecord {
  readonly key: string;
  readonly nativeId: string;
  readonly fields: Fields;
  readonly modifiedAt: string;
  readonly deleted: boolean;
}
