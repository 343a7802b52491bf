import type { LatestWinsOptions } from '../latest-wins.js';
import type { PolicyFindings } from './policy-findings.js';
import type { PolicyField, PolicyMapping } from './policy-mapping.js';
import type { ResolverRegistry } from './resolver-registry.js';

/** What the compile steps of `analyzePolicy` share: where to report, the mapping's fields, custom strategies. */
export interface PolicyCompileContext {
  readonly findings: PolicyFindings;
  /** The mapping the file is checked against; null for a shared file no mapping uses yet. */
  readonly mapping: PolicyMapping | null;
  /** The mapping's fields by canonical name (empty without a mapping). */
  readonly mappedFields: ReadonlyMap<string, PolicyField>;
  readonly registry: ResolverRegistry | undefined;
  /** Every latest-wins in the file (rules, fallbacks, deletes): the file's tie-break and known clock skew. */
  readonly latest: LatestWinsOptions;
}
