import { closestNames, type SchemaProblem } from '../schema-problem.js';
import type { FieldValue, Fields } from '../../model/record.js';
import type { StreamRef } from '../../model/stream.js';
import { HubSpotSchemaError } from './hubspot-errors.js';
import { textOf } from '../../util/text-of.js';

/** What tandem needs of one HubSpot property definition. */
export interface PropertyInfo {
  readonly name: string;
  /** The label in HubSpot's UI (`Number of Employees`); the name when absent. */
  readonly label: string;
  readonly type: string;
  readonly fieldType: string;
  readonly hasUniqueValue: boolean;
  /** Calculated or system-maintained: HubSpot refuses a write to it. */
  readonly readOnly: boolean;
}

export function propertyInfo(raw: Record<string, unknown>): PropertyInfo {
  const meta = (raw['modificationMetadata'] ?? {}) as Record<string, unknown>;
  return {
    name: String(raw['name']),
    label: typeof raw['label'] === 'string' && raw['label'] !== '' ? raw['label'] : String(raw['name']),
    type: textOf(raw['type'] ?? 'string'),
    fieldType: textOf(raw['fieldType'] ?? 'text'),
    hasUniqueValue: raw['hasUniqueValue'] === true,
    readOnly: meta['readOnlyValue'] === true || raw['calculated'] === true,
  };
}

/** The last-modified property search and cursors use: `lastmodifieddate` on contacts, `hs_lastmodifieddate` elsewhere. */
export function modifiedPropertyOf(entity: string, properties: ReadonlyMap<string, PropertyInfo>): string {
  const e = entity.toLowerCase();
  if (e === 'contacts' || e === '0-1' || e === 'contact') return 'lastmodifieddate';
  return properties.has('hs_lastmodifieddate') ? 'hs_lastmodifieddate' : 'lastmodifieddate';
}

/** Whether a HubSpot property of this type can hold a mapped field's canonical values (strings hold anything). */
export function hubspotTypeFits(canonical: string, type: string): boolean {
  switch (canonical) {
    case 'number':
    case 'integer':
      return type === 'number' || type === 'string';
    case 'boolean':
      return type === 'bool' || type === 'enumeration' || type === 'string';
    case 'date':
      return type === 'date' || type === 'datetime' || type === 'string';
    case 'datetime':
      return type === 'datetime' || type === 'string';
    default:
      // Text travels to any property as its wire string; HubSpot refuses a bad one per record.
      return true;
  }
}

/**
 * Every way one stream does not fit the object's properties, at once: the key property missing, without unique
 * values or read-only; each mapped property missing (with the three closest names), of a type that cannot hold the
 * mapped values, or read-only while tandem writes it; no last-modified property. Empty when it fits.
 */
export function streamSchemaProblems(
  stream: StreamRef,
  properties: ReadonlyMap<string, PropertyInfo>,
): SchemaProblem[] {
  const names = [...properties.keys()].sort();
  const problems: SchemaProblem[] = [];
  const missing = (name: string, role: string, fix: string): void => {
    const closest = closestNames(name, names);
    problems.push({
      kind: 'missing-field',
      field: name,
      closest,
      message: `${stream.entity} has no property '${name}' (${role}); closest: ${closest.join(', ')}. ${fix}`,
    });
  };
  const key = properties.get(stream.keyField);
  if (!key) {
    missing(
      stream.keyField,
      'the key property, idProperty',
      'Fix: create a property with unique values (hasUniqueValue: true, set only at creation) or name an existing one.',
    );
  } else {
    const isContactEmail = key.name === 'email' && modifiedPropertyOf(stream.entity, properties) === 'lastmodifieddate';
    if (!key.hasUniqueValue && !isContactEmail) {
      const unique = [...properties.values()].filter((p) => p.hasUniqueValue).map((p) => p.name);
      problems.push({
        kind: 'not-unique',
        field: key.name,
        message:
          `the key property '${key.name}' does not have unique values, so HubSpot cannot upsert by it. ` +
          `Unique properties of this object: ${unique.length > 0 ? unique.join(', ') : '(none)'}. Fix: create one with hasUniqueValue: true (e.g. erp_id).`,
      });
    }
    if (key.readOnly)
      problems.push({
        kind: 'read-only',
        field: key.name,
        message: `the key property '${key.name}' is read-only in HubSpot; tandem must write the key. Fix: name a writable unique property.`,
      });
  }
  const written = new Set(stream.writtenFields ?? stream.fields);
  for (const field of stream.fields) {
    if (field === stream.keyField) continue;
    const property = properties.get(field);
    if (!property) {
      missing(field, 'mapped', "Fix: use the property's internal name (lower case, as in Settings > Properties).");
      continue;
    }
    const type = stream.fieldTypes?.[field];
    if (type !== undefined && !hubspotTypeFits(type, property.type))
      problems.push({
        kind: 'type-mismatch',
        field,
        message: `${stream.entity}.${field} is a ${property.type} property, which cannot hold the mapping's type: ${type} values. Fix the field's type: in tandem.yaml, or map another property.`,
      });
    if (written.has(field) && property.readOnly)
      problems.push({
        kind: 'read-only',
        field,
        message: `${stream.entity}.${field} is read-only in HubSpot, and tandem writes it. Fix: set direction: crm-to-erp on that field in tandem.yaml, or map a writable property.`,
      });
  }
  if (!properties.has(modifiedPropertyOf(stream.entity, properties)))
    problems.push({
      kind: 'other',
      message: `${stream.entity} has no last-modified property (${modifiedPropertyOf(stream.entity, properties)}), which incremental reads need.`,
    });
  return problems;
}

/**
 * Checks one stream against the object's properties (streamSchemaProblems) and throws HubSpotSchemaError (exit 2)
 * carrying every problem in `context.problems`, the first one's property in `context.property`.
 */
export function checkStreamSchema(stream: StreamRef, properties: ReadonlyMap<string, PropertyInfo>): void {
  const problems = streamSchemaProblems(stream, properties);
  const first = problems[0];
  if (first === undefined) return;
  throw new HubSpotSchemaError(
    `stream '${stream.name}' (HubSpot object '${stream.entity}'): ${problems.map((p) => p.message).join('\n  also: ')}`,
    {
      stream: stream.name,
      entity: stream.entity,
      ...(first.field === undefined ? {} : { property: first.field }),
      ...(first.closest === undefined ? {} : { closest: first.closest }),
      problems,
    },
  );
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const EPOCH = /^-?\d+$/;

/** A property value as HubSpot sends it (a string or null) -> the typed value tandem moves. '' reads as null. */
export function fromWire(property: PropertyInfo | undefined, raw: unknown): FieldValue {
  if (raw === null || raw === undefined) return null;
  const text = textOf(raw);
  if (text === '') return null;
  switch (property?.type) {
    case 'number': {
      const n = Number(text);
      return Number.isFinite(n) ? n : text;
    }
    case 'bool':
      return text.toLowerCase() === 'true';
    case 'date':
      if (ISO_DATE.test(text)) return text;
      if (EPOCH.test(text)) return new Date(Number(text)).toISOString().slice(0, 10);
      return text.slice(0, 10);
    case 'datetime':
      if (EPOCH.test(text)) return new Date(Number(text)).toISOString();
      return Number.isFinite(Date.parse(text)) ? new Date(Date.parse(text)).toISOString() : text;
    default:
      return text;
  }
}

/**
 * A typed value -> the string HubSpot takes: null clears (''), booleans 'true'/'false', numbers in decimal,
 * dates as YYYY-MM-DD (a datetime at midnight UTC becomes its date; any other time is left for HubSpot to refuse),
 * datetimes as ISO-8601 or epoch milliseconds.
 */
export function toWire(property: PropertyInfo | undefined, value: FieldValue): string {
  if (value === null) return '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (property?.type === 'date') return new Date(value).toISOString().slice(0, 10);
    return Number.isInteger(value) ? value.toFixed(0) : String(value);
  }
  if (property?.type === 'date' && !ISO_DATE.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms) && ms % 86_400_000 === 0) return new Date(ms).toISOString().slice(0, 10);
  }
  if (property?.type === 'bool') return value.trim().toLowerCase();
  return value;
}

/** Typed fields of a record from its wire properties: exactly the stream's fields, unset ones null. */
export function fieldsFromWire(
  stream: StreamRef,
  properties: ReadonlyMap<string, PropertyInfo>,
  wire: Readonly<Record<string, unknown>>,
): Fields {
  const out: Record<string, FieldValue> = {};
  for (const f of stream.fields) out[f] = fromWire(properties.get(f), wire[f]);
  return Object.freeze(out);
}
