import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers of every webhook delivery. */
export const SIGNATURE_HEADER = 'x-tandem-signature';
export const TIMESTAMP_HEADER = 'x-tandem-timestamp';
export const EVENT_HEADER = 'x-tandem-event';
export const DELIVERY_HEADER = 'x-tandem-delivery';

/**
 * The signature of one delivery: `v1=` and the hex HMAC-SHA256, keyed with the target's secret, of
 * `<timestamp>.<raw body>` (the timestamp is the X-Tandem-Timestamp header, Unix seconds). Signing the timestamp
 * with the body lets a receiver refuse replays of old deliveries.
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * What a receiver does (docs/operations.md shows the same in a few lines): recompute the signature over the raw
 * body, compare in constant time, and refuse a timestamp older than `toleranceSeconds`.
 */
export function verifyWebhook(
  secret: string,
  headers: { readonly signature: string | undefined; readonly timestamp: string | undefined },
  body: string,
  options: { readonly toleranceSeconds?: number; readonly now?: number } = {},
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!headers.signature || !Number.isInteger(timestamp)) return false;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(headers.signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
