/**
 * The text of a value read from an untyped boundary (a JSON body, a CSV cell, a query string): strings as they are,
 * primitives as `String()` writes them, objects and arrays as JSON (never "[object Object]").
 */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
