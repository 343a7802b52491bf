import { closestNames, type SchemaProblem } from '../schema-problem.js';
import { normalizeInstant } from '../../model/instant.js';
import type { FieldValue } from '../../model/record.js';
import type { StreamRef } from '../../model/stream.js';
import { ZohoSchemaError } from './zoho-errors.js';
import { textOf } from '../../util/text-of.js';

/** A field as Zoho's fields metadata reports it (the part tandem uses). */
export interface ZohoField {
  readonly apiName: string;
  /** The field's label in Zoho's UI (`Billing City`); the API name when the metadata has none. */
  readonly label: string;
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
        label: typeof f['field_label'] === 'string' ? f['field_label'] : f['api_name'],
        dataType: typeof f['data_type'] === 'string' ? f['data_type'] : 'text',
        readOnly: f['read_only'] === true || f['field_read_only'] === true,
        unique: unique !== null && typeof unique === 'object' && Object.keys(unique).length > 0,
        mandatory: f['system_mandatory'] === true,
        length: typeof f['length'] === 'number' ? f['length'] : undefined,
      },
    ];
  });
}

const NUMERIC_TYPES = ['integer', 'bigint', 'double', 'currency', 'decimal', 'percent', 'long'];
const TEXT_TYPES = ['text', 'textarea', 'email', 'phone', 'website', 'picklist', 'autonumber'];

/** Whether a Zoho field of this data type can hold a mapped field's canonical values. */
export function zohoTypeFits(canonical: string, dataType: string): boolean {
  switch (canonical) {
    case 'number':
    case 'integer':
      return NUMERIC_TYPES.includes(dataType) || TEXT_TYPES.includes(dataType);
    case 'boolean':
      return dataType === 'boolean' || TEXT_TYPES.includes(dataType);
    case 'date':
      return dataType === 'date' || dataType === 'datetime' || TEXT_TYPES.includes(dataType);
    case 'datetime':
      return dataType === 'datetime' || TEXT_TYPES.includes(dataType);
    default:
      // Text travels to any field as its value; Zoho refuses a bad one per record.
      return true;
  }
}

/**
 * Every way a stream does not fit the module's fields, at once: each missing field (with the three closest API
 * names), a key field that is not unique (Zoho's `find_by` and `duplicate_check_fields` take only unique fields), a
 * type that cannot hold the mapped values, a read-only field tandem writes (the key included), no Modified_Time.
 */
export function streamFieldProblems(stream: StreamRef, fields: readonly ZohoField[]): SchemaProblem[] {
  const byName = new Map(fields.map((f) => [f.apiName, f]));
  const names = fields.map((f) => f.apiName).sort();
  const problems: SchemaProblem[] = [];
  const written = new Set([stream.keyField, ...(stream.writtenFields ?? stream.fields)]);
  for (const name of new Set([stream.keyField, ...stream.fields])) {
    const field = byName.get(name);
    if (field === undefined) {
      const closest = closestNames(name, names);
      problems.push({
        kind: 'missing-field',
        field: name,
        closest,
        message:
          `Zoho module ${stream.entity} has no field '${name}'${name === stream.keyField ? ' (the key field)' : ''}; closest: ${closest.join(', ')}. ` +
          'Use the field API name (Setup > Developer Hub > APIs > API names).',
      });
      continue;
    }
    if (name === stream.keyField && !field.unique) {
      const uniques = fields.filter((f) => f.unique).map((f) => f.apiName);
      problems.push({
        kind: 'not-unique',
        field: name,
        message:
          `the key field ${stream.entity}.${name} is not unique in Zoho; Bulk Write's find_by and REST upsert's duplicate_check_fields need a field marked "Do not allow duplicate values". ` +
          `Unique fields: ${uniques.length > 0 ? uniques.join(', ') : '(none)'}.`,
      });
    }
    const type = stream.fieldTypes?.[name];
    if (type !== undefined && !zohoTypeFits(type, field.dataType))
      problems.push({
        kind: 'type-mismatch',
        field: name,
        message: `${stream.entity}.${name} is a ${field.dataType} field, which cannot hold the mapping's type: ${type} values. Fix the field's type: in tandem.yaml, or map another field.`,
      });
    if (written.has(name) && field.readOnly)
      problems.push({
        kind: 'read-only',
        field: name,
        message: `${stream.entity}.${name} is read-only in Zoho, and tandem writes it. Fix: set direction: crm-to-erp on that field in tandem.yaml, or map a writable field.`,
      });
  }
  if (!byName.has('Modified_Time'))
    problems.push({
      kind: 'other',
      message: `${stream.entity} has no Modified_Time field, which incremental reads need.`,
    });
  return problems;
}

/**
 * Checks a stream against the module's fields (streamFieldProblems) and throws ZohoSchemaError (exit 2) carrying
 * every problem in `context.problems`. Returns the fields by API name.
 */
export function checkStreamFields(stream: StreamRef, fields: readonly ZohoField[]): ReadonlyMap<string, ZohoField> {
  const problems = streamFieldProblems(stream, fields);
  const first = problems[0];
  if (first !== undefined) {
    throw new ZohoSchemaError(`stream '${stream.name}': ${problems.map((p) => p.message).join('\n  also: ')}`, {
      stream: stream.name,
      module: stream.entity,
      ...(first.field === undefined ? {} : { field: first.field }),
      ...(first.closest === undefined ? {} : { closest: first.closest }),
      problems,
    });
  }
  return new Map(fields.map((f) => [f.apiName, f]));
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
