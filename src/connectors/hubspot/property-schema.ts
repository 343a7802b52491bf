import { closestMatch, editDistance } from '../../util/closest-match.js';
import type { FieldValue, Fields } from '../../model/record.js';
import type { StreamRef } from '../../model/stream.js';
import { HubSpotSchemaError } from './hubspot-errors.js';
import { textOf } from '../../util/text-of.js';

/** What tandem needs of one HubSpot property definition. */
export interface PropertyInfo {
  readonly name: string;
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

/** Up to five existing names closest to `name` (typos first, then shared prefixes). */
export function closestNames(name: string, available: readonly string[]): string[] {
  const best = closestMatch(name, available);
  const ranked = [...available].sort((a, b) => editDistance(name, a) - editDistance(name, b)).slice(0, 5);
  return best === undefined ? ranked : [best, ...ranked.filter((n) => n !== best)].slice(0, 5);
}

/**
 * Checks one stream against the object's properties: the key property exists, holds unique values and can be
 * written; every mapped property exists (an unknown one is refused with the closest names). Throws
 * HubSpotSchemaError (exit 2) naming the stream and the fix.
 */
export function checkStreamSchema(stream: StreamRef, properties: ReadonlyMap<string, PropertyInfo>): void {
  const names = [...properties.keys()].sort();
  const where = `stream '${stream.name}' (HubSpot object '${stream.entity}')`;
  const key = properties.get(stream.keyField);
  if (!key) {
    throw new HubSpotSchemaError(
      `${where}: the key property (idProperty) '${stream.keyField}' does not exist. Closest: ${closestNames(stream.keyField, names).join(', ')}. ` +
        'Fix: create a property with unique values (hasUniqueValue: true, set only at creation) or name an existing one.',
      {
        stream: stream.name,
        entity: stream.entity,
        property: stream.keyField,
        closest: closestNames(stream.keyField, names),
      },
    );
  }
  const isContactEmail = key.name === 'email' && modifiedPropertyOf(stream.entity, properties) === 'lastmodifieddate';
  if (!key.hasUniqueValue && !isContactEmail) {
    const unique = [...properties.values()].filter((p) => p.hasUniqueValue).map((p) => p.name);
    throw new HubSpotSchemaError(
      `${where}: the key property '${key.name}' does not have unique values, so HubSpot cannot upsert by it. ` +
        `Unique properties of this object: ${unique.length > 0 ? unique.join(', ') : '(none)'}. Fix: create one with hasUniqueValue: true (e.g. erp_id).`,
      { stream: stream.name, entity: stream.entity, property: key.name, unique },
    );
  }
  if (key.readOnly) {
    throw new HubSpotSchemaError(
      `${where}: the key property '${key.name}' is read-only in HubSpot; tandem must write the key.`,
      {
        stream: stream.name,
        entity: stream.entity,
        property: key.name,
      },
    );
  }
  const unknown = stream.fields.filter((f) => !properties.has(f));
  if (unknown.length > 0) {
    const hints = unknown.map((f) => `'${f}' (closest: ${closestNames(f, names).join(', ')})`);
    throw new HubSpotSchemaError(
      `${where}: unknown properties ${hints.join('; ')}. Fix: use the property's internal name (lower case, as in Settings > Properties).`,
      { stream: stream.name, entity: stream.entity, unknown, available: names },
    );
  }
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
