import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collectDocExamples, type DocExample } from '../../support/doc-examples.js';
import { scaled } from '../../support/timeouts.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The docs' examples as one module that runs: `tandem` imports point at the sources, and vitest's `it` / `expect`
 * are replaced by a runner that awaits each test and prints `passed: <name>` (a failure ends the process non-zero).
 */
function runnableModule(examples: readonly DocExample[]): string {
  const source = (path: string) => JSON.stringify(pathToFileURL(join(root, path)).href);
  const code = examples
    .map((e) => e.code)
    .join('\n')
    .replace(/from 'tandem\/testing'/g, `from ${source('src/testing/index.ts')}`)
    .replace(/from 'tandem'/g, `from ${source('src/index.ts')}`);
  return `import { deepStrictEqual } from 'node:assert/strict';
const pending: Promise<void>[] = [];
const it = (name: string, fn: () => Promise<void> | void): void => {
  pending.push(Promise.resolve().then(fn).then(() => console.log(\`passed: \${name}\`)));
};
const expect = (actual: unknown, message?: string) => ({
  toEqual: (expected: unknown) => deepStrictEqual(actual, expected, message),
});
${code}
await Promise.all(pending);
`;
}

function runModule(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', file],
      { cwd: root, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('the runnable examples of the docs are run', () => {
  it(
    'docs/property-testing.md: the custom strategy registry and the law check of the account policy pass',
    async () => {
      const examples = collectDocExamples(root).filter((e) => e.where.startsWith('docs/property-testing.md'));
      expect(examples).toHaveLength(2);
      const dir = await mkdtemp(join(tmpdir(), 'tandem-doc-run-'));
      try {
        const file = join(dir, 'property-testing.mts');
        await writeFile(file, runnableModule(examples), 'utf8');
        const run = await runModule(file);
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
        expect(run.stdout).toContain('passed: the account policy with longest satisfies the laws');

        // The same runner reports a broken example: a law check that cannot pass.
        const broken = examples.map((e) => ({
          ...e,
          code: e.code.replace('.toEqual([])', '.toEqual(["never"])').replace('runs: 200', 'runs: 1'),
        }));
        await writeFile(file, runnableModule(broken), 'utf8');
        const failed = await runModule(file);
        expect(failed.code).not.toBe(0);
        expect(failed.stdout).not.toContain('passed:');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    scaled(120_000),
  );
});
