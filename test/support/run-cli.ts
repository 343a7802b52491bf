import { repoRoot, runTandem } from './run-tandem-cli.js';

export { repoRoot };

/** Runs the CLI as a user would, returning stdout, stderr and the exit code (runTandem, under its older name). */
export function tandemCli(
  args: readonly string[],
  env: Record<string, string> = {},
  cwd = repoRoot,
): Promise<{ stdout: string; stderr: string; code: number }> {
  return runTandem(args, env, cwd);
}
