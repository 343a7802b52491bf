import { normalizeInstant } from '../../model/instant.js';
import type { FieldValue } from '../../model/record.js';

/** A field as Salesforce's describe reports it (the part tandem uses). */
export interface SObjectField {
  readonly name: string;
  /** Describe type: `string`, `boolean`, `int`, `double`, `currency`, `percent`, `date`, `datetime`, `id`, `reference`... */
  readonly type: string;
  /** The describe attributes below are read when present (describe always sends them; tests may leave them out). */
  readonly label?: string;
  readonly createable?: boolean;
  readonly updateable?: boolean;
  readonly nillable?: boolean;
  readonly externalId?: boolean;
  readonly unique?: boolean;
  readonly calculated?: boolean;
  readonly defaultedOnCreate?: boolean;
}

const NUMERIC = new Set(['int', 'double', 'currency', 'percent', 'long']);

/**
 * Converts one value of a Bulk query result (CSV text) to a FieldValue by the field's describe type: empty is null,
 * booleans become booleans, numbers numbers (scientific notation included), datetimes normalised ISO-8601 UTC,
 * dates stay `YYYY-MM-DD`; everything else stays a string.
 */
export function fromCsvValue(type: string | undefined, raw: string): FieldValue {
  if (raw === '') return null;
  switch (type) {
    case 'boolean':
      return raw.toLowerCase() === 'true';
    case 'datetime':
      try {
        return normalizeInstant(raw);
      } catch {
        return raw;
      }
    default:
      if (type !== undefined && NUMERIC.has(type)) {
        const n = Number(raw);
        return Number.isFinite(n) ? n : raw;
      }
      return raw;
  }
}

/** The Bulk ingest CSV text of a value: `#N/A` sets null (an empty cell would leave the field alone). */
export function toCsvValue(value: FieldValue): string {
  if (value === null || value === '') return '#N/A';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot send ${value} to Salesforce: not a finite number`);
    return String(value);
  }
  return value;
}
