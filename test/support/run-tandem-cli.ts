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
 */
export async function runTandem(
  args: readonly string[],
  env: Record<string, string> = {},
  cwd: string = repoRoot,
): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...tandemNodeArgs(), ...args], {
      cwd,
      env: { ...process.env, TANDEM_LOG_LEVEL: 'error', ...env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}
