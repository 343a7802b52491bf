import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

export const repoRoot = join(import.meta.dirname, '..', '..');

/** tsx's loader by path, so that the CLI also runs from a folder outside the repository (`cwd`). */
const tsxLoader = pathToFileURL(join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** Every `src/**\/*.ts` (not `.d.ts`) has its `dist/src/**\/*.js`, written after the source was last changed. */
function builtFromCurrentSources(dir = join(repoRoot, 'src')): boolean {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!builtFromCurrentSources(path)) return false;
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      const built = join(repoRoot, 'dist', relative(repoRoot, path)).replace(/\.ts$/, '.js');
      try {
        if (statSync(built).mtimeMs < statSync(path).mtimeMs) return false;
      } catch {
        return false;
      }
    }
  }
  return true;
}

let cached: readonly string[] | undefined;

/**
 * The node arguments that start the CLI as a user does: `bin/tandem.js` (the build in dist/, which `npm ci` and
 * `npm install` make) when dist/ is up to date with every file of src/, else src/cli/main.ts through tsx (a source
 * changed since the last `npm run build`). The build starts about twice as fast as tsx, which compiles every module
 * at each start. TANDEM_TEST_CLI=source forces the source; TANDEM_TEST_CLI=dist forces the build.
 */
export function tandemNodeArgs(): readonly string[] {
  if (cached) return cached;
  const choice = process.env['TANDEM_TEST_CLI'];
  const useDist = choice === 'dist' || (choice !== 'source' && builtFromCurrentSources());
  cached = useDist ? [join(repoRoot, 'bin', 'tandem.js')] : ['--import', tsxLoader, join(repoRoot, 'src/cli/main.ts')];
  return cached;
}
