import type { Fields } from '../model/record.js';
import { canonicalJson } from '../diff/canonical-json.js';
import { storableJsonReplacer } from '../util/storable-text.js';

/** jsonb comes back parsed from pg and PGlite alike; this narrows it to Fields. */
export function asFields(value: unknown): Fields | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return JSON.parse(value) as Fields;
  return value as Fields;
}

/**
 * JSON text for a jsonb column. jsonb cannot hold U+0000: a string value with one is stored with the visible
 * escape `\u0000` instead (storableText), so an error message or reason never makes its own recording fail.
 */
export function toJson(value: unknown): string {
  const text = JSON.stringify(value);
  // JSON.stringify writes U+0000 as \u0000; an escaped backslash before "u0000" is "\\u0000" and comes here too,
  // which only costs a second (equally correct) pass.
  return text.includes('\\u0000') ? JSON.stringify(value, storableJsonReplacer) : text;
}

export function toJsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : toJson(value);
}

/** A record serialised once: its canonical JSON (comparisons) and the JSON text its jsonb column stores. */
export interface RecordJson {
  readonly canonical: string;
  readonly stored: string;
}

/**
 * `fields` serialised once. The canonical text (keys sorted, null fields left out: diff/canonical-json.ts) is also
 * what jsonb stores when it stands for the same value: no null field (jsonb keeps them) and no U+0000 (jsonb refuses
 * it; toJson makes it storable). jsonb does not keep key order, so the stored value is the same either way.
 */
export function recordJson(fields: Fields): RecordJson {
  const canonical = canonicalJson(fields);
  let complete = true;
  for (const value of Object.values(fields)) {
    if (value === null || value === undefined) {
      complete = false;
      break;
    }
  }
  return { canonical, stored: complete && !canonical.includes('\\u0000') ? canonical : toJson(fields) };
}
