import type { FieldValue } from '../model/record.js';
import type { FieldStrategy } from './field-strategy.js';
import { formatValue } from './format-value.js';

/** The items of a `;`-separated multi-value picklist, trimmed, blanks dropped. */
export function picklistItems(value: FieldValue): string[] {
  if (value === null) return [];
  return String(value)
    .split(';')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * Field strategy for multi-value picklists (`;`-separated): keeps every item either side added, sorted and
 * deduplicated, written to both sides. With a base, it is a three-way set merge: an item one side removed since the
 * base stays removed (otherwise a union would bring every removal back); without a base it is a plain union.
 * An empty result is null.
 *
 * @example
 * ```ts
 * // base "A;B", erp "A;B;C", crm "B;D"  ->  "B;C;D" (A removed by crm, C and D added)
 * ```
 */
export function picklistUnion(): FieldStrategy {
  return {
    name: 'union',
    decideField: ({ conflict, base, erp, crm }) => {
      const b = new Set(picklistItems(base));
      const e = new Set(picklistItems(erp));
      const c = new Set(picklistItems(crm));
      const keep = (item: string): boolean =>
        (e.has(item) && c.has(item)) || (e.has(item) && !b.has(item)) || (c.has(item) && !b.has(item));
      const merged = [...new Set([...e, ...c])].filter((item) => conflict.base === null || keep(item)).sort();
      const value = merged.length === 0 ? null : merged.join(';');
      const how = conflict.base === null ? 'union' : `three-way merge with base ${formatValue(base)}`;
      return {
        take: 'value',
        value,
        reason: `${how} of erp ${formatValue(erp)} and crm ${formatValue(crm)} is ${formatValue(value)}`,
      };
    },
  };
}
