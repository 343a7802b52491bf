/** Conflict resolution: built-in strategies, policy files, checks, explanations and policy diffs. */
export type { ConflictResolver } from './conflict-resolver.js';
export type {
  ExistenceContext,
  ExistenceStrategy,
  ExistenceVerdict,
  FieldContext,
  FieldStrategy,
  FieldVerdict,
} from './field-strategy.js';
export { latestWins, latestWinsField, latestWinsExistence, laterSide, type LatestWinsOptions } from './latest-wins.js';
export { sourceOfTruth, sideWins, type SourceOfTruthOptions } from './source-of-truth.js';
export { preferNonEmpty } from './prefer-non-empty.js';
export { maxValue } from './max-value.js';
export { minValue } from './min-value.js';
export { picklistUnion, picklistItems } from './picklist-union.js';
export { manual, manualField } from './manual.js';
export { existenceStrategy, EXISTENCE_POLICIES, type ExistencePolicyName } from './existence-strategy.js';
export { strategyResolver, type StrategyResolverOptions } from './strategy-resolver.js';
export { ResolverRegistry, registerResolver, BUILTIN_STRATEGIES, type StrategyFactory } from './resolver-registry.js';
export type { PolicyField, PolicyMapping, PolicyWarning } from './policy-mapping.js';
export { analyzePolicy, policyHash, type PolicyAnalysis } from './analyze-policy.js';
export { loadPolicyFile, formatIssues, type LoadedPolicy, type LoadPolicyOptions } from './load-policy-file.js';
export { resolverForMapping, BUILTIN_POLICIES } from './resolver-for-mapping.js';
export { checkPolicyFiles, type PolicyCheckReport } from './check-policy-files.js';
export { explainRecord, type Explanation, type FieldExplanation } from './explain-record.js';
export { renderExplanation } from './render-explanation.js';
export { diffPolicies, type PolicyDiff, type PolicyDiffExample } from './diff-policies.js';
export { renderPolicyDiff } from './render-policy-diff.js';
