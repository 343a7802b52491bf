import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collectDocExamples, type DocExample } from '../../support/doc-examples.js';
import { scaled } from '../../support/timeouts.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Runs test/support/type-check-doc-examples.ts in a child process; resolves with its problems. */
function typeCheck(examples: readonly DocExample[]): Promise<string[]> {
  return new Promise((done, fail) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', join(root, 'test/support/type-check-doc-examples.ts')],
      { cwd: root, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) fail(new Error(`type check failed to run: ${error.message}\n${stderr}`));
        else done(JSON.parse(stdout) as string[]);
      },
    );
    child.stdin?.end(JSON.stringify(examples));
  });
}

// Compiled with the docs' examples, to show that a broken one is reported with its file and line.
const broken: DocExample = {
  where: 'docs/made-up.md:3',
  language: 'ts',
  prelude: "import { loadConfig } from 'tandem';",
  code: "const n: number = 'not a number';\nawait loadConfig(42);",
  firstLine: 4,
};

describe('the code examples of README.md and docs/*.md', () => {
  const examples = collectDocExamples(root);

  it('are found (one per fenced ts/js block, with its hidden prelude)', () => {
    expect(examples.length).toBeGreaterThanOrEqual(13);
    expect(examples.every((e) => e.code.trim() !== '')).toBe(true);
    expect(examples.filter((e) => e.prelude !== '').length).toBeGreaterThanOrEqual(7);
  });

  it(
    'type-check against the sources with the strict compiler options of tsconfig.json',
    async () => {
      const problems = await typeCheck([...examples, broken]);
      const [made, docs] = [
        problems.filter((p) => p.startsWith(broken.where)),
        problems.filter((p) => !p.startsWith(broken.where)),
      ];
      expect(docs).toEqual([]);
      expect(made).toHaveLength(2);
      expect(made[0]).toMatch(/^docs\/made-up\.md:3 \(line 4\): Type 'string' is not assignable to type 'number'/);
      expect(made[1]).toMatch(/^docs\/made-up\.md:3 \(line 5\): /);
    },
    scaled(240_000),
  );
});
