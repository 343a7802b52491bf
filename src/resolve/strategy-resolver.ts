import type { Conflict, Decision, Resolution } from '../model/conflict.js';
import type { ConflictResolver } from '../model/conflict-resolver.js';
import { fieldContext, type ExistenceStrategy, type FieldStrategy } from './field-strategy.js';

export interface StrategyResolverOptions {
  /** The resolver's name, e.g. `latest-wins`. */
  readonly name: string;
  readonly field: FieldStrategy;
  readonly existence: ExistenceStrategy;
  /** Recorded in every Resolution; built-ins use `builtin:<name>`. */
  readonly policyVersion?: string;
}

/**
 * Lifts a field strategy and an existence strategy into a ConflictResolver: one decision per conflicting field,
 * or one existence decision. Each decision's `rule` is the strategy's name.
 *
 * @example
 * ```ts
 * const resolver = strategyResolver({ name: 'max', field: maxValue(), existence: existenceStrategy('keep') })
 * ```
 */
export function strategyResolver(options: StrategyResolverOptions): ConflictResolver {
  const policyVersion = options.policyVersion ?? `builtin:${options.name}`;
  return {
    name: options.name,
    resolve(conflict: Conflict): Resolution {
      if (conflict.kind !== 'fields') {
        const verdict = options.existence.decideExistence({
          conflict,
          deleter: conflict.kind === 'erp-deleted' ? 'erp' : 'crm',
        });
        return {
          policyVersion,
          decisions: [{ kind: 'existence', take: verdict.take, rule: options.existence.name, reason: verdict.reason }],
        };
      }
      const decisions: Decision[] = conflict.fields.map((field) => {
        const verdict = options.field.decideField(fieldContext(conflict, field));
        return verdict.take === 'value'
          ? {
              kind: 'field',
              field,
              take: 'value',
              value: verdict.value ?? null,
              rule: options.field.name,
              reason: verdict.reason,
            }
          : { kind: 'field', field, take: verdict.take, rule: options.field.name, reason: verdict.reason };
      });
      return { policyVersion, decisions };
    },
  };
}
