/* One parser of the `Retry-After` header (RFC 9110 10.2.3) for every connector. No maintained npm package does only
   this (undici's RetryHandler parses it internally but does not export it). */

/**
 * Milliseconds a `Retry-After` header asks to wait: delta-seconds (`120`) or an HTTP date. Undefined when the header
 * is missing or unreadable; never negative.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
