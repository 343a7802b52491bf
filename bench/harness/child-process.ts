import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What a child run returns: the function's result and the child's own resource figures. */
export interface ChildRun<T> {
  readonly result: T;
  /** Peak resident set size of the child over its whole life (`process.resourceUsage().maxRSS`), MB. */
  readonly maxRssMb: number;
  /** User + system CPU time of the child, ms. */
  readonly cpuMs: number;
  readonly wallMs: number;
}

const MARKER = '@@bench-result ';
const ENTRY = fileURLToPath(new URL('./child-entry.ts', import.meta.url));

/**
 * Runs `exportName(input)` from `modulePath` in a fresh `node --expose-gc --import tsx` process, so its peak RSS is
 * its own (the kernel's high-water mark of that process: nothing the parent or the emulator holds counts).
 * Extra node flags (e.g. `--cpu-prof`) go in `nodeArgs`, modules to preload after tsx in `imports`. Rejects with the child's stderr tail when it fails.
 *
 * @example
 * ```ts
 * const run = await runInChild<{ ms: number }>(new URL('../scenarios/x.ts', import.meta.url), 'runX', { rows: 1000 })
 * ```
 */
export function runInChild<T>(
  module: URL,
  exportName: string,
  input: unknown,
  options: {
    readonly nodeArgs?: readonly string[];
    readonly imports?: readonly URL[];
    readonly env?: Readonly<Record<string, string>>;
  } = {},
): Promise<ChildRun<T>> {
  const nodeArgs = options.nodeArgs ?? [];
  const imports = (options.imports ?? []).flatMap((u) => ['--import', fileURLToPath(u)]);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // BENCH_CHILD_NODE_ARGS adds node flags to every child (e.g. `--import ./my-tracer.ts`), for ad-hoc profiling.
    const extra = (process.env['BENCH_CHILD_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
    const child = spawn(
      process.execPath,
      ['--expose-gc', ...nodeArgs, '--import', 'tsx', ...imports, ...extra, ENTRY, fileURLToPath(module), exportName],
      {
        env: { ...process.env, ...options.env, BENCH_CHILD_INPUT: JSON.stringify(input) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-20_000);
      if (process.env['BENCH_VERBOSE']) process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const line = stdout.split('\n').find((l) => l.startsWith(MARKER));
      if (code !== 0 || !line) {
        reject(new Error(`bench child ${exportName} exited with ${signal ?? code}:\n${stderr.slice(-4000)}`));
        return;
      }
      const parsed = JSON.parse(line.slice(MARKER.length)) as { result: T; maxRssMb: number; cpuMs: number };
      resolve({ ...parsed, wallMs: Date.now() - started });
    });
  });
}

export const CHILD_RESULT_MARKER = MARKER;
