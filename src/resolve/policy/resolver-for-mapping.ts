import { join } from 'node:path';
import { ConfigError } from '../../util/errors.js';
import { allowedHint } from '../../util/closest-match.js';
import type { ConflictResolver } from '../../model/conflict-resolver.js';
import { latestWins } from '../latest-wins.js';
import { BUILTIN_POLICIES } from './builtin-policies.js';
import { loadPolicyFile } from './load-policy-file.js';
import { manual } from '../manual.js';
import type { PolicyMapping } from './policy-mapping.js';
import type { ResolverRegistry } from './resolver-registry.js';
import { sourceOfTruth } from '../source-of-truth.js';

/**
 * The resolver for a mapping's `policy:` setting: a built-in name (`latest-wins`, `erp-wins`, `crm-wins`, `manual`)
 * or a YAML file in `dir` (`account.yaml`). Throws a ConfigError for an unknown name or an invalid file.
 *
 * @example
 * ```ts
 * const resolver = await resolverForMapping('account.yaml', 'conflict-rules', mapping)
 * ```
 */
export async function resolverForMapping(
  policy: string,
  dir: string,
  mapping: PolicyMapping,
  registry?: ResolverRegistry,
): Promise<ConflictResolver> {
  switch (policy) {
    case 'latest-wins':
      return latestWins();
    case 'erp-wins':
      return sourceOfTruth({ default: 'erp' });
    case 'crm-wins':
      return sourceOfTruth({ default: 'crm' });
    case 'manual':
      return manual();
  }
  if (/\.ya?ml$/i.test(policy)) return (await loadPolicyFile(join(dir, policy), { mapping, registry })).resolver;
  const issue = {
    file: 'tandem.yaml',
    path: `objects.${mapping.object}.policy`,
    message: `unknown policy '${policy}' for ${mapping.object}${allowedHint(policy, [...BUILTIN_POLICIES])}, or a .yaml file in ${dir}`,
  };
  throw new ConfigError(issue.message, [issue]);
}
