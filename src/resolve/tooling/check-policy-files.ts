import { basename } from 'node:path';
import type { ConfigIssue } from '../../util/errors.js';
import { readTextWithin, tooLargeMessage, YAML_LIMITS } from '../../util/yaml-limits.js';
import { analyzePolicy, type PolicyAnalysis } from '../policy/analyze-policy.js';
import { allowedHint } from '../../util/closest-match.js';
import type { PolicyMapping, PolicyWarning } from '../policy/policy-mapping.js';
import type { ResolverRegistry } from '../policy/resolver-registry.js';

export interface PolicyCheckReport {
  /** Problems that stop a policy from loading (the engine would refuse to start). */
  readonly errors: readonly ConfigIssue[];
  /** Findings worth a look that do not stop anything. */
  readonly warnings: readonly PolicyWarning[];
  /** Each file checked, its version and the mappings that use it. */
  readonly files: readonly {
    readonly file: string;
    readonly version: string | undefined;
    readonly objects: readonly string[];
  }[];
}

/** Whether `mapping` names `file` as its policy. */
export function mappingUsesFile(mapping: PolicyMapping, file: string): boolean {
  return mapping.policy !== undefined && basename(mapping.policy) === basename(file);
}

/**
 * Checks policy files against the mappings that use them, without loading anything into the engine: everything
 * `loadPolicyFile` rejects (as errors) plus what it tolerates (as warnings), for every file at once.
 * A file is checked against each mapping whose `policy` names it, or against the mapping its `object:` names.
 * `mappings` null (no tandem.yaml): each file's structure and strategies only, no field or object against mappings.
 *
 * @example
 * ```ts
 * const report = await checkPolicyFiles(['conflict-rules/account.yaml'], mappings)
 * if (report.errors.length > 0) process.exitCode = 1
 * ```
 */
export async function checkPolicyFiles(
  files: readonly string[],
  mappings: readonly PolicyMapping[] | null,
  options: { readonly registry?: ResolverRegistry } = {},
): Promise<PolicyCheckReport> {
  const errors: ConfigIssue[] = [];
  const warnings: PolicyWarning[] = [];
  const checked: PolicyCheckReport['files'][number][] = [];
  for (const file of files) {
    let text: string;
    try {
      const read = await readTextWithin(file, YAML_LIMITS.maxFileBytes);
      if ('tooLarge' in read) {
        errors.push({ file, path: '', message: tooLargeMessage(read.tooLarge, 'policy file') });
        checked.push({ file, version: undefined, objects: [] });
        continue;
      }
      text = read.text;
    } catch (cause) {
      errors.push({
        file,
        path: '',
        message: `cannot read the policy file (${(cause as NodeJS.ErrnoException).code ?? 'error'})`,
      });
      checked.push({ file, version: undefined, objects: [] });
      continue;
    }
    const one = checkPolicyText(file, text, mappings, options);
    errors.push(...one.errors);
    warnings.push(...one.warnings);
    checked.push(...one.files);
  }
  return { errors, warnings, files: checked };
}

/**
 * `checkPolicyFiles` for one file's text as given (not read from disk): the console's editor checks what is typed
 * with it, so the browser and `tandem policy check` report the same problems at the same lines.
 *
 * @example
 * ```ts
 * const report = checkPolicyText('conflict-rules/account.yaml', 'object: account\ndefault: latst-wins\n', mappings)
 * report.errors[0]?.line // 2
 * ```
 */
export function checkPolicyText(
  file: string,
  text: string,
  mappings: readonly PolicyMapping[] | null,
  options: { readonly registry?: ResolverRegistry } = {},
): PolicyCheckReport {
  const errors: ConfigIssue[] = [];
  const warnings: PolicyWarning[] = [];
  const users = (mappings ?? []).filter((m) => mappingUsesFile(m, file));
  const probe = analyzePolicy(text, { file, mapping: null, registry: options.registry });
  let targets = users;
  if (mappings === null) {
    // Without mappings there is nothing to check the file's object and fields against.
  } else if (users.length === 0 && probe.object !== undefined) {
    const named = mappings.find((m) => m.object === probe.object);
    if (!named) {
      errors.push({
        file,
        path: 'object',
        message: `object '${probe.object}' is not mapped in tandem.yaml${allowedHint(
          probe.object,
          mappings.map((m) => m.object),
        )}`,
      });
    } else {
      warnings.push({
        file,
        path: 'object',
        message: `mapping '${named.object}' uses policy '${named.policy ?? '(none)'}', not this file; set policy: ${basename(file)} on it to use this file`,
      });
      targets = [named];
    }
  } else if (users.length === 0) {
    warnings.push({ file, path: '', message: 'no mapping uses this file; checked its format only' });
  }
  const analyses: PolicyAnalysis[] =
    targets.length === 0
      ? [probe]
      : targets.map((mapping) => analyzePolicy(text, { file, mapping, registry: options.registry }));
  const seen = new Set<string>();
  for (const a of analyses) {
    for (const issue of a.issues) {
      const id = `${issue.line}:${issue.path}:${issue.message}`;
      if (!seen.has(id)) errors.push(issue);
      seen.add(id);
    }
    for (const w of a.warnings) {
      const id = `${w.line}:${w.path}:${w.message}`;
      if (!seen.has(id)) warnings.push(w);
      seen.add(id);
    }
  }
  return { errors, warnings, files: [{ file, version: probe.version, objects: targets.map((m) => m.object) }] };
}
