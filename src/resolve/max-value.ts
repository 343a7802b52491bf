import type { FieldStrategy } from './field-strategy.js';
import { extremeValue } from './extreme-value.js';
import { latestWinsField } from './latest-wins.js';

/**
 * Field strategy: the larger value wins (numbers, numeric strings, dates, datetimes). An empty side loses to a
 * non-empty one. Equal values (e.g. the same instant written with two offsets) go to erp. Values that cannot be
 * compared (free text, mixed kinds) fall to `otherwise` (default latest-wins).
 *
 * @example
 * ```ts
 * fieldRules: employees -> maxValue()  // erp 120 vs crm 140: crm wins
 * ```
 */
export function maxValue(otherwise: FieldStrategy = latestWinsField()): FieldStrategy {
  return extremeValue('max', otherwise);
}
