import type { FieldDefinition } from './object-definition.js';

/**
 * How the store keeps a value: text types as strings, numbers as numbers, booleans as booleans, dates as
 * `YYYY-MM-DD` strings, datetimes as epoch milliseconds (whole seconds, as Salesforce stores them), null for empty.
 */
export type StoredValue = string | number | boolean | null;

/** A per-record failure as Salesforce reports it in `sf__Error`: `<StatusCode>:<message>:<fields> --`. */
export class RowError {
  constructor(
    readonly statusCode: string,
    readonly message: string,
    readonly fields: readonly string[] = [],
  ) {}
  /** The `sf__Error` column value. */
  toString(): string {
    return `${this.statusCode}:${this.message}:${this.fields.join(',')} --`;
  }
}

const DATETIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const INT_RE = /^[+-]?\d+$/;
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function validDate(y: number, m: number, d: number): boolean {
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

/** Parses an ISO-8601 datetime (offset or Z, optional seconds and fraction) to epoch ms; undefined if invalid. */
export function parseDatetime(text: string): number | undefined {
  const m = DATETIME_RE.exec(text);
  if (!m) return undefined;
  const [, ys, mos, ds, hs = '0', mis = '0', ss = '0', frac = '', zone = 'Z'] = m;
  const y = Number(ys),
    mo = Number(mos),
    d = Number(ds),
    h = Number(hs),
    mi = Number(mis),
    s = Number(ss);
  if (!validDate(y, mo, d) || h > 23 || mi > 59 || s > 59) return undefined;
  let ms = Date.UTC(y, mo - 1, d, h, mi, s) + Number((frac + '000').slice(0, 3));
  if (zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2)),
      om = Number(digits.slice(2) || '0');
    if (oh > 23 || om > 59) return undefined;
    ms -= sign * (oh * 60 + om) * 60_000;
  }
  return ms;
}

/** Formats a stored datetime as the APIs return it: `2024-01-15T10:30:00.000Z`. */
export function formatDatetime(ms: number): string {
  return new Date(ms).toISOString();
}

/** Java's Double.toString, which Salesforce uses when it echoes doubles: `100.0`, `9.12260031E8`. */
export function javaDoubleString(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(n);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa = '0', exponent = '0'] = n.toExponential().split('e');
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

function typeError(field: FieldDefinition, raw: string): RowError {
  return new RowError('INVALID_TYPE_ON_FIELD_IN_RECORD', `${field.label}: value not of required type: ${raw}`, [
    field.name,
  ]);
}

/**
 * Parses one CSV input value (not empty, not `#N/A`; callers handle those) for a field, or returns the RowError
 * Salesforce would report for it. Never throws.
 */
export function parseFieldValue(field: FieldDefinition, raw: string): StoredValue | RowError {
  switch (field.type) {
    case 'boolean': {
      const v = raw.toLowerCase();
      if (v === 'true' || v === '1') return true;
      if (v === 'false' || v === '0') return false;
      return typeError(field, raw);
    }
    case 'int':
      if (!INT_RE.test(raw)) return typeError(field, raw);
      return Number(raw);
    case 'double':
    case 'currency':
    case 'percent':
      if (!NUMBER_RE.test(raw)) return typeError(field, raw);
      return Number(raw);
    case 'date': {
      const m = DATE_RE.exec(raw);
      if (m && validDate(Number(m[1]), Number(m[2]), Number(m[3]))) return raw;
      const dt = parseDatetime(raw);
      if (dt === undefined) return typeError(field, raw);
      return formatDatetime(dt).slice(0, 10);
    }
    case 'datetime': {
      const ms = parseDatetime(raw);
      if (ms === undefined) return typeError(field, raw);
      return Math.floor(ms / 1000) * 1000;
    }
    case 'email':
      if (raw.length > field.length) return tooLong(field, raw);
      if (!EMAIL_RE.test(raw)) {
        return new RowError('INVALID_EMAIL_ADDRESS', `${field.label}: invalid email address: ${raw}`, [field.name]);
      }
      return raw;
    case 'picklist':
      if (field.restrictedPicklist && !field.picklistValues.includes(raw)) {
        return new RowError(
          'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
          `${field.label}: bad value for restricted picklist field: ${raw}`,
          [field.name],
        );
      }
      return raw.length > field.length ? tooLong(field, raw) : raw;
    default:
      return raw.length > field.length && field.length > 0 ? tooLong(field, raw) : raw;
  }
}

function tooLong(field: FieldDefinition, raw: string): RowError {
  const shown = raw.length > 100 ? `${raw.slice(0, 100)}(truncated)` : raw;
  return new RowError(
    'STRING_TOO_LONG',
    `${field.label}: data value too large: ${shown} (max length=${field.length})`,
    [field.name],
  );
}

/** Accepts a JS value from the in-process store API or the admin API, converting as a CRM UI would. */
export function coerceFieldValue(field: FieldDefinition, value: unknown): StoredValue | RowError {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number') {
    if (['int', 'double', 'currency', 'percent'].includes(field.type)) {
      if (field.type === 'int' && !Number.isInteger(value)) return typeError(field, String(value));
      return value;
    }
    if (field.type === 'datetime') return Math.floor(value / 1000) * 1000;
    return parseFieldValue(field, String(value));
  }
  if (typeof value === 'boolean') {
    return field.type === 'boolean' ? value : typeError(field, String(value));
  }
  if (typeof value === 'string') return parseFieldValue(field, value);
  return typeError(field, JSON.stringify(value));
}

/** Formats a stored value for CSV output (query results, result echoes). Null is ''. */
export function formatFieldValue(field: FieldDefinition, value: StoredValue): string {
  if (value === null) return '';
  switch (field.type) {
    case 'datetime':
      return formatDatetime(value as number);
    case 'double':
    case 'currency':
    case 'percent':
      return javaDoubleString(value as number);
    default:
      return String(value);
  }
}

/** Formats a stored value for JSON (admin API, in-process store): datetimes as ISO strings, rest as is. */
export function jsonFieldValue(field: FieldDefinition, value: StoredValue): StoredValue {
  if (value !== null && field.type === 'datetime') return formatDatetime(value as number);
  return value;
}
