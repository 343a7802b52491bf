import { compareFieldValues, isEmptyValue } from './compare-values.js';
import type { FieldStrategy } from './field-strategy.js';
import { formatValue } from './format-value.js';

/** Shared body of `maxValue` and `minValue`. */
export function extremeValue(which: 'max' | 'min', otherwise: FieldStrategy): FieldStrategy {
  const word = which === 'max' ? 'larger' : 'smaller';
  return {
    name: which,
    decideField: (context) => {
      const { erp, crm } = context;
      const values = `erp ${formatValue(erp)} vs crm ${formatValue(crm)}`;
      if (isEmptyValue(erp) !== isEmptyValue(crm)) {
        const side = isEmptyValue(erp) ? 'crm' : 'erp';
        return { take: side, reason: `${side} holds the only non-empty value (${values})` };
      }
      const order = compareFieldValues(erp, crm);
      if (order === undefined) {
        const fallback = otherwise.decideField(context);
        return {
          ...fallback,
          reason: `${values} cannot be compared as numbers or dates, so ${otherwise.name} decides: ${fallback.reason}`,
        };
      }
      if (order === 0)
        return {
          take: 'erp',
          reason: `${values} are equal as ${which === 'max' ? 'numbers or dates' : 'numbers or dates'}; ties go to erp`,
        };
      const side = order > 0 === (which === 'max') ? 'erp' : 'crm';
      return { take: side, reason: `${side} holds the ${word} value (${values})` };
    },
  };
}
