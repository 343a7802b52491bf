import { EmulatorRecordError } from './emulator-errors.js';
import { coerceFieldValue, jsonFieldValue, RowError, type StoredValue } from './field-codec.js';
import type { FieldDefinition, ObjectDefinition } from './object-definition.js';
import { type Row, RowMap } from './row-map.js';
import { normaliseSalesforceId, SalesforceIdGenerator } from './salesforce-id.js';

export type { Row } from './row-map.js';

/** Positions of the system fields in every Row (see SYSTEM_FIELD_NAMES). */
export const ID = 0,
  IS_DELETED = 1,
  CREATED_DATE = 2,
  LAST_MODIFIED_DATE = 3,
  SYSTEM_MODSTAMP = 4;

/** A record as the in-process API and the admin API show it: field name -> value, datetimes as ISO strings. */
export type EmulatorRecord = Readonly<Record<string, StoredValue>>;

/**
 * The records of one object (compactly encoded, see RowMap), with an index per external ID field (live records
 * only, case-insensitive).
 */
export class ObjectTable {
  readonly rows = new RowMap();
  readonly externalIndexes = new Map<number, Map<string, string>>();
  readonly idGenerator: SalesforceIdGenerator;
  readonly #fieldIndex = new Map<string, number>();

  constructor(readonly definition: ObjectDefinition) {
    definition.fields.forEach((f, i) => {
      this.#fieldIndex.set(f.name.toLowerCase(), i);
      if (f.externalId) this.externalIndexes.set(i, new Map());
    });
    this.idGenerator = new SalesforceIdGenerator(definition.keyPrefix);
  }

  /** Position of a field by case-insensitive API name. */
  fieldIndex(name: string): number | undefined {
    return this.#fieldIndex.get(name.toLowerCase());
  }

  field(index: number): FieldDefinition {
    const f = this.definition.fields[index];
    if (!f) throw new RangeError(`${this.definition.name} has no field #${index}`);
    return f;
  }

  /** Live (not deleted) record id whose indexed field equals `value`; 'ambiguous' when several match. */
  findBy(fieldIndex: number, value: string): string | undefined {
    if (fieldIndex === ID) {
      const id = normaliseSalesforceId(value);
      const row = id === undefined ? undefined : this.rows.get(id);
      return row && row[IS_DELETED] !== true ? (row[ID] as string) : undefined;
    }
    const index = this.externalIndexes.get(fieldIndex);
    if (index) return index.get(value.toLowerCase());
    // idLookup fields without an index (Name, Email): a scan, as rare as it is in practice.
    const needle = value.toLowerCase();
    let found: string | undefined;
    for (const row of this.rows.values()) {
      const v = row[fieldIndex];
      if (row[IS_DELETED] !== true && typeof v === 'string' && v.toLowerCase() === needle) {
        if (found !== undefined) return 'ambiguous';
        found = row[ID] as string;
      }
    }
    return found;
  }

  indexRow(row: Row): void {
    if (row[IS_DELETED] === true) return;
    for (const [i, index] of this.externalIndexes) {
      const v = row[i];
      if (v !== null && v !== undefined) index.set(String(v).toLowerCase(), row[ID] as string);
    }
  }

  unindexRow(row: Row): void {
    for (const [i, index] of this.externalIndexes) {
      const v = row[i];
      if (v !== null && v !== undefined) {
        const key = String(v).toLowerCase();
        if (index.get(key) === row[ID]) index.delete(key);
      }
    }
  }

  /** Loads a row as is (persistence). */
  load(row: Row): void {
    this.rows.set(row[ID] as string, row);
    this.idGenerator.observe(row[ID] as string);
    this.indexRow(row);
  }
}

/** Values to write, by field position. */
export type FieldValues = ReadonlyMap<number, StoredValue>;

/**
 * The emulator's records: per object a RowMap of id -> Row plus external ID indexes. Every write bumps
 * LastModifiedDate and SystemModstamp (whole seconds, as Salesforce stores datetimes), so tandem sees CRM users'
 * edits through SOQL exactly as it would on a real org.
 *
 * @example
 * ```ts
 * const acme = emulator.store.insert('Account', { Name: 'Acme', External_Id__c: 'C-1' })
 * emulator.store.update('Account', acme.Id as string, { Phone: '555-0100' })
 * emulator.store.delete('Account', acme.Id as string) // soft delete: IsDeleted = true, seen by queryAll
 * ```
 */
export class EmulatorStore {
  readonly #tables = new Map<string, ObjectTable>();
  readonly #clock: () => number;
  /** Increments on every write (persistence saves when it moved). */
  version = 0;

  constructor(definitions: readonly ObjectDefinition[], clock: () => number = () => Date.now()) {
    for (const d of definitions) this.#tables.set(d.name.toLowerCase(), new ObjectTable(d));
    this.#clock = clock;
  }

  /** Current time truncated to whole seconds (Salesforce datetime precision). */
  now(): number {
    return Math.floor(this.#clock() / 1000) * 1000;
  }

  /** Object definitions, as describe reports them. */
  objects(): readonly ObjectDefinition[] {
    return [...this.#tables.values()].map((t) => t.definition);
  }

  describe(object: string): ObjectDefinition | undefined {
    return this.#tables.get(object.toLowerCase())?.definition;
  }

  /** The table of an object (case-insensitive name), or undefined. */
  table(object: string): ObjectTable | undefined {
    return this.#tables.get(object.toLowerCase());
  }

  tables(): readonly ObjectTable[] {
    return [...this.#tables.values()];
  }

  // ---- row-level writes used by ingest jobs: failures are values ----

  /** Inserts a record; returns its id or the RowError Salesforce would report. */
  insertRow(table: ObjectTable, values: FieldValues): string | RowError {
    const fields = table.definition.fields;
    const row: StoredValue[] = new Array<StoredValue>(fields.length).fill(null);
    for (let i = 0; i < fields.length; i++) if (fields[i]!.type === 'boolean') row[i] = false;
    for (const [i, v] of values) row[i] = v;
    const problem = this.#check(table, row, undefined);
    if (problem) return problem;
    const now = this.now();
    const id = table.idGenerator.next();
    row[ID] = id;
    row[IS_DELETED] = false;
    row[CREATED_DATE] = now;
    row[LAST_MODIFIED_DATE] = now;
    row[SYSTEM_MODSTAMP] = now;
    table.rows.set(id, row);
    table.indexRow(row);
    this.version++;
    return id;
  }

  /** Updates a live record by 18-character id; returns a RowError or undefined on success. */
  updateRow(table: ObjectTable, id: string, values: FieldValues): RowError | undefined {
    const current = table.rows.get(id);
    if (!current) return new RowError('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id');
    if (current[IS_DELETED] === true) return new RowError('ENTITY_IS_DELETED', 'entity is deleted');
    const row = current.slice();
    for (const [i, v] of values) row[i] = v;
    const problem = this.#check(table, row, id);
    if (problem) return problem;
    const now = this.now();
    row[LAST_MODIFIED_DATE] = now;
    row[SYSTEM_MODSTAMP] = now;
    table.unindexRow(current);
    table.rows.set(id, row);
    table.indexRow(row);
    this.version++;
    return undefined;
  }

  /** Soft delete (recycle bin): IsDeleted = true, SystemModstamp bumped; queryAll still returns it. */
  deleteRow(table: ObjectTable, id: string, hard: boolean): RowError | undefined {
    const current = table.rows.get(id);
    if (!current) return new RowError('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id');
    if (current[IS_DELETED] === true && !hard) return new RowError('ENTITY_IS_DELETED', 'entity is deleted');
    table.unindexRow(current);
    if (hard) {
      table.rows.delete(id);
    } else {
      const row = current.slice();
      const now = this.now();
      row[IS_DELETED] = true;
      row[LAST_MODIFIED_DATE] = now;
      row[SYSTEM_MODSTAMP] = now;
      table.rows.set(id, row);
    }
    this.version++;
    return undefined;
  }

  #check(table: ObjectTable, row: StoredValue[], selfId: string | undefined): RowError | undefined {
    const fields = table.definition.fields;
    const missing: string[] = [];
    for (let i = 5; i < fields.length; i++) {
      const f = fields[i]!;
      const v = row[i];
      if (v === null || v === undefined) {
        if (!f.nillable && !f.defaultedOnCreate) missing.push(f.name);
        continue;
      }
      if (f.type === 'reference' && f.referenceTo.length > 0) {
        const exists = f.referenceTo.some((target) => {
          const parent = this.table(target);
          const r = parent?.rows.get(String(v));
          return r !== undefined && r[IS_DELETED] !== true;
        });
        if (!exists) {
          return new RowError('INVALID_CROSS_REFERENCE_KEY', `${f.label}: id value of incorrect type: ${String(v)}`, [
            f.name,
          ]);
        }
      }
    }
    if (missing.length > 0) {
      return new RowError('REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, missing);
    }
    for (const [i, index] of table.externalIndexes) {
      const f = fields[i]!;
      const v = row[i];
      if (!f.unique || v === null || v === undefined) continue;
      const other = index.get(String(v).toLowerCase());
      if (other !== undefined && other !== selfId) {
        return new RowError(
          'DUPLICATE_VALUE',
          `duplicate value found: ${f.name} duplicates value on record with id: ${other}`,
          [f.name],
        );
      }
    }
    return undefined;
  }

  // ---- the in-process API a test or the demo uses as a CRM user would ----

  #tableOrThrow(object: string): ObjectTable {
    const table = this.table(object);
    if (!table) {
      throw new EmulatorRecordError(
        `unknown object '${object}'; the emulator knows ${this.objects()
          .map((o) => o.name)
          .join(', ')} (add more with definitionsFile)`,
        'INVALID_TYPE',
        [],
        { object },
      );
    }
    return table;
  }

  #values(table: ObjectTable, fields: Readonly<Record<string, unknown>>, forInsert: boolean): Map<number, StoredValue> {
    const values = new Map<number, StoredValue>();
    for (const [name, raw] of Object.entries(fields)) {
      if (name.toLowerCase() === 'id' || name === 'attributes') continue;
      const i = table.fieldIndex(name);
      const object = table.definition.name;
      if (i === undefined) {
        throw new EmulatorRecordError(`No such column '${name}' on entity '${object}'`, 'INVALID_FIELD', [name], {
          object,
        });
      }
      const f = table.field(i);
      if (forInsert ? !f.createable : !f.updateable) {
        throw new EmulatorRecordError(
          `Unable to create/update fields: ${f.name} on ${object}: the field is read-only`,
          'INVALID_FIELD_FOR_INSERT_UPDATE',
          [f.name],
          { object },
        );
      }
      let v = coerceFieldValue(f, raw);
      if (v instanceof RowError) throw rowErrorToThrow(v, object);
      if (f.type === 'reference' && typeof v === 'string') v = normaliseSalesforceId(v) ?? v;
      values.set(i, v);
    }
    return values;
  }

  /** Inserts a record as a CRM user would; throws EmulatorRecordError when Salesforce would reject it. */
  insert(object: string, fields: Readonly<Record<string, unknown>>): EmulatorRecord {
    const table = this.#tableOrThrow(object);
    const result = this.insertRow(table, this.#values(table, fields, true));
    if (result instanceof RowError) throw rowErrorToThrow(result, table.definition.name);
    return toRecord(table, table.rows.get(result)!);
  }

  /** Updates a record (15 or 18 character id) as a CRM user would; bumps LastModifiedDate and SystemModstamp. */
  update(object: string, id: string, fields: Readonly<Record<string, unknown>>): EmulatorRecord {
    const table = this.#tableOrThrow(object);
    const full = normaliseSalesforceId(id);
    if (!full) throw new EmulatorRecordError(`malformed id '${id}'`, 'MALFORMED_ID', ['Id'], { object });
    const problem = this.updateRow(table, full, this.#values(table, fields, false));
    if (problem) throw rowErrorToThrow(problem, table.definition.name);
    return toRecord(table, table.rows.get(full)!);
  }

  /** Soft-deletes a record (IsDeleted = true, visible to queryAll). */
  delete(object: string, id: string): void {
    const table = this.#tableOrThrow(object);
    const full = normaliseSalesforceId(id);
    if (!full) throw new EmulatorRecordError(`malformed id '${id}'`, 'MALFORMED_ID', ['Id'], { object });
    const problem = this.deleteRow(table, full, false);
    if (problem) throw rowErrorToThrow(problem, table.definition.name);
  }

  /** A record by id, deleted ones included; undefined when it does not exist. */
  get(object: string, id: string): EmulatorRecord | undefined {
    const table = this.#tableOrThrow(object);
    const full = normaliseSalesforceId(id);
    const row = full === undefined ? undefined : table.rows.get(full);
    return row ? toRecord(table, row) : undefined;
  }

  /** All records of an object in insertion order; deleted ones only when `includeDeleted`. */
  list(object: string, options: { readonly includeDeleted?: boolean } = {}): EmulatorRecord[] {
    const table = this.#tableOrThrow(object);
    const out: EmulatorRecord[] = [];
    for (const row of table.rows.values()) {
      if (options.includeDeleted || row[IS_DELETED] !== true) out.push(toRecord(table, row));
    }
    return out;
  }

  /** Number of records of an object (live only unless `includeDeleted`). */
  count(object: string, options: { readonly includeDeleted?: boolean } = {}): number {
    const table = this.#tableOrThrow(object);
    if (options.includeDeleted) return table.rows.size;
    let n = 0;
    for (const row of table.rows.values()) if (row[IS_DELETED] !== true) n++;
    return n;
  }
}

function rowErrorToThrow(e: RowError, object: string): EmulatorRecordError {
  return new EmulatorRecordError(`${object}: ${e.statusCode}: ${e.message}`, e.statusCode, e.fields, { object });
}

/** A Row as a plain frozen record keyed by field name. */
export function toRecord(table: ObjectTable, row: Row): EmulatorRecord {
  const out: Record<string, StoredValue> = {};
  const fields = table.definition.fields;
  for (let i = 0; i < fields.length; i++) out[fields[i]!.name] = jsonFieldValue(fields[i]!, row[i] ?? null);
  return Object.freeze(out);
}
