import type { FieldValue, Fields } from '../model/record.js';

/** A field's value in a record; an absent field counts as null. */
export function valueOf(fields: Fields | null | undefined, field: string): FieldValue {
  if (!fields) return null;
  const value = fields[field];
  return value === undefined ? null : value;
}

/** Whether two canonical values are the same. Canonical values are already normalised by the mapping. */
export function sameValue(a: FieldValue, b: FieldValue): boolean {
  if (a === b) return true;
  // NaN never reaches here in practice, but the canonical form must still be an equivalence.
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  return false;
}
