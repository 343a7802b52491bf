/** Median, min and max of one measured figure over a scenario's runs. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

/**
 * Summarises repeated measurements (the median of an even count is the mean of the two middle values).
 *
 * @example
 * ```ts
 * summarize([3, 1, 2]) // { median: 2, min: 1, max: 3, runs: 3 }
 * ```
 */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError('summarize: no values (a scenario ran zero times)');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: sorted.length };
}

/** `a / b` of two medians; NaN when the baseline is 0. */
export function ratio(a: Summary, b: Summary): number {
  return b.median === 0 ? Number.NaN : a.median / b.median;
}
