import { closestMatch } from '../../util/closest-match.js';
import { normalizeInstant } from '../../model/instant.js';
import type { FieldValue } from '../../model/record.js';
import type { StreamRef } from '../../model/stream.js';
import { ZohoSchemaError } from './zoho-errors.js';
import { textOf } from '../../util/text-of.js';

/** A field as Zoho's fields metadata reports it (the part tandem uses). */
export interface ZohoField {
  readonly apiName: string;
  readonly dataType: string;
  readonly readOnly: boolean;
  readonly unique: boolean;
  readonly mandatory: boolean;
  readonly length: number | undefined;
}

/** Parses `GET /crm/{v}/settings/fields?module=…` (`{"fields":[…]}`). */
export function parseFieldsMetadata(body: unknown): ZohoField[] {
  const fields = (body as { fields?: unknown } | null)?.fields;
  if (!Array.isArray(fields)) return [];
  return fields.flatMap((f: Record<string, unknown>) => {
    if (typeof f['api_name'] !== 'string') return [];
    const unique = f['unique'];
    return [
      {
        apiName: f['api_name'],
        dataType: typeof f['data_type'] === 'string' ? f['data_type'] : 'text',
        readOnly: f['read_only'] === true || f['field_read_only'] === true,
        unique: unique !== null && typeof unique === 'object' && Object.keys(unique).length > 0,
        mandatory: f['system_mandatory'] === true,
        length: typeof f['length'] === 'number' ? f['length'] : undefined,
      },
    ];
  });
}

/**
 * Checks a stream against the module's fields: every field exists (else the closest names are suggested), the key
 * field is unique (Zoho's `find_by` and `duplicate_check_fields` take only unique fields), no field is read-only,
 * and the module has Modified_Time. Returns the fields by API name.
 */
export function checkStreamFields(stream: StreamRef, fields: readonly ZohoField[]): ReadonlyMap<string, ZohoField> {
  const byName = new Map(fields.map((f) => [f.apiName, f]));
  const names = fields.map((f) => f.apiName);
  for (const name of [stream.keyField, ...stream.fields]) {
    if (byName.has(name)) continue;
    const close = closestMatch(name, names);
    throw new ZohoSchemaError(
      `stream '${stream.name}': Zoho module ${stream.entity} has no field '${name}'.${close ? ` Did you mean '${close}'?` : ''} ` +
        `Fields: ${[...names].sort().join(', ')}. Use the field API name (Setup > Developer Hub > APIs > API names).`,
      { stream: stream.name, module: stream.entity, field: name, ...(close ? { closest: close } : {}) },
    );
  }
  const key = byName.get(stream.keyField)!;
  if (!key.unique) {
    const uniques = fields.filter((f) => f.unique).map((f) => f.apiName);
    throw new ZohoSchemaError(
      `stream '${stream.name}': the key field ${stream.entity}.${stream.keyField} is not unique in Zoho; Bulk Write's find_by and REST upsert's duplicate_check_fields need a field marked "Do not allow duplicate values". ` +
        `Unique fields: ${uniques.length > 0 ? uniques.join(', ') : '(none)'}.`,
      { stream: stream.name, module: stream.entity, field: stream.keyField, uniqueFields: uniques },
    );
  }
  const readOnly = [stream.keyField, ...stream.fields].filter((n) => byName.get(n)?.readOnly);
  if (readOnly.length > 0) {
    throw new ZohoSchemaError(
      `stream '${stream.name}': ${stream.entity} field(s) ${readOnly.join(', ')} are read-only in Zoho and cannot be written. ` +
        "Map them one way ('crm-to-erp') or pick writable fields.",
      { stream: stream.name, module: stream.entity, fields: readOnly },
    );
  }
  if (!byName.has('Modified_Time')) {
    throw new ZohoSchemaError(
      `stream '${stream.name}': ${stream.entity} has no Modified_Time field, which incremental reads need.`,
      {
        stream: stream.name,
        module: stream.entity,
      },
    );
  }
  return byName;
}

const NUMERIC = new Set(['integer', 'bigint', 'double', 'currency', 'decimal', 'percent', 'long']);

/** A REST JSON value or bulk-read CSV cell -> FieldValue by data type (datetimes to normalised UTC). */
export function fromZohoValue(field: ZohoField | undefined, raw: unknown): FieldValue {
  if (raw === null || raw === undefined || raw === '') return null;
  const type = field?.dataType;
  if (type === 'boolean') return typeof raw === 'boolean' ? raw : textOf(raw).toLowerCase() === 'true';
  if (type !== undefined && NUMERIC.has(type)) {
    const n = typeof raw === 'number' ? raw : Number(raw);
    return Number.isFinite(n) ? n : textOf(raw);
  }
  if (type === 'datetime' && typeof raw === 'string') {
    try {
      return normalizeInstant(raw);
    } catch {
      return raw;
    }
  }
  if (typeof raw === 'object') {
    const id = (raw as { id?: unknown }).id;
    return typeof id === 'string' ? id : JSON.stringify(raw);
  }
  return typeof raw === 'number' || typeof raw === 'boolean' ? raw : textOf(raw);
}

/** A FieldValue as REST JSON: null clears, datetimes as `yyyy-MM-ddTHH:mm:ss+00:00` (Zoho takes no milliseconds). */
export function toZohoJson(field: ZohoField | undefined, value: FieldValue): unknown {
  if (value === null || value === '') return null;
  if (field?.dataType === 'datetime') return zohoDateTime(String(value));
  if (field?.dataType !== undefined && NUMERIC.has(field.dataType) && typeof value === 'string') {
    const n = Number(value);
    return Number.isFinite(n) ? n : value;
  }
  if (field?.dataType === 'boolean' && typeof value === 'string') return value.toLowerCase() === 'true';
  return value;
}

/** The Bulk Write field mapping `format` tandem uses for a data type (dates and datetimes as ISO 8601). */
export function bulkFormat(field: ZohoField | undefined): string | undefined {
  if (field?.dataType === 'date') return 'yyyy-MM-dd';
  if (field?.dataType === 'datetime') return "yyyy-MM-dd'T'HH:mm:ssXXX";
  return undefined;
}

/** A FieldValue as a Bulk Write CSV cell (never called with null: clears go through REST). */
export function toZohoCsv(field: ZohoField | undefined, value: FieldValue): string {
  if (value === null) return '';
  if (field?.dataType === 'datetime') return zohoDateTime(String(value));
  return typeof value === 'string' ? value : String(value);
}

function zohoDateTime(text: string): string {
  try {
    return `${normalizeInstant(text).slice(0, 19)}+00:00`;
  } catch {
    return text;
  }
}
