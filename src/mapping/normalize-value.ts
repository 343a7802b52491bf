import type { FieldType } from '../config/tandem-config.js';
import { normalizeInstant } from '../model/instant.js';
import type { FieldValue } from '../model/record.js';

/**
 * Coerces a native value to the canonical form of `type`, so the same value read from either side compares equal
 * (Salesforce's `9.12260031E8` and Postgres' `912260031.00` are both 912260031). Normal forms:
 *
 * - every type: null stays null; the empty string is null (Salesforce's CSV cannot tell them apart).
 * - `string`: a non-empty string (numbers and booleans are written out: `42`, `true`).
 * - `number`: a finite number, never -0. `integer`: a safe integer.
 * - `boolean`: true | false, read from true/false, t/f, yes/no, y/n, on/off, 1/0 (any case).
 * - `date`: `YYYY-MM-DD` (a datetime's date part as written).
 * - `datetime`: `normalizeInstant`'s `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
 *
 * A value that does not read as its type is kept as its text (`'0x10'`, `'2024-02-30'`, `false` -> `'false'`): the
 * target side then accepts or rejects it per record, rather than the mapping failing the batch; text survives
 * Salesforce's CSV unchanged, so such a value still compares equal when read back. Idempotent.
 *
 * @example
 * ```ts
 * normalizeValue('number', '9.12260031E8') // 912260031
 * normalizeValue('boolean', 't')            // true
 * normalizeValue('string', '')              // null
 * ```
 */
export function normalizeValue(type: FieldType, value: FieldValue): FieldValue {
  if (value === null || value === '') return null;
  switch (type) {
    case 'string':
      return String(value);
    case 'number': {
      const n = toNumber(value);
      return n === undefined ? String(value) : n;
    }
    case 'integer': {
      const n = toNumber(value);
      return n !== undefined && Number.isSafeInteger(n) ? n : String(value);
    }
    case 'boolean':
      return toBoolean(value) ?? String(value);
    case 'date':
      return toDate(String(value)) ?? String(value);
    case 'datetime':
      try {
        return normalizeInstant(String(value));
      } catch {
        return String(value);
      }
  }
}

// Decimal or scientific notation only: Number() would also take '0x10', ' ', 'Infinity'.
const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

function toNumber(value: string | number | boolean): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value + 0 : undefined; // + 0 turns -0 into 0
  if (typeof value !== 'string' || !NUMERIC.test(value.trim())) return undefined;
  const n = Number(value.trim());
  return Number.isFinite(n) ? n + 0 : undefined;
}

const TRUE = new Set(['true', 't', 'yes', 'y', 'on', '1']);
const FALSE = new Set(['false', 'f', 'no', 'n', 'off', '0']);

function toBoolean(value: string | number | boolean): boolean | undefined {
  if (typeof value === 'boolean') return value;
  const text = String(value).trim().toLowerCase();
  return TRUE.has(text) ? true : FALSE.has(text) ? false : undefined;
}

function toDate(text: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/.exec(text.trim());
  if (m === null) return undefined;
  const [, y, mo, d] = m;
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  // Date.UTC rolls 2024-02-30 over to March: such a date is not one.
  if (date.getUTCMonth() !== Number(mo) - 1 || date.getUTCDate() !== Number(d)) return undefined;
  return `${y}-${mo}-${d}`;
}
