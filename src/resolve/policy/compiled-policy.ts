import type { Condition } from './policy-condition.js';
import type { ExistenceStrategy, FieldStrategy } from '../field-strategy.js';

/** A rule ready to run: its strategy, its conditions, and the reference decisions carry as `rule`. */
export interface CompiledRule {
  /** e.g. `conflict-rules/account.yaml:14 fields.credit_limit[0] (erp-wins when erp.status is "active")`. */
  readonly ref: string;
  readonly strategy: FieldStrategy;
  /** All must hold; empty means the rule always applies. */
  readonly conditions: readonly Condition[];
}

/** A validated policy file, compiled to strategies. Plain data plus pure functions. */
export interface CompiledPolicy {
  readonly file: string;
  /** The content hash, with the admin's label when there is one: `v3@3f2a9c1d` or `3f2a9c1d`. */
  readonly version: string;
  readonly object: string | undefined;
  readonly defaultRule: CompiledRule | undefined;
  readonly existence: { readonly ref: string; readonly strategy: ExistenceStrategy };
  /** Rules per canonical field, tried in order. */
  readonly fields: ReadonlyMap<string, readonly CompiledRule[]>;
}
