import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A code example of the docs: a fenced ```ts / ```js block of README.md or docs/*.md. A fragment (one that uses names
 * it does not declare) is preceded by a hidden prelude, an HTML comment right before the fence:
 *
 *     <!-- example-prelude
 *     import { PostgresConnector } from 'tandem';
 *     declare const streams: readonly StreamSpec[];
 *     -->
 *
 * which is not rendered but is compiled in front of the block. `tandem`, `tandem/testing` and `tandem/emulator`
 * resolve to the sources; `./src/...` imports are read from the repository root.
 */
export interface DocExample {
  /** `docs/configuration.md:216` (the fence's line). */
  readonly where: string;
  readonly language: 'ts' | 'js';
  readonly prelude: string;
  readonly code: string;
  /** Line in the markdown file of the block's first code line. */
  readonly firstLine: number;
}

const FENCE = /^```(ts|typescript|js|javascript|mjs)\s*$/;
const PRELUDE = /<!--\s*example-prelude\s*\n((?:(?!<!--)[\s\S])*?)-->\s*$/;

/** Every example of the markdown files under `root` (README.md and docs/*.md). */
export function collectDocExamples(root: string): DocExample[] {
  const files = [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => `docs/${f}`),
  ];
  const examples: DocExample[] = [];
  for (const file of files) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const fence = FENCE.exec(lines[i] ?? '');
      if (fence === null) continue;
      const end = lines.findIndex((line, j) => j > i && /^```\s*$/.test(line));
      if (end < 0) throw new Error(`${file}:${i + 1}: code block never closed`);
      const before = lines.slice(Math.max(0, i - 40), i).join('\n');
      const prelude = PRELUDE.exec(before)?.[1] ?? '';
      examples.push({
        where: `${file}:${i + 1}`,
        language: fence[1] === 'ts' || fence[1] === 'typescript' ? 'ts' : 'js',
        prelude,
        code: lines.slice(i + 1, end).join('\n'),
        firstLine: i + 2,
      });
      i = end;
    }
  }
  return examples;
}
