import type { ConflictResolver } from '../model/conflict-resolver.js';
import { existenceStrategy } from './existence-strategy.js';
import type { FieldStrategy } from './field-strategy.js';
import { formatValue } from './format-value.js';
import { strategyResolver } from './strategy-resolver.js';

/** Field strategy: a person decides; the field waits in the conflict queue and both sides keep their values. */
export function manualField(): FieldStrategy {
  return {
    name: 'manual',
    decideField: ({ field, erp, crm }) => ({
      take: 'manual',
      reason: `${field} changed on both sides (erp ${formatValue(erp)} vs crm ${formatValue(crm)}); a person decides`,
    }),
  };
}

/**
 * Every conflict waits for a person: each conflicting field and every delete-versus-change.
 *
 * @example
 * ```ts
 * const plan = planRecord(input, manual()) // plan.queued lists the conflicting fields
 * ```
 */
export function manual(): ConflictResolver {
  return strategyResolver({ name: 'manual', field: manualField(), existence: existenceStrategy('manual') });
}
