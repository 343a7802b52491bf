import { createHash } from 'node:crypto';
import type { LatestWinsOptions } from '../latest-wins.js';
import type { ConfigIssue } from '../../util/errors.js';
import type { CompiledPolicy } from './compiled-policy.js';
import { compileDefaultRule, compileExistence, compileFieldRules, warnUncoveredFields } from './compile-rules.js';
import { parsePolicyDocument } from './parse-policy-document.js';
import type { PolicyCompileContext } from './policy-compile-context.js';
import type { PolicyFindings } from './policy-findings.js';
import type { PolicyMapping, PolicyWarning } from './policy-mapping.js';
import type { ResolverRegistry } from './resolver-registry.js';
import { validatePolicyShape } from './validate-policy-shape.js';

export interface AnalyzeOptions {
  /** The file name shown in messages and rule references, e.g. `conflict-rules/account.yaml`. */
  readonly file: string;
  /** The mapping to check field names against; null for a shared file no mapping uses yet. */
  readonly mapping: PolicyMapping | null;
  readonly registry?: ResolverRegistry | undefined;
}

/** Everything found in one policy file: errors (`issues`), warnings, and the compiled policy when there is no error. */
export interface PolicyAnalysis {
  readonly file: string;
  readonly version: string;
  readonly object: string | undefined;
  readonly issues: readonly ConfigIssue[];
  readonly warnings: readonly PolicyWarning[];
  readonly policy: CompiledPolicy | undefined;
}

/** The short content hash that versions a policy file. */
export function policyHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 8);
}

/**
 * Parses, validates and compiles one policy file's text. Never throws for a bad file: every problem is an issue
 * with its line, all found in one pass. `loadPolicyFile` and `checkPolicyFiles` are built on it.
 *
 * The steps: parse the YAML; validate its shape; check it is meant for this mapping; compile the default rule, each
 * field's rules (strategies and conditions) and the delete rule; warn about fields no rule covers.
 */
export function analyzePolicy(text: string, options: AnalyzeOptions): PolicyAnalysis {
  const { file, mapping, registry } = options;
  const hash = policyHash(text);
  const { findings, raw } = parsePolicyDocument(text, file);
  if (raw === undefined) return analysisOf(findings, hash, undefined, undefined);

  const { input, fieldRules } = validatePolicyShape(raw, findings);
  const version = input.version === undefined ? hash : `${String(input.version)}@${hash}`;
  checkObjectMatches(input.object, mapping, findings);

  const context: PolicyCompileContext = {
    findings,
    mapping,
    mappedFields: new Map((mapping?.fields ?? []).map((f) => [f.name, f])),
    registry,
    latest: latestWinsOptionsOf(input.tie, input.clockSkewMs),
  };
  const defaultRule = compileDefaultRule(input.default, context);
  const fields = compileFieldRules(fieldRules, context);
  warnUncoveredFields(defaultRule, fields, context);
  const existence = compileExistence(input.deletes, context);
  return analysisOf(findings, version, input.object, {
    file,
    version,
    object: input.object,
    defaultRule,
    existence,
    fields,
  });
}

/** A file that names its object must be used by that object's mapping. */
function checkObjectMatches(object: string | undefined, mapping: PolicyMapping | null, findings: PolicyFindings): void {
  if (mapping && object !== undefined && object !== mapping.object) {
    findings.fail(
      ['object'],
      `this file is for object '${object}' but mapping '${mapping.object}' uses it; set object: ${mapping.object}, or point the mapping at the right file`,
    );
  }
}

function analysisOf(
  findings: PolicyFindings,
  version: string,
  object: string | undefined,
  policy: CompiledPolicy | undefined,
): PolicyAnalysis {
  return {
    file: findings.file,
    version,
    object,
    issues: findings.issues(),
    warnings: findings.warnings(),
    policy: findings.ok ? policy : undefined,
  };
}

/** The file's latest-wins options: its tie-break and the clock skew it declares for either side. */
function latestWinsOptionsOf(
  tie: 'erp' | 'crm' | undefined,
  skew: { readonly erp?: number | undefined; readonly crm?: number | undefined } | undefined,
): LatestWinsOptions {
  const skewMs = {
    ...(skew?.erp !== undefined ? { erp: skew.erp } : {}),
    ...(skew?.crm !== undefined ? { crm: skew.crm } : {}),
  };
  return { tie: tie ?? 'erp', ...(Object.keys(skewMs).length > 0 ? { skewMs } : {}) };
}
