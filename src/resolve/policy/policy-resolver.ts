import type { Conflict, Decision, Resolution } from '../../model/conflict.js';
import type { ConflictResolver } from '../../model/conflict-resolver.js';
import type { CompiledPolicy, CompiledRule } from './compiled-policy.js';
import { fieldContext } from '../field-strategy.js';
import { conditionHolds, describeCondition } from './policy-condition.js';
import { formatValue } from '../format-value.js';
import { basename } from 'node:path';

function pickRule(policy: CompiledPolicy, field: string, conflict: Conflict): CompiledRule | undefined {
  for (const rule of policy.fields.get(field) ?? []) {
    if (rule.conditions.every((c) => conditionHolds(c, conflict))) return rule;
  }
  return policy.defaultRule;
}

/**
 * The ConflictResolver of a compiled policy: per conflicting field, the first rule whose conditions all hold, else
 * the default, else manual. Every decision names the file, line and rule, and the policy version.
 */
export function policyResolver(policy: CompiledPolicy): ConflictResolver {
  const policyVersion = policy.version;
  return {
    name: `policy:${basename(policy.file)}@${policy.version}`,
    resolve(conflict: Conflict): Resolution {
      if (conflict.kind !== 'fields') {
        const deleter = conflict.kind === 'erp-deleted' ? 'erp' : 'crm';
        const verdict = policy.existence.strategy.decideExistence({ conflict, deleter });
        return {
          policyVersion,
          decisions: [{ kind: 'existence', take: verdict.take, rule: policy.existence.ref, reason: verdict.reason }],
        };
      }
      const decisions = conflict.fields.map((field): Decision => {
        const rule = pickRule(policy, field, conflict);
        const context = fieldContext(conflict, field);
        if (!rule) {
          return {
            kind: 'field',
            field,
            take: 'manual',
            rule: `${policy.file}: no rule for ${field} and no default`,
            reason: `no rule covers ${field} (erp ${formatValue(context.erp)} vs crm ${formatValue(context.crm)}); a person decides`,
          };
        }
        const verdict = rule.strategy.decideField(context);
        const because =
          rule.conditions.length > 0
            ? ` (applies because ${rule.conditions.map(describeCondition).join(' and ')})`
            : '';
        const reason = `${verdict.reason}${because}`;
        return verdict.take === 'value'
          ? { kind: 'field', field, take: 'value', value: verdict.value ?? null, rule: rule.ref, reason }
          : { kind: 'field', field, take: verdict.take, rule: rule.ref, reason };
      });
      return { policyVersion, decisions };
    },
  };
}
