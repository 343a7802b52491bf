import type { FieldStrategy } from '../field-strategy.js';

/** Builds a custom field strategy from the `params` a policy rule gives it (an empty object when none). */
export type StrategyFactory = (params: Readonly<Record<string, unknown>>) => FieldStrategy;

/** Strategy names built into policy files; custom names may not reuse them. */
export const BUILTIN_STRATEGIES = Object.freeze([
  'latest-wins',
  'erp-wins',
  'crm-wins',
  'prefer-non-empty',
  'max',
  'min',
  'union',
  'manual',
] as const);
export type BuiltinStrategyName = (typeof BUILTIN_STRATEGIES)[number];

const NAME = /^[a-z][a-z0-9-]*$/;

/**
 * Custom field strategies, by the name policy files use in `use:`. Each registry is a plain local object, so two
 * engines (or two tests) never see each other's strategies.
 *
 * @example
 * ```ts
 * const registry = new ResolverRegistry().register('longest', () => longestValue())
 * await loadPolicyFile('conflict-rules/account.yaml', { mapping, registry }) // `use: longest` now works
 * ```
 */
export class ResolverRegistry {
  readonly #factories = new Map<string, StrategyFactory>();

  /** Adds a strategy. Throws a TypeError on a malformed, built-in or already registered name. */
  register(name: string, factory: StrategyFactory): this {
    if (!NAME.test(name))
      throw new TypeError(
        `custom strategy name '${name}' must be lowercase letters, digits and dashes, starting with a letter`,
      );
    if ((BUILTIN_STRATEGIES as readonly string[]).includes(name))
      throw new TypeError(`custom strategy name '${name}' is built in; choose another name`);
    if (this.#factories.has(name)) throw new TypeError(`custom strategy '${name}' is already registered`);
    this.#factories.set(name, factory);
    return this;
  }

  get(name: string): StrategyFactory | undefined {
    return this.#factories.get(name);
  }

  /** Registered names, sorted. */
  names(): string[] {
    return [...this.#factories.keys()].sort();
  }
}

/** Functional spelling of `registry.register(name, factory)`; creates a registry when none is given. */
export function registerResolver(
  name: string,
  factory: StrategyFactory,
  registry: ResolverRegistry = new ResolverRegistry(),
): ResolverRegistry {
  return registry.register(name, factory);
}
