import type { FieldValue } from './record.js';

/**
 * A value a person typed for a field (`tandem conflicts resolve --set field=value`, the console's conflict form):
 * JSON when it parses as a JSON scalar (numbers, true, false, null, "quoted text"), the text as typed otherwise.
 */
export function parseFieldValueText(raw: string): FieldValue {
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed === null || typeof parsed === 'number' || typeof parsed === 'boolean' || typeof parsed === 'string')
      return parsed;
  } catch {
    // not JSON: plain text
  }
  return raw;
}
