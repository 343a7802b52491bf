/**
 * Conflict policies usable without a file, by name, in a mapping's `policy:` and in `tandem policy test|diff`.
 * tandem.yaml's schema and `resolverForMapping` both read this one list.
 */
export const BUILTIN_POLICIES = Object.freeze(['latest-wins', 'erp-wins', 'crm-wins', 'manual'] as const);
export type BuiltinPolicyName = (typeof BUILTIN_POLICIES)[number];

/** True when `policy` names a built-in policy rather than a file. */
export function isBuiltinPolicy(policy: string): policy is BuiltinPolicyName {
  return (BUILTIN_POLICIES as readonly string[]).includes(policy);
}
