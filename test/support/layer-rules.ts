/** One rule of the layering: modules matching `from` may import only modules matching one of `mayImport`. */
export interface LayerRule {
  readonly name: string;
  readonly from: (module: string) => boolean;
  readonly mayImport: readonly ((module: string) => boolean)[];
}

/** `module imports dependency` for every import a rule forbids, sorted. `graph`: module -> modules it imports. */
export function layerViolations(
  graph: Readonly<Record<string, readonly string[]>>,
  rules: readonly LayerRule[],
): string[] {
  const found: string[] = [];
  for (const [module, imports] of Object.entries(graph)) {
    for (const rule of rules) {
      if (!rule.from(module)) continue;
      for (const dependency of imports)
        if (!rule.mayImport.some((allowed) => allowed(dependency)))
          found.push(`${module} imports ${dependency} (${rule.name})`);
    }
  }
  return found.sort();
}

const under = (folder: string) => (module: string) => module.startsWith(`${folder}/`);
/** The pure strategies: files directly in resolve/ (not policy/, not tooling/). */
const strategies = (module: string) => /^resolve\/[^/]+$/.test(module);
const pureResolve = (module: string) => under('resolve')(module) && !under('resolve/tooling')(module);

/**
 * The layering docs/architecture.md describes, for the folders below the pipeline: model/ is the vocabulary and
 * imports nothing else; diff/ sees only model/; resolve/'s strategies see only model/ and util/; resolve/policy/
 * adds the strategies; only resolve/tooling/ (explain, diff, check, render: used by the CLI and the engine) may
 * see diff/.
 */
export const LAYER_RULES: readonly LayerRule[] = [
  { name: 'model/ imports nothing above it', from: under('model'), mayImport: [under('model')] },
  { name: 'diff/ imports only model/', from: under('diff'), mayImport: [under('diff'), under('model')] },
  {
    name: 'the strategies in resolve/ import only model/ and util/',
    from: strategies,
    mayImport: [strategies, under('model'), under('util')],
  },
  {
    name: 'resolve/policy/ imports only the strategies, model/ and util/',
    from: under('resolve/policy'),
    mayImport: [pureResolve, under('model'), under('util')],
  },
  {
    // The CLI starts `tandem serve`, which serves the console: neither may lean on the CLI's modules.
    name: 'serve/ and console/ import nothing of cli/',
    from: (module) => under('serve')(module) || under('console')(module),
    mayImport: [(module) => !under('cli')(module)],
  },
];
