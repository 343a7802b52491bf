import { createHash } from 'node:crypto';
import type { Fields } from '../model/record.js';

/**
 * JSON with keys sorted, so equal records give equal text whatever order their fields were built in (Nango hashes
 * `JSON.stringify`, which depends on key order; this does not). Absent and null fields are the same thing in
 * tandem, so null fields are left out.
 */
export function canonicalJson(fields: Fields): string {
  const keys = Object.keys(fields)
    .filter((k) => fields[k] !== null && fields[k] !== undefined)
    .sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (i > 0) out += ',';
    out += JSON.stringify(k) + ':' + JSON.stringify(fields[k]);
  }
  return out + '}';
}

/** A short, stable hash of a record's canonical fields (base32-ish hex, 16 chars). */
export function recordHash(fields: Fields): string {
  return createHash('sha256').update(canonicalJson(fields)).digest('hex').slice(0, 16);
}

/** Whether two records hold the same fields (absent = null). */
export function sameRecord(a: Fields | null, b: Fields | null): boolean {
  if (a === null || b === null) return a === b;
  return canonicalJson(a) === canonicalJson(b);
}
