import { isEmptyValue } from './compare-values.js';
import type { FieldStrategy } from './field-strategy.js';
import { formatValue } from './format-value.js';
import { latestWinsField } from './latest-wins.js';

/**
 * Field strategy: when one side is empty (null or blank) and the other is not, the non-empty value wins; a
 * deliberate clear on one side therefore loses to the other side's value. When both hold a value, `otherwise`
 * decides (default latest-wins).
 *
 * @example
 * ```ts
 * preferNonEmpty(sideWins('crm')) // erp null vs crm "+33 1 23": crm; erp "a" vs crm "b": crm
 * ```
 */
export function preferNonEmpty(otherwise: FieldStrategy = latestWinsField()): FieldStrategy {
  return {
    name: 'prefer-non-empty',
    decideField: (context) => {
      const { erp, crm } = context;
      const erpEmpty = isEmptyValue(erp);
      const crmEmpty = isEmptyValue(crm);
      if (erpEmpty !== crmEmpty) {
        const side = erpEmpty ? 'crm' : 'erp';
        return {
          take: side,
          reason: `${side} holds the only non-empty value (erp ${formatValue(erp)} vs crm ${formatValue(crm)})`,
        };
      }
      const fallback = otherwise.decideField(context);
      return {
        ...fallback,
        reason: `both sides are ${erpEmpty ? 'empty' : 'non-empty'}, so ${otherwise.name} decides: ${fallback.reason}`,
      };
    },
  };
}
