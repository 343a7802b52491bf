import { ConfigError, type ConfigIssue } from '../../util/errors.js';
import { readTextWithin, tooLargeMessage, YAML_LIMITS } from '../../util/yaml-limits.js';
import { analyzePolicy } from './analyze-policy.js';
import type { ConflictResolver } from '../../model/conflict-resolver.js';
import type { PolicyMapping, PolicyWarning } from './policy-mapping.js';
import { policyResolver } from './policy-resolver.js';
import type { ResolverRegistry } from './resolver-registry.js';

export interface LoadPolicyOptions {
  /** The mapping the policy is for: its field names are checked against the rules. */
  readonly mapping: PolicyMapping;
  /** Custom strategies the file may name in `use:`. */
  readonly registry?: ResolverRegistry | undefined;
}

/** A policy file ready to use. */
export interface LoadedPolicy {
  readonly file: string;
  /** Recorded as `policyVersion` in every Resolution: content hash, with the file's `version:` label if any. */
  readonly version: string;
  readonly resolver: ConflictResolver;
  /** Findings that do not stop the policy from working (e.g. a mapped field with no rule and no default). */
  readonly warnings: readonly PolicyWarning[];
  /** A fresh resolver from the same text (custom strategies built anew), for the laws' cross-instance checks. */
  readonly fresh: () => ConflictResolver;
}

/** `conflict-rules/account.yaml has 2 problems:\n  line 4: ...` */
export function formatIssues(file: string, issues: readonly ConfigIssue[]): string {
  const lines = issues.map(
    (i) => `  ${i.line !== undefined ? `line ${i.line}` : 'file'}${i.path ? ` (${i.path})` : ''}: ${i.message}`,
  );
  return `${file} has ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n${lines.join('\n')}`;
}

/**
 * Reads, validates and compiles a conflict policy (YAML) for one mapping. Throws a ConfigError listing every
 * problem with its line (unknown keys and strategies with the allowed values and the closest match, rules on
 * unmapped fields, conditions that can never apply, shadowed rules).
 *
 * @example
 * ```ts
 * const { resolver, version, warnings } = await loadPolicyFile('conflict-rules/account.yaml', { mapping })
 * planRecord(input, resolver).policyVersion === version
 * ```
 */
export async function loadPolicyFile(path: string, options: LoadPolicyOptions): Promise<LoadedPolicy> {
  let read: Awaited<ReturnType<typeof readTextWithin>>;
  try {
    read = await readTextWithin(path, YAML_LIMITS.maxFileBytes);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const issue: ConfigIssue = {
      file: path,
      path: '',
      message:
        code === 'ENOENT'
          ? "policy file not found; check the mapping's policy name and the policies directory"
          : `cannot read the policy file (${code ?? 'error'})`,
    };
    throw new ConfigError(formatIssues(path, [issue]), [issue], cause);
  }
  if ('tooLarge' in read) {
    const issue: ConfigIssue = { file: path, path: '', message: tooLargeMessage(read.tooLarge, 'policy file') };
    throw new ConfigError(formatIssues(path, [issue]), [issue]);
  }
  return policyFromText(read.text, path, options);
}

/**
 * `loadPolicyFile` for text not (yet) in a file: what the console's editor compiles to test or compare before it
 * saves. `file` names the file in messages and rule references. Throws the same ConfigError.
 */
export function policyFromText(text: string, file: string, options: LoadPolicyOptions): LoadedPolicy {
  const analysis = analyzePolicy(text, { file, mapping: options.mapping, registry: options.registry });
  if (analysis.issues.length > 0 || !analysis.policy)
    throw new ConfigError(formatIssues(file, analysis.issues), analysis.issues);
  const again = (): ConflictResolver => {
    const policy = analyzePolicy(text, { file, mapping: options.mapping, registry: options.registry }).policy;
    if (!policy) throw new ConfigError(formatIssues(file, analysis.issues), analysis.issues);
    return policyResolver(policy);
  };
  return {
    file,
    version: analysis.version,
    resolver: policyResolver(analysis.policy),
    warnings: analysis.warnings,
    fresh: again,
  };
}
