import type { FieldValue } from '../model/record.js';

/** A field value as people read it in reasons and tables: strings quoted, null as `null`, absent as `(absent)`. */
export function formatValue(value: FieldValue | undefined): string {
  if (value === undefined) return '(absent)';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}
