import type { Fields } from '../model/record.js';

/** jsonb comes back parsed from pg and PGlite alike; this narrows it to Fields. */
export function asFields(value: unknown): Fields | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return JSON.parse(value) as Fields;
  return value as Fields;
}

export function toJson(value: unknown): string {
  return JSON.stringify(value);
}

export function toJsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}
