/**
 * Instants travel as ISO-8601 strings. JavaScript's Date keeps milliseconds only, but Postgres keeps microseconds
 * and a cursor must not lose them, so instants are compared on their text: normalised to UTC with nine fractional
 * digits.
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Epoch nanoseconds of an ISO-8601 instant (no offset means UTC). Throws a TypeError on anything else. */
export function instantToEpochNanos(text: string): bigint {
  const m = ISO.exec(text.trim());
  if (!m) throw new TypeError(`not an ISO-8601 instant: ${JSON.stringify(text)}`);
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
  const millis = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0'));
  }
  const nanosFraction = BigInt(frac.padEnd(9, '0'));
  return (BigInt(millis) - BigInt(offsetMinutes) * 60_000n) * 1_000_000n + nanosFraction;
}

/** Compares two ISO-8601 instants with sub-millisecond precision. */
export function compareInstants(a: string, b: string): number {
  const x = instantToEpochNanos(a);
  const y = instantToEpochNanos(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Normalises an instant to `YYYY-MM-DDTHH:MM:SS.ffffffZ` (microseconds, UTC), the form tandem stores. */
export function normalizeInstant(text: string): string {
  const nanos = instantToEpochNanos(text);
  const millis = nanos / 1_000_000n;
  const micros = (nanos / 1_000n) % 1_000_000n;
  const base = new Date(Number(millis)).toISOString().slice(0, 19);
  return `${base}.${micros.toString().padStart(6, '0')}Z`;
}
