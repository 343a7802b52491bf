import type { ZohoFieldDefinition, ZohoModuleDefinition } from './zoho-module-definition.js';
import { ZohoRecordError } from './zoho-emulator-errors.js';
import { formatZohoDateTime, valueFromJson, valueToJson, type StoredValue } from './zoho-values.js';

/** One live record: its id, its field values, and Zoho's own times (epoch seconds). */
export interface ZohoRecord {
  readonly id: string;
  readonly values: Map<string, StoredValue>;
  createdAt: number;
  modifiedAt: number;
}

/** A record in the recycle bin, as `GET /{module}/deleted` lists it. */
export interface DeletedZohoRecord {
  readonly id: string;
  readonly displayName: string;
  readonly deletedAt: number;
}

/** One module: its definition and its records. */
export interface ZohoModuleTable {
  readonly definition: ZohoModuleDefinition;
  /** Lower-case API name -> field. */
  readonly fields: ReadonlyMap<string, ZohoFieldDefinition>;
  readonly records: Map<string, ZohoRecord>;
  readonly deleted: DeletedZohoRecord[];
  /** Unique field API name -> matched value -> record id (keeps find_by and duplicate checks O(1)). */
  readonly unique: Map<string, Map<string, string>>;
}

/** The serialisable form of the store (for `dataDir`). */
export interface ZohoStoreSnapshot {
  readonly nextId: number;
  readonly modules: Record<
    string,
    {
      readonly records: { id: string; values: Record<string, StoredValue>; createdAt: number; modifiedAt: number }[];
      readonly deleted: DeletedZohoRecord[];
    }
  >;
}

/** Ids are 19-digit strings (longer than JS safe integers, so they stay strings), all of one length. */
const ID_PREFIX = '3652397';
const ID_DIGITS = 12;

/**
 * The emulator's records: modules, live records, the recycle bin, a whole-second clock. Writes check types, lengths,
 * mandatory and unique fields the way Zoho does and throw ZohoRecordError with Zoho's codes. Used by the HTTP
 * handlers and, in-process, by tests acting as CRM users.
 *
 * @example
 * ```ts
 * const record = store.insert('Contacts', { Last_Name: 'Ng', ERP_Customer_No: 'C-17' })
 * store.update('Contacts', record.id, { Email: 'ng@acme.io' })
 * ```
 */
export class ZohoStore {
  readonly #modules = new Map<string, ZohoModuleTable>();
  readonly orgOffset: string;
  #nextId = 1;
  /** Bumped by every change (for persistence). */
  version = 0;
  /** The clock in epoch seconds (tests may replace it). */
  now: () => number = () => Math.floor(Date.now() / 1000);

  constructor(modules: readonly ZohoModuleDefinition[], orgOffset: string) {
    this.orgOffset = orgOffset;
    for (const definition of modules) {
      this.#modules.set(definition.api_name.toLowerCase(), {
        definition,
        fields: new Map(definition.fields.map((f) => [f.api_name.toLowerCase(), f])),
        records: new Map(),
        deleted: [],
        unique: new Map(definition.fields.filter((f) => f.unique).map((f) => [f.api_name, new Map<string, string>()])),
      });
    }
  }

  /** The module with this API name (case-insensitive), or undefined. */
  module(name: string): ZohoModuleTable | undefined {
    return this.#modules.get(name.toLowerCase());
  }

  moduleNames(): string[] {
    return [...this.#modules.values()].map((m) => m.definition.api_name);
  }

  #table(name: string): ZohoModuleTable {
    const table = this.module(name);
    if (!table)
      throw new ZohoRecordError('INVALID_MODULE', 'the module name given seems to be invalid', { module: name });
    return table;
  }

  newId(): string {
    const id = `${ID_PREFIX}${String(this.#nextId).padStart(ID_DIGITS, '0')}`;
    this.#nextId += 1;
    return id;
  }

  /** Creates a record from JSON-typed values (as REST would). Throws ZohoRecordError. */
  insert(module: string, values: Readonly<Record<string, unknown>>): ZohoRecord {
    const table = this.#table(module);
    return this.insertStored(table, this.#convert(table, values));
  }

  /** Updates a record from JSON-typed values; absent fields are left alone, null clears. */
  update(module: string, id: string, values: Readonly<Record<string, unknown>>): ZohoRecord {
    const table = this.#table(module);
    return this.updateStored(table, id, this.#convert(table, values));
  }

  /** Creates a record from already converted values (bulk write). */
  insertStored(table: ZohoModuleTable, values: ReadonlyMap<string, StoredValue>): ZohoRecord {
    for (const field of table.definition.fields) {
      if (field.system_mandatory && (values.get(field.api_name) ?? null) === null) {
        throw new ZohoRecordError('MANDATORY_NOT_FOUND', 'required field not found', { api_name: field.api_name });
      }
    }
    this.#checkUnique(table, values, undefined);
    const at = this.now();
    const record: ZohoRecord = { id: this.newId(), values: new Map(), createdAt: at, modifiedAt: at };
    for (const [name, value] of values) record.values.set(name, value);
    table.records.set(record.id, record);
    indexRecord(table, record, true);
    this.version += 1;
    return record;
  }

  /** Updates a record from already converted values. */
  updateStored(table: ZohoModuleTable, id: string, values: ReadonlyMap<string, StoredValue>): ZohoRecord {
    const record = table.records.get(id);
    if (!record) {
      throw new ZohoRecordError('INVALID_DATA', 'the related id given seems to be invalid', { api_name: 'id', id });
    }
    for (const [name, value] of values) {
      const field = table.fields.get(name.toLowerCase());
      if (field?.system_mandatory && value === null) {
        throw new ZohoRecordError('MANDATORY_NOT_FOUND', 'required field not found', { api_name: field.api_name });
      }
    }
    this.#checkUnique(table, values, id);
    indexRecord(table, record, false);
    for (const [name, value] of values) record.values.set(name, value);
    indexRecord(table, record, true);
    record.modifiedAt = this.now();
    this.version += 1;
    return record;
  }

  /** Moves a record to the recycle bin. False when no live record has this id. */
  delete(module: string, id: string): boolean {
    const table = this.#table(module);
    const record = table.records.get(id);
    if (!record) return false;
    indexRecord(table, record, false);
    table.records.delete(id);
    const display = table.definition.display_field;
    const name = display === undefined ? '' : record.values.get(display);
    table.deleted.push({
      id,
      displayName: name === null || name === undefined ? '' : String(name),
      deletedAt: this.now(),
    });
    this.version += 1;
    return true;
  }

  /** The live record whose unique field equals `value` (compared exactly: the emulator's unique fields are case-sensitive). */
  findBy(table: ZohoModuleTable, fieldName: string, value: StoredValue): ZohoRecord | undefined {
    if (value === null) return undefined;
    const field = table.fields.get(fieldName.toLowerCase());
    if (!field) return undefined;
    const index = table.unique.get(field.api_name);
    if (index) {
      const id = index.get(normalizeForMatch(value));
      return id === undefined ? undefined : table.records.get(id);
    }
    const wanted = normalizeForMatch(value);
    for (const record of table.records.values()) {
      const have = record.values.get(field.api_name);
      if (have !== undefined && have !== null && normalizeForMatch(have) === wanted) return record;
    }
    return undefined;
  }

  /** Live records in (Modified_Time, id) order. */
  sorted(table: ZohoModuleTable): ZohoRecord[] {
    return [...table.records.values()].sort(
      (a, b) => a.modifiedAt - b.modifiedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
  }

  /** A record as REST JSON: id, the named fields (all when omitted), Created_Time and Modified_Time on request. */
  toJson(table: ZohoModuleTable, record: ZohoRecord, fields?: readonly string[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const names = fields ?? table.definition.fields.map((f) => f.api_name);
    for (const name of names) {
      const field = table.fields.get(name.toLowerCase());
      if (!field) continue;
      out[field.api_name] = this.valueOf(record, field);
    }
    out['id'] = record.id;
    return out;
  }

  /** One field of a record in its JSON form (system times included). */
  valueOf(record: ZohoRecord, field: ZohoFieldDefinition): unknown {
    if (field.api_name === 'Modified_Time') return formatZohoDateTime(record.modifiedAt, this.orgOffset);
    if (field.api_name === 'Created_Time') return formatZohoDateTime(record.createdAt, this.orgOffset);
    return valueToJson(field, record.values.get(field.api_name) ?? null, this.orgOffset);
  }

  /** Converts JSON values of writable fields; unknown keys are ignored, as Zoho ignores them. */
  #convert(table: ZohoModuleTable, values: Readonly<Record<string, unknown>>): Map<string, StoredValue> {
    const out = new Map<string, StoredValue>();
    for (const [name, value] of Object.entries(values)) {
      const field = table.fields.get(name.toLowerCase());
      if (!field || field.read_only) continue;
      out.set(field.api_name, valueFromJson(field, value));
    }
    return out;
  }

  #checkUnique(table: ZohoModuleTable, values: ReadonlyMap<string, StoredValue>, selfId: string | undefined): void {
    for (const [name, value] of values) {
      const field = table.fields.get(name.toLowerCase());
      if (!field?.unique || value === null) continue;
      const other = this.findBy(table, field.api_name, value);
      if (other && other.id !== selfId) {
        throw new ZohoRecordError('DUPLICATE_DATA', 'duplicate data', { api_name: field.api_name, id: other.id });
      }
    }
  }

  snapshot(): ZohoStoreSnapshot {
    const modules: ZohoStoreSnapshot['modules'] = {};
    for (const table of this.#modules.values()) {
      modules[table.definition.api_name] = {
        records: [...table.records.values()].map((r) => ({
          id: r.id,
          values: Object.fromEntries(r.values),
          createdAt: r.createdAt,
          modifiedAt: r.modifiedAt,
        })),
        deleted: [...table.deleted],
      };
    }
    return { nextId: this.#nextId, modules };
  }

  /** Replaces the records of every module the snapshot names (modules it does not know are skipped). */
  restore(snapshot: ZohoStoreSnapshot): number {
    let count = 0;
    this.#nextId = Math.max(this.#nextId, snapshot.nextId);
    for (const [name, data] of Object.entries(snapshot.modules)) {
      const table = this.module(name);
      if (!table) continue;
      table.records.clear();
      table.deleted.length = 0;
      for (const index of table.unique.values()) index.clear();
      for (const r of data.records) {
        const record: ZohoRecord = {
          id: r.id,
          values: new Map(Object.entries(r.values)),
          createdAt: r.createdAt,
          modifiedAt: r.modifiedAt,
        };
        table.records.set(r.id, record);
        indexRecord(table, record, true);
        count += 1;
      }
      table.deleted.push(...data.deleted);
    }
    return count;
  }
}

function indexRecord(table: ZohoModuleTable, record: ZohoRecord, add: boolean): void {
  for (const [name, index] of table.unique) {
    const value = record.values.get(name);
    if (value === undefined || value === null) continue;
    if (add) index.set(normalizeForMatch(value), record.id);
    else if (index.get(normalizeForMatch(value)) === record.id) index.delete(normalizeForMatch(value));
  }
}

function normalizeForMatch(value: string | number | boolean): string {
  return `${typeof value}:${String(value)}`;
}
