import { compareInstants } from './instant.js';

/**
 * How far a side's changes have been captured. Owned by the Source that produced it; the engine stores it and
 * only ever moves it forward.
 *
 * - `cursor`: a (modifiedAt, id) pair. Rows are read in ascending (modifiedAt, id) order, so rows that share one
 *   timestamp are told apart by id and never skipped.
 * - `log`: a position in a change log (a changelog table's sequence, a replication LSN), compared as an integer.
 */
export type Watermark =
  | { readonly kind: 'cursor'; readonly modifiedAt: string; readonly id: string }
  | { readonly kind: 'log'; readonly position: string };

/** Negative when a < b, 0 when equal, positive when a > b. Watermarks of different kinds are not comparable. */
export function compareWatermarks(a: Watermark, b: Watermark): number {
  if (a.kind === 'cursor' && b.kind === 'cursor') {
    const byTime = compareInstants(a.modifiedAt, b.modifiedAt);
    if (byTime !== 0) return byTime;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  }
  if (a.kind === 'log' && b.kind === 'log') {
    const x = BigInt(a.position);
    const y = BigInt(b.position);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  throw new TypeError(`cannot compare a ${a.kind} watermark with a ${b.kind} watermark`);
}

/** The later of two watermarks (a when equal). `undefined` counts as the very beginning. */
export function laterWatermark(a: Watermark | undefined, b: Watermark | undefined): Watermark | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareWatermarks(b, a) > 0 ? b : a;
}
