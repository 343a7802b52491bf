import type { ZohoFieldDefinition } from './zoho-module-definition.js';
import { ZohoRecordError } from './zoho-emulator-errors.js';

/** A stored field value: text, number, boolean, a date (`yyyy-MM-dd`), a datetime as epoch seconds, or null. */
export type StoredValue = string | number | boolean | null;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const US_DATE = /^(\d{2})\/(\d{2})\/(\d{4})$/;
const US_DATETIME = /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2})$/;
const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const DEFAULT_TEXT_LENGTH = 255;

/** `+05:30` -> 330. */
export function offsetMinutes(offset: string): number {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(offset);
  if (!m) throw new TypeError(`offset must look like +05:30, got ${offset}`);
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/** Epoch seconds -> `yyyy-MM-ddTHH:mm:ss+hh:mm` in the given offset (Zoho's DateTime format, no milliseconds). */
export function formatZohoDateTime(epochSeconds: number, offset: string): string {
  const local = new Date((epochSeconds + offsetMinutes(offset) * 60) * 1000).toISOString().slice(0, 19);
  return `${local}${offset}`;
}

/** ISO 8601 with an offset (or Z) -> epoch seconds; undefined when the text is not one. */
export function parseIsoDateTime(text: string): number | undefined {
  const m = ISO_DATETIME.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, zone = 'Z'] = m;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) / 1000;
  return zone === 'Z' ? utc : utc - offsetMinutes(zone) * 60;
}

function invalid(field: ZohoFieldDefinition, expected: string, extra: Record<string, unknown> = {}): ZohoRecordError {
  return new ZohoRecordError('INVALID_DATA', 'invalid data', {
    api_name: field.api_name,
    expected_data_type: expected,
    ...extra,
  });
}

/** A value from a REST JSON body, checked and converted to its stored form. */
export function valueFromJson(field: ZohoFieldDefinition, value: unknown): StoredValue {
  if (value === null || value === undefined || value === '') return null;
  switch (field.data_type) {
    case 'text':
    case 'textarea':
    case 'phone':
    case 'picklist':
    case 'email': {
      if (typeof value !== 'string') throw invalid(field, field.data_type);
      return checkText(field, value);
    }
    case 'integer':
    case 'bigint':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(field, field.data_type);
      return value;
    case 'double':
    case 'currency':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(field, field.data_type);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw invalid(field, 'boolean');
      return value;
    case 'date':
      if (typeof value !== 'string' || !validDate(value)) throw invalid(field, 'date');
      return value;
    case 'datetime': {
      const seconds = typeof value === 'string' ? parseIsoDateTime(value) : undefined;
      if (seconds === undefined) throw invalid(field, 'datetime');
      return seconds;
    }
  }
}

/**
 * A bulk-write CSV cell, checked and converted. `format` is the field mapping's: Date defaults to `MM/dd/yyyy` and
 * DateTime to `MM/dd/yyyy HH:mm:ss` (in the org's offset); `yyyy-MM-dd` and `yyyy-MM-dd'T'HH:mm:ssXXX` are accepted
 * when the mapping names them.
 */
export function valueFromCsv(
  field: ZohoFieldDefinition,
  cell: string,
  format: string | null | undefined,
  orgOffset: string,
): StoredValue {
  if (cell === '') return null;
  switch (field.data_type) {
    case 'integer':
    case 'bigint': {
      if (!/^-?\d+$/.test(cell.trim())) throw invalid(field, field.data_type);
      return Number(cell);
    }
    case 'double':
    case 'currency': {
      const n = Number(cell);
      if (cell.trim() === '' || !Number.isFinite(n)) throw invalid(field, field.data_type);
      return n;
    }
    case 'boolean': {
      const lower = cell.trim().toLowerCase();
      if (lower !== 'true' && lower !== 'false') throw invalid(field, 'boolean');
      return lower === 'true';
    }
    case 'date': {
      if (format === 'yyyy-MM-dd') {
        if (!validDate(cell)) throw invalid(field, 'date', { format });
        return cell;
      }
      const m = US_DATE.exec(cell);
      const iso = m ? `${m[3]}-${m[1]}-${m[2]}` : '';
      if (!validDate(iso)) throw invalid(field, 'date', { format: format ?? 'MM/dd/yyyy' });
      return iso;
    }
    case 'datetime': {
      if (format === "yyyy-MM-dd'T'HH:mm:ssXXX") {
        const seconds = parseIsoDateTime(cell);
        if (seconds === undefined) throw invalid(field, 'datetime', { format });
        return seconds;
      }
      const m = US_DATETIME.exec(cell);
      if (!m) throw invalid(field, 'datetime', { format: format ?? 'MM/dd/yyyy HH:mm:ss' });
      const seconds = parseIsoDateTime(`${m[3]}-${m[1]}-${m[2]}T${m[4]}:${m[5]}:${m[6]}${orgOffset}`);
      if (seconds === undefined) throw invalid(field, 'datetime');
      return seconds;
    }
    default:
      return checkText(field, cell);
  }
}

/** A stored value as REST JSON returns it. */
export function valueToJson(field: ZohoFieldDefinition, value: StoredValue, orgOffset: string): unknown {
  if (value === null) return null;
  if (field.data_type === 'datetime' && typeof value === 'number') return formatZohoDateTime(value, orgOffset);
  return value;
}

/** A stored value as a bulk-read CSV cell (ISO 8601 for DateTime, true/false for booleans, '' for null). */
export function valueToCsv(field: ZohoFieldDefinition, value: StoredValue, orgOffset: string): string {
  if (value === null) return '';
  if (field.data_type === 'datetime' && typeof value === 'number') return formatZohoDateTime(value, orgOffset);
  return String(value);
}

function checkText(field: ZohoFieldDefinition, value: string): string {
  const max = field.length ?? DEFAULT_TEXT_LENGTH;
  if (value.length > max) throw invalid(field, field.data_type, { maximum_length: max });
  if (field.data_type === 'email' && !EMAIL.test(value)) throw invalid(field, 'email');
  return value;
}

function validDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === text;
}
