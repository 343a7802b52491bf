import type { FieldStrategy } from './field-strategy.js';
import { extremeValue } from './extreme-value.js';
import { latestWinsField } from './latest-wins.js';

/**
 * Field strategy: the smaller value wins (numbers, numeric strings, dates, datetimes), e.g. the earliest
 * `customer_since`. An empty side loses to a non-empty one. Equal values go to erp; values that cannot be compared
 * fall to `otherwise` (default latest-wins).
 */
export function minValue(otherwise: FieldStrategy = latestWinsField()): FieldStrategy {
  return extremeValue('min', otherwise);
}
