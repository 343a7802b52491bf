import { HubSpotApiError, HubSpotEmulatorConfigError, HubSpotEmulatorRecordError } from './emulator-errors.js';
import {
  BUILT_IN_OBJECTS,
  defineProperty,
  normalizeValue,
  readOnlyPropertyError,
  unknownPropertyError,
  type PropertyDefinition,
  type PropertyInput,
  type PropertyValueError,
} from './property-definition.js';
import { UniqueValueIndex } from './unique-value-index.js';

/** A custom object as given in emulator options (`/crm/v3/schemas` in HubSpot). */
export interface CustomObjectInput {
  /** The plural name used in paths, e.g. `widgets`. */
  readonly name: string;
  /** Default `2-<n>` in declaration order from 2-1001. */
  readonly objectTypeId?: string;
  readonly properties: readonly PropertyInput[];
}

/** A record's content at one moment: what search serves once the index caught up with it. */
interface Snapshot {
  readonly properties: Readonly<Record<string, string>>;
  readonly archived: boolean;
  readonly updatedAt: number;
}

/** One stored record. Property values are strings; a cleared property is absent. */
export interface StoredRecord {
  readonly id: string;
  properties: Record<string, string>;
  readonly createdAt: number;
  updatedAt: number;
  archived: boolean;
  archivedAt: number | undefined;
  /** Versions newer than the index lag, plus the newest older one (what search sees). */
  history: { at: number; snapshot: Snapshot }[];
}

export interface ObjectTypeState {
  readonly name: string;
  readonly objectTypeId: string;
  readonly singular: string;
  readonly modifiedProperty: string;
  readonly properties: Map<string, PropertyDefinition>;
  readonly records: Map<string, StoredRecord>;
  nextId: number;
}

/** The outcome of checking one input's properties. */
export type Checked =
  | { readonly ok: true; readonly values: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly errors: readonly PropertyValueError[] };

/**
 * The emulator's records and property definitions, per object type. Writes keep `createdate`, the last-modified
 * property (`lastmodifieddate` on contacts, `hs_lastmodifieddate` elsewhere) and `hs_object_id`; archived records
 * stay listed under `archived=true`. Search reads each record as it was `indexLagMs` ago.
 *
 * @example
 * ```ts
 * const store = new HubSpotStore()
 * const r = store.insert('contacts', { email: 'ana@acme.io', firstname: 'Ana' })
 * store.update('contacts', r.id, { phone: '+1 555 0100' })
 * ```
 */
export class HubSpotStore {
  readonly #types = new Map<string, ObjectTypeState>();
  /** Live records by unique value, per object type (kept on every write, archive, purge and load). */
  readonly #indexes = new Map<ObjectTypeState, UniqueValueIndex<StoredRecord>>();
  #lastTime = 0;
  /** Bumped on every change (persistence saves when it moved). */
  version = 0;
  indexLagMs: number;

  constructor(options: { customObjects?: readonly CustomObjectInput[]; indexLagMs?: number } = {}) {
    this.indexLagMs = options.indexLagMs ?? 0;
    for (const o of BUILT_IN_OBJECTS) {
      this.#addType(o.name, o.objectTypeId, o.singular, o.modifiedProperty, o.properties, true);
    }
    let n = 1001;
    for (const o of options.customObjects ?? []) {
      if (!/^[a-z][a-z0-9_]*$/.test(o.name) || this.#types.has(o.name)) {
        throw new HubSpotEmulatorConfigError(
          `custom object name '${o.name}' is invalid or taken; use a new lower-case plural such as 'widgets'`,
          { name: o.name },
        );
      }
      const props = [
        { name: 'hs_object_id', type: 'number' as const, readOnlyValue: true },
        { name: 'hs_createdate', type: 'datetime' as const, readOnlyValue: true },
        { name: 'hs_lastmodifieddate', type: 'datetime' as const, readOnlyValue: true },
        ...o.properties,
      ];
      this.#addType(o.name, o.objectTypeId ?? `2-${n++}`, o.name.toUpperCase(), 'hs_lastmodifieddate', props, false);
    }
  }

  #addType(
    name: string,
    objectTypeId: string,
    singular: string,
    modifiedProperty: string,
    properties: readonly PropertyInput[],
    builtIn: boolean,
  ): void {
    const map = new Map<string, PropertyDefinition>();
    for (const p of properties) {
      map.set(p.name, defineProperty(p, builtIn || p.readOnlyValue === true));
    }
    this.#types.set(name, {
      name,
      objectTypeId,
      singular,
      modifiedProperty,
      properties: map,
      records: new Map(),
      nextId: 1001,
    });
  }

  /** The object type named by a path segment: `contacts`, `0-1`, a custom name or its `2-…` id. */
  type(nameOrId: string): ObjectTypeState | undefined {
    const lower = nameOrId.toLowerCase();
    const direct = this.#types.get(lower);
    if (direct) return direct;
    for (const t of this.#types.values()) if (t.objectTypeId === nameOrId || `p_${t.name}` === lower) return t;
    return undefined;
  }

  /** Like `type`, but answers HubSpot's 400 for an unknown object type. */
  requireType(nameOrId: string): ObjectTypeState {
    const t = this.type(nameOrId);
    if (!t) {
      throw new HubSpotApiError(400, 'VALIDATION_ERROR', `Unable to infer object type from: ${nameOrId}`, {
        subCategory: 'ObjectTypeIdUnsupportedError.OBJECT_TYPE_ID_UNSUPPORTED',
      });
    }
    return t;
  }

  types(): readonly ObjectTypeState[] {
    return [...this.#types.values()];
  }

  /** Creates a property; 409 when it exists. */
  createProperty(type: ObjectTypeState, input: PropertyInput): PropertyDefinition {
    if (type.properties.has(input.name)) {
      throw new HubSpotApiError(409, 'OBJECT_ALREADY_EXISTS', `Object already exists: ${input.name}`, {
        subCategory: 'Properties.PROPERTY_ALREADY_EXISTS',
      });
    }
    if (input.hasUniqueValue === true) {
      const unique = [...type.properties.values()].filter((p) => p.hasUniqueValue && !p.hubspotDefined).length;
      if (unique >= 10) {
        throw new HubSpotApiError(400, 'VALIDATION_ERROR', 'At most 10 unique-value properties per object.');
      }
    }
    const definition = defineProperty(input, false, new Date(this.now()).toISOString());
    type.properties.set(input.name, definition);
    this.version++;
    return definition;
  }

  /** Milliseconds, never going back; writes in the same millisecond share it (as they can in HubSpot). */
  now(): number {
    const t = Math.max(Date.now(), this.#lastTime);
    this.#lastTime = t;
    return t;
  }

  /** Checks written properties: unknown, read-only (unless `system`), and each value by its type. */
  check(type: ObjectTypeState, input: unknown, system = false): Checked {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      return {
        ok: false,
        errors: [
          {
            isValid: false,
            name: 'properties',
            error: 'INVALID_PROPERTIES',
            message: 'properties must be an object',
            localizedErrorMessage: 'properties must be an object',
          },
        ],
      };
    }
    const values: Record<string, string> = {};
    const errors: PropertyValueError[] = [];
    for (const [name, raw] of Object.entries(input as Record<string, unknown>)) {
      const property = type.properties.get(name);
      if (!property) {
        errors.push(unknownPropertyError(name));
        continue;
      }
      if (property.modificationMetadata.readOnlyValue && !system) {
        errors.push(readOnlyPropertyError(name));
        continue;
      }
      const normalized = normalizeValue(property, raw, type.name);
      if (!normalized.ok) errors.push(normalized.error);
      else values[name] = normalized.value;
    }
    return errors.length > 0 ? { ok: false, errors } : { ok: true, values };
  }

  /**
   * The live record holding `value` in the unique property `name` (emails compared lower-case), from an index: the
   * first such record in `type.records` order, as a scan would find.
   */
  findByUnique(type: ObjectTypeState, name: string, value: string): StoredRecord | undefined {
    const wanted = type.name === 'contacts' && name === 'email' ? value.trim().toLowerCase() : value;
    if (name === 'hs_object_id') {
      const r = type.records.get(wanted);
      return r && !r.archived ? r : undefined;
    }
    return this.#index(type).find(name, wanted);
  }

  #index(type: ObjectTypeState): UniqueValueIndex<StoredRecord> {
    let index = this.#indexes.get(type);
    if (!index) {
      index = new UniqueValueIndex(type.records);
      this.#indexes.set(type, index);
    }
    return index;
  }

  /** A unique-value conflict the values would cause for record `selfId`, as the owning record. */
  uniqueConflict(
    type: ObjectTypeState,
    values: Readonly<Record<string, string>>,
    selfId: string | undefined,
  ): { property: string; owner: StoredRecord } | undefined {
    for (const [name, value] of Object.entries(values)) {
      if (value === '' || !type.properties.get(name)?.hasUniqueValue) continue;
      const owner = this.findByUnique(type, name, value);
      if (owner && owner.id !== selfId) return { property: name, owner };
    }
    return undefined;
  }

  /** Creates a record from checked values. */
  create(type: ObjectTypeState, values: Readonly<Record<string, string>>, at: number = this.now()): StoredRecord {
    const id = String(type.nextId++);
    const iso = new Date(at).toISOString();
    const properties: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) if (v !== '') properties[k] = v;
    properties['hs_object_id'] = id;
    properties[
      type.name === 'contacts' || type.name === 'companies' || type.name === 'deals' ? 'createdate' : 'hs_createdate'
    ] = iso;
    properties[type.modifiedProperty] = iso;
    const record: StoredRecord = {
      id,
      properties,
      createdAt: at,
      updatedAt: at,
      archived: false,
      archivedAt: undefined,
      history: [],
    };
    this.#remember(record, at);
    type.records.set(id, record);
    this.#index(type).add(record);
    this.version++;
    return record;
  }

  /** Applies checked values to a live record ('' clears). Every write bumps the modification time. */
  update(record: StoredRecord, type: ObjectTypeState, values: Readonly<Record<string, string>>): StoredRecord {
    const at = this.now();
    const properties = { ...record.properties };
    for (const [k, v] of Object.entries(values)) {
      if (v === '') delete properties[k];
      else properties[k] = v;
    }
    properties[type.modifiedProperty] = new Date(at).toISOString();
    const index = this.#index(type);
    index.remove(record);
    record.properties = properties;
    index.add(record);
    record.updatedAt = at;
    this.#remember(record, at);
    this.version++;
    return record;
  }

  archive(record: StoredRecord): void {
    if (record.archived) return;
    const at = this.now();
    for (const index of this.#indexes.values()) index.remove(record);
    record.archived = true;
    record.archivedAt = at;
    record.updatedAt = at;
    this.#remember(record, at);
    this.version++;
  }

  #remember(record: StoredRecord, at: number): void {
    record.history.push({
      at,
      snapshot: { properties: record.properties, archived: record.archived, updatedAt: record.updatedAt },
    });
    const cutoff = at - this.indexLagMs;
    let firstKept = 0;
    for (let i = record.history.length - 1; i >= 0; i--) {
      if (record.history[i]!.at <= cutoff) {
        firstKept = i;
        break;
      }
    }
    if (firstKept > 0) record.history = record.history.slice(firstKept);
  }

  /** What search sees of a record now: its newest version at least `indexLagMs` old, or nothing yet. */
  indexed(record: StoredRecord, now = Date.now()): Snapshot | undefined {
    const cutoff = now - this.indexLagMs;
    let seen: Snapshot | undefined;
    for (const h of record.history) {
      if (h.at <= cutoff) seen = h.snapshot;
      else break;
    }
    return seen;
  }

  // ---- in-process access, as a CRM user (validated like the API) ----

  /** Creates a record as a user would; throws HubSpotEmulatorRecordError on what HubSpot refuses. */
  insert(typeName: string, properties: Readonly<Record<string, string | number | boolean | null>>): StoredRecord {
    const type = this.#userType(typeName);
    const values = this.#userCheck(type, properties);
    const conflict = this.uniqueConflict(type, values, undefined);
    if (conflict) throw this.#conflictError(type, conflict);
    return this.create(type, values);
  }

  /** Creates records that share one modification time (as one HubSpot batch can), as a user would. */
  insertSameTime(
    typeName: string,
    rows: readonly Readonly<Record<string, string | number | boolean | null>>[],
  ): StoredRecord[] {
    const type = this.#userType(typeName);
    const values = rows.map((r) => this.#userCheck(type, r));
    const at = this.now();
    return values.map((v) => {
      const conflict = this.uniqueConflict(type, v, undefined);
      if (conflict) throw this.#conflictError(type, conflict);
      return this.create(type, v, at);
    });
  }

  /** Updates a live record as a user would. */
  patch(
    typeName: string,
    id: string,
    properties: Readonly<Record<string, string | number | boolean | null>>,
  ): StoredRecord {
    const type = this.#userType(typeName);
    const record = type.records.get(id);
    if (!record || record.archived) throw new HubSpotEmulatorRecordError(`no live ${type.name} record ${id}`, { id });
    const values = this.#userCheck(type, properties);
    const conflict = this.uniqueConflict(type, values, id);
    if (conflict) throw this.#conflictError(type, conflict);
    return this.update(record, type, values);
  }

  /** Archives (deletes) a record as a user would. */
  remove(typeName: string, id: string): void {
    const type = this.#userType(typeName);
    const record = type.records.get(id);
    if (!record) throw new HubSpotEmulatorRecordError(`no ${type.name} record ${id}`, { id });
    this.archive(record);
  }

  /** Removes every record of a type for good (tests start empty). */
  purge(typeName: string): void {
    const type = this.#userType(typeName);
    type.records.clear();
    this.#indexes.get(type)?.reset();
    this.version++;
  }

  /** Live records' properties (archived ones with `archived: true`). */
  list(typeName: string, options: { archived?: boolean } = {}): StoredRecord[] {
    const type = this.#userType(typeName);
    return [...type.records.values()].filter((r) => r.archived === (options.archived ?? false));
  }

  get(typeName: string, id: string): StoredRecord | undefined {
    return this.#userType(typeName).records.get(id);
  }

  #userType(name: string): ObjectTypeState {
    const t = this.type(name);
    if (!t) throw new HubSpotEmulatorRecordError(`no object type '${name}'`, { objectType: name });
    return t;
  }

  #userCheck(type: ObjectTypeState, properties: Readonly<Record<string, unknown>>): Record<string, string> {
    const checked = this.check(type, properties);
    if (!checked.ok) {
      throw new HubSpotEmulatorRecordError(`Property values were not valid: ${JSON.stringify(checked.errors)}`, {
        objectType: type.name,
      });
    }
    return { ...checked.values };
  }

  #conflictError(type: ObjectTypeState, c: { property: string; owner: StoredRecord }): HubSpotEmulatorRecordError {
    return new HubSpotEmulatorRecordError(
      `${type.singular} with ${c.property} already exists. Existing ID: ${c.owner.id}`,
      { objectType: type.name, existingId: c.owner.id },
    );
  }

  /** Every record and custom property, for persistence. */
  dump(): unknown {
    return {
      types: this.types().map((t) => ({
        name: t.name,
        nextId: t.nextId,
        customProperties: [...t.properties.values()].filter((p) => !p.hubspotDefined),
        records: [...t.records.values()].map((r) => ({
          id: r.id,
          properties: r.properties,
          createdAt: r.createdAt,
          updatedAt: r.updatedAt,
          archived: r.archived,
          archivedAt: r.archivedAt,
        })),
      })),
    };
  }

  /** Restores what `dump` wrote (types unknown to this store are skipped). */
  restore(data: unknown): number {
    let count = 0;
    const types = (data as { types?: unknown[] } | null)?.types;
    if (!Array.isArray(types)) throw new HubSpotEmulatorConfigError('saved state has no types list', {});
    for (const raw of types as {
      name: string;
      nextId: number;
      customProperties: PropertyDefinition[];
      records: (Omit<StoredRecord, 'history'> & { archivedAt: number | null })[];
    }[]) {
      const type = this.type(raw.name);
      if (!type) continue;
      this.#indexes.get(type)?.reset();
      for (const p of raw.customProperties) type.properties.set(p.name, p);
      type.nextId = Math.max(type.nextId, raw.nextId);
      for (const r of raw.records) {
        const record: StoredRecord = {
          ...r,
          archivedAt: r.archivedAt ?? undefined,
          history: [],
        };
        record.history.push({
          at: 0,
          snapshot: { properties: record.properties, archived: record.archived, updatedAt: record.updatedAt },
        });
        type.records.set(r.id, record);
        count++;
      }
    }
    return count;
  }
}
