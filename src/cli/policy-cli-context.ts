import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULTS } from '../config/config-schema.js';
import { readEnvFileBeside, withEnvFile } from '../config/env-file.js';
import { resolveEnvReferences } from '../config/env-references.js';
import { loadConfig } from '../config/load-config.js';
import type { TandemConfig } from '../config/tandem-config.js';
import { openEngine, openStateStore, policyMappingOf } from '../engine/open-engine.js';
import { explainFromSystems, policyContextFor } from '../engine/policy-context.js';
import { loadStrategyModule } from '../engine/strategy-module.js';
import type { Conflict } from '../model/conflict.js';
import { silentLogger } from '../util/logger.js';
import type { PolicyCliContext } from './commands/policy.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * What `tandem policy` works with, from tandem.yaml read with its `${ENV}` references left unresolved: checking,
 * testing and comparing policies connect to nothing, so they need no connection settings or secrets. Only what
 * connects resolves what it needs when it is asked: `explain` loads the whole configuration (it reads both systems,
 * or the state store), `diff`'s recent conflicts resolve the state store's URL alone. Without a tandem.yaml (and no
 * --config), the context has no mappings and says so (`withoutConfig`).
 *
 * @example
 * ```ts
 * program.addCommand(policyCommand((path, options) => loadPolicyCliContext(path, options, process.env, process.stderr)))
 * ```
 */
export async function loadPolicyCliContext(
  configPath: string,
  options: { readonly explicit: boolean },
  env: Env,
  stderr: { write(text: string): unknown },
): Promise<PolicyCliContext> {
  const file = resolve(configPath);
  if (!options.explicit && !existsSync(file)) {
    return { mappings: [], policiesDir: resolve(DEFAULTS.policiesDir), withoutConfig: `no ${configPath} here` };
  }
  const config = await loadConfig(file, env, { references: 'leave' });
  const registry = await loadStrategyModule(config);
  // explain and diff open the state store when they ask, and close it.
  const withStore = async <T>(
    stateConfig: TandemConfig,
    fn: (context: ReturnType<typeof policyContextFor>) => Promise<T>,
  ): Promise<T> => {
    const store = await openStateStore(stateConfig);
    try {
      return await fn(policyContextFor(stateConfig, store));
    } finally {
      await store.close();
    }
  };
  return {
    mappings: config.objects.map(policyMappingOf),
    policiesDir: config.policies.dir,
    ...(registry ? { registry } : {}),
    explain: async (object: string, key: string, { stored }: { stored: boolean }) => {
      const full = await loadConfig(file, env);
      if (stored) {
        const input = await withStore(full, (c) => c.explain(object, key));
        return input && { input, source: 'stored' as const };
      }
      // Both systems read now: the connectors are opened (and checked) as for a sync.
      const engine = await openEngine(full, { logger: silentLogger(), ...(registry ? { registry } : {}) });
      try {
        const now = await explainFromSystems(engine.context, object, key);
        return now && { input: now.input, source: 'systems' as const, sides: now.sides };
      } finally {
        await engine.close();
      }
    },
    recentConflicts: async (object: string, limit: number): Promise<readonly Conflict[]> => {
      const stateConfig = await withStateUrl(config, env);
      if (typeof stateConfig === 'string') {
        stderr.write(`note: recent conflicts not read (${stateConfig}); comparing generated conflicts instead\n`);
        return [];
      }
      return withStore(stateConfig, (c) => c.recentConflicts(object, limit));
    },
  };
}

/** The config with only `state.url`'s references resolved (from `env` and the .env beside it), or why it cannot be. */
async function withStateUrl(config: TandemConfig, env: Env): Promise<TandemConfig | string> {
  if (config.state.url === null) return config;
  const resolved = resolveEnvReferences(
    { state: { url: config.state.url } },
    withEnvFile(env, await readEnvFileBeside(config.file)),
  );
  const problem = resolved.issues[0];
  if (problem !== undefined) return `state.url: ${problem.message}`;
  const url = (resolved.value as { state: { url: string } }).state.url;
  return { ...config, state: { ...config.state, url: url === '' ? null : url } };
}
