import type { CatalogEntity, CatalogField, CatalogFieldKind, EntityCatalog } from '../connectors/entity-catalog.js';
import type { Direction } from '../model/direction.js';
import { nameSimilarity, nameWords } from './name-similarity.js';

/**
 * `tandem init`'s guess at tandem.yaml's `objects:` from what both systems say about themselves: which table goes
 * with which CRM object, the key and timestamp columns, and field pairs by name and type. What it cannot decide is
 * said in `notes` (written as comments). Pure: the catalogs come from the connectors' `introspect`.
 *
 * @example
 * ```ts
 * const proposal = proposeMappings(erpCatalog, crmCatalog)
 * // proposal.objects[0]: { name: 'account', erp: { table: 'public.customers', key: 'customer_no', ... },
 * //   crm: { object: 'Account', externalId: 'External_Id__c' }, fields: [{ name: 'city', erp: 'city', crm: 'BillingCity' }, ...] }
 * ```
 */
export interface MappingProposal {
  readonly objects: readonly ProposedObject[];
  /** ERP tables no CRM object fitted. */
  readonly unmatchedTables: readonly string[];
}

export interface ProposedObject {
  /** The mapping's name under `objects:` (from the CRM object's name, e.g. `account`). */
  readonly name: string;
  /** How sure the pairing is (0..1): name likeness and the share of columns that found a field. */
  readonly score: number;
  readonly erp: {
    readonly table: string;
    readonly key: string;
    readonly primaryKey: string;
    /** The modification timestamp column; undefined when there is none (capture: changelog then). */
    readonly updatedAt: string | undefined;
    readonly capture: 'watermark' | 'changelog';
  };
  readonly crm: { readonly object: string; readonly externalId: string };
  readonly fields: readonly ProposedField[];
  /** What could not be decided, or needs a person's look: one sentence each. */
  readonly notes: readonly string[];
}

export interface ProposedField {
  /** The canonical name (the ERP column's name, snake case). */
  readonly name: string;
  readonly erp: string;
  readonly crm: string;
  readonly type: 'string' | 'number' | 'integer' | 'boolean' | 'date' | 'datetime';
  readonly direction: Direction;
  /** Transform names for tandem.yaml (`trim`, `lowercase`, `phone`). */
  readonly transforms: readonly string[];
  /** 1: the same name in another style; 0.7: one name contains the other (`city` ~ `BillingCity`). */
  readonly score: number;
  /** Other CRM fields that fitted as well (a tie), for a comment. */
  readonly alternatives: readonly string[];
}

/** Below this pairing score, a table and an object are not proposed together. */
const MIN_OBJECT_SCORE = 0.3;
/** Below this name likeness, a column and a field are not paired. */
const MIN_FIELD_SCORE = 0.7;
const KEY_NAME = /(^|_)(no|nr|number|num|code|key|ref|external_id|ext_id)$/i;
const DELETED_NAME = /^(deleted|deleted_at|is_deleted|removed_at|archived_at)$/i;
const CREATED_NAME = /^(created|created_at|inserted_at|creation_date|created_on)$/i;

export function proposeMappings(erp: EntityCatalog, crm: EntityCatalog): MappingProposal {
  const pairs: { table: CatalogEntity; object: CatalogEntity; score: number }[] = [];
  for (const table of erp.entities) {
    for (const object of crm.entities) {
      const score = pairingScore(table, object);
      if (score >= MIN_OBJECT_SCORE) pairs.push({ table, object, score });
    }
  }
  // Greedy one-to-one: the best pair first; ties keep the catalogs' order (stable sort).
  pairs.sort((a, b) => b.score - a.score);
  const usedTables = new Set<string>();
  const usedObjects = new Set<string>();
  const names = new Set<string>();
  const objects: ProposedObject[] = [];
  for (const pair of pairs) {
    if (usedTables.has(pair.table.name) || usedObjects.has(pair.object.name)) continue;
    usedTables.add(pair.table.name);
    usedObjects.add(pair.object.name);
    objects.push(proposeObject(pair.table, pair.object, pair.score, mappingName(pair.object.name, names)));
  }
  // The ERP's table order reads best in the file.
  const order = erp.entities.map((e) => e.name);
  objects.sort((a, b) => order.indexOf(a.erp.table) - order.indexOf(b.erp.table));
  return Object.freeze({
    objects: Object.freeze(objects),
    unmatchedTables: Object.freeze(order.filter((t) => !usedTables.has(t))),
  });
}

/** Half name likeness (`customers` ~ `Account`), half the share of the table's columns that find a field. */
function pairingScore(table: CatalogEntity, object: CatalogEntity): number {
  const byName = Math.max(nameSimilarity(table.name, object.name), nameSimilarity(table.name, object.label));
  const columns = table.fields.filter((f) => !f.modificationTime && !f.unique && !DELETED_NAME.test(f.name));
  if (columns.length === 0) return byName / 2;
  const candidates = object.fields.filter(pairable);
  const found = columns.filter((c) => candidates.some((f) => fieldScore(c, f) >= MIN_FIELD_SCORE)).length;
  return byName / 2 + found / columns.length / 2;
}

/** A CRM field that may take a column's values: not its id or a reference, not a system timestamp. */
function pairable(field: CatalogField): boolean {
  return field.kind !== 'id' && field.kind !== 'other' && !field.modificationTime;
}

function fieldScore(column: CatalogField, field: CatalogField): number {
  if (canonicalType(column.kind, field.kind) === undefined) return 0;
  return Math.max(nameSimilarity(column.name, field.name), nameSimilarity(column.name, field.label));
}

/** The canonical type two kinds share, or undefined when their values do not fit each other. */
export function canonicalType(erp: CatalogFieldKind, crm: CatalogFieldKind): ProposedField['type'] | undefined {
  const numeric = (k: CatalogFieldKind) => k === 'number' || k === 'integer';
  if (numeric(erp) && numeric(crm)) return erp === 'integer' && crm === 'integer' ? 'integer' : 'number';
  if (erp === crm && erp !== 'id' && erp !== 'other') return erp;
  return undefined;
}

function mappingName(object: string, taken: Set<string>): string {
  const words = object
    .replace(/__c$/i, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
  const last = words.pop();
  if (last !== undefined) words.push(last.endsWith('ies') ? `${last.slice(0, -3)}y` : last.replace(/([^s])s$/, '$1'));
  let base = words.join('_');
  if (!/^[a-z]/.test(base)) base = `object_${base}`;
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}

function proposeObject(table: CatalogEntity, object: CatalogEntity, score: number, name: string): ProposedObject {
  const notes: string[] = [];
  const key = erpKey(table, notes);
  const primaryKey = table.primaryKey.length === 1 && table.primaryKey[0] !== undefined ? table.primaryKey[0] : key;
  if (table.primaryKey.length !== 1)
    notes.push(
      table.primaryKey.length === 0
        ? `${table.name} has no primary key; primaryKey is set to the key column ${key}.`
        : `${table.name} has a primary key of several columns (${table.primaryKey.join(', ')}); primaryKey is set to the key column ${key}.`,
    );
  const updatedAt = modificationColumn(table, notes);
  const externalId = crmKey(object, key, notes);
  const skip = new Set([key, primaryKey, ...(updatedAt ? [updatedAt] : [])]);
  const columns = table.fields.filter(
    (c) => !skip.has(c.name) && !DELETED_NAME.test(c.name) && !CREATED_NAME.test(c.name),
  );
  const fields = pairFields(columns, object, externalId, notes);
  const required = object.fields.filter(
    (f) => !f.nullable && f.writable && f.name !== externalId && !fields.some((p) => p.crm === f.name),
  );
  if (required.length > 0)
    notes.push(
      `${object.name} requires ${required.map((f) => f.name).join(', ')} on create, which no column fills: map one, or records created from the ERP are rejected.`,
    );
  return Object.freeze({
    name,
    score: Math.round(score * 100) / 100,
    erp: {
      table: table.name,
      key,
      primaryKey,
      updatedAt,
      capture: updatedAt === undefined ? ('changelog' as const) : ('watermark' as const),
    },
    crm: { object: object.name, externalId },
    fields: Object.freeze(fields),
    notes: Object.freeze(notes),
  });
}

/** The column holding the sync key: a unique text column named like a business key, else the primary key. */
function erpKey(table: CatalogEntity, notes: string[]): string {
  const unique = table.fields.filter((f) => f.unique);
  const text = unique.filter((f) => f.kind === 'string' && !f.nullable);
  const named = text.find((f) => KEY_NAME.test(f.name));
  const chosen = named ?? text[0] ?? unique.find((f) => table.primaryKey.includes(f.name)) ?? unique[0];
  if (chosen !== undefined) {
    const others = unique.filter((f) => f !== chosen).map((f) => f.name);
    if (others.length > 0 && named === undefined)
      notes.push(`key: ${chosen.name} was chosen among the unique columns ${[chosen.name, ...others].join(', ')}.`);
    return chosen.name;
  }
  const first = table.fields[0]?.name ?? 'id';
  notes.push(
    `could not decide the key: ${table.name} has no unique column. Fix: CREATE UNIQUE INDEX on the column holding the business key, and set erp.key.`,
  );
  return first;
}

function modificationColumn(table: CatalogEntity, notes: string[]): string | undefined {
  const marked = table.fields.filter((f) => f.modificationTime);
  const chosen = marked.find((f) => !f.nullable) ?? marked[0];
  if (chosen === undefined) {
    const stamps = table.fields.filter((f) => f.kind === 'datetime' && !CREATED_NAME.test(f.name));
    notes.push(
      stamps.length > 0
        ? `could not decide the modification timestamp (candidates: ${stamps.map((f) => f.name).join(', ')}); capture: changelog needs \`tandem erp install-capture\` first, or set updatedAt to one of them and capture: watermark.`
        : `${table.name} has no modification timestamp column: capture: changelog (run \`tandem erp install-capture\` first), or add an updated_at column kept by a trigger.`,
    );
    return undefined;
  }
  if (chosen.nullable)
    notes.push(
      `${chosen.name} allows NULL, which watermark capture cannot see: fill it and SET NOT NULL, or use capture: changelog.`,
    );
  return chosen.name;
}

/** The CRM's external ID field for the key: the unique, writable one whose name is closest to the ERP key. */
function crmKey(object: CatalogEntity, erpKeyColumn: string, notes: string[]): string {
  const candidates = object.fields.filter((f) => f.externalId && f.writable && f.kind === 'string');
  const rank = (f: CatalogField): number =>
    nameSimilarity(erpKeyColumn, f.name) + (/external|erp/i.test(f.name) ? 0.5 : 0) + (f.unique ? 0.1 : 0);
  const sorted = [...candidates].sort((a, b) => rank(b) - rank(a));
  const chosen = sorted[0];
  if (chosen === undefined) {
    notes.push(
      `could not decide the external ID: ${object.name} has no writable unique (external ID) text field. Create one (e.g. External_Id__c, unique, external ID) and set crm.externalId to it.`,
    );
    return 'External_Id__c';
  }
  if (sorted.length > 1)
    notes.push(
      `externalId: ${chosen.name} was chosen among ${sorted.map((f) => f.name).join(', ')}; it must hold the ERP key.`,
    );
  return chosen.name;
}

function pairFields(
  columns: readonly CatalogField[],
  object: CatalogEntity,
  externalId: string,
  notes: string[],
): ProposedField[] {
  const targets = object.fields.filter((f) => pairable(f) && f.name !== externalId);
  const scored: { column: CatalogField; field: CatalogField; score: number }[] = [];
  for (const column of columns)
    for (const field of targets) {
      const score = fieldScore(column, field);
      if (score >= MIN_FIELD_SCORE) scored.push({ column, field, score });
    }
  scored.sort((a, b) => b.score - a.score);
  const usedColumns = new Set<string>();
  const usedFields = new Set<string>();
  const chosen = new Map<string, ProposedField>();
  for (const { column, field, score } of scored) {
    if (usedColumns.has(column.name) || usedFields.has(field.name)) continue;
    if (!column.writable && !field.writable) continue;
    usedColumns.add(column.name);
    usedFields.add(field.name);
    const type = canonicalType(column.kind, field.kind) ?? 'string';
    const alternatives = scored
      .filter((s) => s.column === column && s.field !== field && s.score === score && !usedFields.has(s.field.name))
      .map((s) => s.field.name);
    chosen.set(column.name, {
      name: canonicalName(column.name),
      erp: column.name,
      crm: field.name,
      type,
      direction: !field.writable ? 'crm-to-erp' : !column.writable ? 'erp-to-crm' : 'both',
      transforms: transformsFor(type, field),
      score,
      alternatives,
    });
  }
  const unpaired = columns.filter((c) => !usedColumns.has(c.name));
  if (unpaired.length > 0)
    notes.push(
      `not mapped (no ${object.name} field with a like name and type): ${unpaired.map((c) => `${c.name} (${c.nativeType})`).join(', ')}. Map them by hand if they should sync.`,
    );
  // The ERP's column order reads best.
  return columns.flatMap((c) => {
    const field = chosen.get(c.name);
    return field ? [field] : [];
  });
}

function canonicalName(column: string): string {
  const name = nameWords(column).length === 0 ? 'field' : column.toLowerCase().replace(/[^a-z0-9_]+/g, '_');
  return /^[a-z]/.test(name) ? name : `f_${name}`;
}

function transformsFor(type: ProposedField['type'], field: CatalogField): string[] {
  if (type !== 'string') return [];
  const native = field.nativeType.toLowerCase();
  if (native === 'email' || /email/i.test(field.name)) return ['trim', 'lowercase'];
  return [];
}
