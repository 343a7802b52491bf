import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repoRoot = join(import.meta.dirname, '..', '..');

export interface CliResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/** tsx's loader by path, so that the CLI also runs from a folder outside the repository (`cwd`). */
const tsxLoader = pathToFileURL(join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/**
 * Runs the CLI from source as a user would (node + tsx), returning stdout, stderr and the exit code. The process
 * inherits this one's environment, or with `inheritEnv: false` only PATH and HOME (a fresh shell with nothing set).
 */
export async function runTandem(
  args: readonly string[],
  env: Record<string, string> = {},
  cwd: string = repoRoot,
  options: { readonly inheritEnv?: boolean } = {},
): Promise<CliResult> {
  const base: NodeJS.ProcessEnv =
    options.inheritEnv === false ? { PATH: process.env['PATH'], HOME: process.env['HOME'] } : process.env;
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', tsxLoader, join(repoRoot, 'src/cli/main.ts'), ...args],
      { cwd, env: { ...base, TANDEM_LOG_LEVEL: 'error', ...env }, maxBuffer: 16 * 1024 * 1024 },
    );
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}
