import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { repoRoot, tandemNodeArgs } from './tandem-command.js';

const run = promisify(execFile);
export { repoRoot };

export interface CliResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/**
 * Runs the CLI as a user would (bin/tandem.js, or the source through tsx when dist/ is behind it: see
 * tandem-command.ts), returning stdout, stderr and the exit code. Works from a folder outside the repository (`cwd`).
 * The process inherits this one's environment, or with `inheritEnv: false` only PATH and HOME (a fresh shell).
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
    const { stdout, stderr } = await run(process.execPath, [...tandemNodeArgs(), ...args], {
      cwd,
      env: { ...base, TANDEM_LOG_LEVEL: 'error', ...env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}
