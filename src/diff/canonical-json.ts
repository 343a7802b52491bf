import { stringify } from 'safe-stable-stringify';
import type { Fields } from '../model/record.js';

/**
 * JSON with keys sorted (safe-stable-stringify), so equal records give equal text whatever order their fields were
 * built in (Nango hashes `JSON.stringify`, which depends on key order; this does not). Absent and null fields are the
 * same thing in tandem, so null fields are left out. Field values are scalars, so the text is exactly what the former
 * hand-written version produced.
 */
export function canonicalJson(fields: Fields): string {
  // fromEntries defines own properties, so a field named `__proto__` is kept like any other.
  const present = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null && v !== undefined));
  return stringify(present) ?? '{}';
}

/** Whether two records hold the same fields (absent = null). */
export function sameRecord(a: Fields | null, b: Fields | null): boolean {
  if (a === null || b === null) return a === b;
  return canonicalJson(a) === canonicalJson(b);
}
