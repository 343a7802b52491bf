import { stat } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { TandemConfig } from '../config/tandem-config.js';
import { ResolverRegistry, type StrategyFactory } from '../resolve/policy/resolver-registry.js';
import { ConfigError, type ConfigIssue } from '../util/errors.js';

/** What a strategies module may export (as `default` or as `strategies`). */
export type StrategyModuleExport =
  Readonly<Record<string, StrategyFactory>> | ((registry: ResolverRegistry) => void | ResolverRegistry);

const FORMAT =
  'export a map of strategy name to factory (`export default { longest: (params) => ({ name: "longest", decideField }) }`) ' +
  'or a function that registers them (`export default (registry) => registry.register("longest", factory)`), ' +
  'as `default` or as `strategies`';

/**
 * Loads the module of custom conflict strategies that tandem.yaml names in `policies.strategies` (a JavaScript ES
 * module, path relative to tandem.yaml) into a fresh ResolverRegistry, so policy files may `use:` them in `sync`
 * and `policy check|test|explain|diff`. Undefined when the config names no module. Every problem (missing file, a
 * module that fails to load, a wrong export, a bad or built-in name) is a ConfigError naming the module and the fix.
 *
 * @example
 * ```ts
 * // tandem.yaml: policies: { dir: ./conflict-rules, strategies: ./strategies.mjs }
 * const registry = await loadStrategyModule(config)
 * const engine = await openEngine(config, { logger, ...(registry ? { registry } : {}) })
 * ```
 */
export async function loadStrategyModule(config: TandemConfig): Promise<ResolverRegistry | undefined> {
  const path = config.policies.strategies;
  if (path === undefined) return undefined;
  const fail = (message: string, cause?: unknown): ConfigError => {
    const issue: ConfigIssue = { file: config.file, path: 'policies.strategies', message };
    return new ConfigError(`${config.file}: policies.strategies: ${message}`, [issue], cause);
  };
  const isFile = await stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!isFile) throw fail(`module ${path} not found. Fix: correct the path (it is relative to tandem.yaml)`);
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw fail(
      `module ${path} failed to load: ${error instanceof Error ? error.message : String(error)}. ` +
        'Fix: it must be a JavaScript ES module (.mjs, or .js in a "type": "module" package) that loads on its own',
      error,
    );
  }
  const exported = loaded['strategies'] ?? loaded['default'];
  const registry = new ResolverRegistry();
  try {
    if (typeof exported === 'function') {
      (exported as (registry: ResolverRegistry) => unknown)(registry);
    } else if (exported !== null && typeof exported === 'object' && !Array.isArray(exported)) {
      for (const [name, factory] of Object.entries(exported as Record<string, unknown>)) {
        if (typeof factory !== 'function') {
          throw new TypeError(`strategy '${name}' is a ${typeof factory}, not a factory function`);
        }
        registry.register(name, factory as StrategyFactory);
      }
    } else {
      throw new TypeError(`the module exports no strategies`);
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw fail(`module ${path}: ${error instanceof Error ? error.message : String(error)}. Fix: ${FORMAT}`, error);
  }
  if (registry.names().length === 0) throw fail(`module ${path} registers no strategy. Fix: ${FORMAT}`);
  return registry;
}
