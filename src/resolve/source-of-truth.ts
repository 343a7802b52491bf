import type { SystemId } from '../model/system.js';
import type { ConflictResolver } from '../model/conflict-resolver.js';
import { existenceStrategy, sideWinsExistence, type ExistencePolicyName } from './existence-strategy.js';
import type { FieldStrategy } from './field-strategy.js';
import { formatValue } from './format-value.js';
import { strategyResolver } from './strategy-resolver.js';

export interface SourceOfTruthOptions {
  /** The side that wins every field without its own entry, and existence unless `deletes` says otherwise. */
  readonly default: SystemId;
  /** Per-field winners, overriding `default`. */
  readonly fields?: Readonly<Record<string, SystemId>>;
  /** How delete-versus-change is decided; default: the `default` side's state wins. */
  readonly deletes?: ExistencePolicyName;
}

/** Field strategy: `side` always wins. */
export function sideWins(side: SystemId): FieldStrategy {
  return {
    name: `${side}-wins`,
    decideField: ({ erp, crm }) => ({
      take: side,
      reason: `${side} is the source of truth (erp ${formatValue(erp)} vs crm ${formatValue(crm)})`,
    }),
  };
}

/**
 * One side wins, for the whole object (`default`) and per field (`fields`).
 *
 * @example
 * ```ts
 * const resolver = sourceOfTruth({ default: 'erp', fields: { phone: 'crm', email: 'crm' } })
 * ```
 */
export function sourceOfTruth(options: SourceOfTruthOptions): ConflictResolver {
  const perField = options.fields ?? {};
  const winner = (field: string): SystemId => perField[field] ?? options.default;
  const name = Object.keys(perField).length === 0 ? `${options.default}-wins` : `source-of-truth(${options.default})`;
  const field: FieldStrategy = {
    name,
    decideField: (context) => sideWins(winner(context.field)).decideField(context),
  };
  const existence = options.deletes ? existenceStrategy(options.deletes) : sideWinsExistence(options.default);
  return strategyResolver({ name, field, existence });
}
