/**
 * What a connector needs to know about one mapped object on its own side. Built by the engine from tandem.yaml;
 * connectors never see the mapping's canonical names or transforms.
 */
export interface StreamRef {
  /** The mapping's name in tandem.yaml, e.g. `account`. Used in state, logs and conflict rules. */
  readonly name: string;
  /** The table (`schema.table`) or CRM object API name (`Account`). */
  readonly entity: string;
  /** The native field that holds the sync key: an ERP column or a CRM external ID field. */
  readonly keyField: string;
  /** The native fields to read and write, key field excluded. */
  readonly fields: readonly string[];
  /**
   * Connector-specific settings for this object (capture mode, modification column, delete policy...).
   * Each connector validates its own with zod and says which keys it accepts.
   */
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * The mapping's canonical type (`string`, `number`, `integer`, `boolean`, `date`, `datetime`) per native field,
   * so that `init` can report a field whose type cannot hold the values. Absent: not checked.
   */
  readonly fieldTypes?: Readonly<Record<string, string>>;
  /** The native fields tandem writes on this side (by the mapping's directions). Absent: every field. */
  readonly writtenFields?: readonly string[];
}
