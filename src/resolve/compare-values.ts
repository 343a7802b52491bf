import type { FieldValue } from '../model/record.js';
import { compareInstants } from '../model/instant.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}/;
const NUMERIC = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** Whether a value counts as empty: null, or a string of only whitespace. */
export function isEmptyValue(value: FieldValue): boolean {
  return value === null || (typeof value === 'string' && value.trim() === '');
}

/**
 * Orders two non-empty values of the same kind: numbers (also numeric strings such as decimals), dates
 * (`YYYY-MM-DD`) and datetimes (ISO-8601, compared as instants). Undefined when they are not comparable
 * (different kinds, free text, booleans).
 */
export function compareFieldValues(a: FieldValue, b: FieldValue): number | undefined {
  if (typeof a === 'number' && typeof b === 'number')
    return Number.isNaN(a) || Number.isNaN(b) ? undefined : Math.sign(a - b);
  if (typeof a !== 'string' && typeof a !== 'number') return undefined;
  if (typeof b !== 'string' && typeof b !== 'number') return undefined;
  const sa = String(a);
  const sb = String(b);
  if (NUMERIC.test(sa) && NUMERIC.test(sb)) return Math.sign(Number(sa) - Number(sb));
  if (typeof a === 'number' || typeof b === 'number') return undefined;
  if (DATE.test(sa) && DATE.test(sb)) return sa < sb ? -1 : sa > sb ? 1 : 0;
  if (DATETIME.test(sa) && DATETIME.test(sb)) {
    try {
      return compareInstants(sa, sb);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
