import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A fenced code block of README.md or docs/*.md, any language. A block may be preceded by a marker, an HTML comment
 * right before the fence that is not rendered and says how the docs test checks it:
 *
 *     <!-- doc-check: config -->             a complete tandem.yaml, parsed as it is
 *     <!-- doc-check: config-fragment -->    part of a tandem.yaml, merged into the demo's for its CRM, then parsed
 *     <!-- doc-check: policy -->             a conflict policy file
 *     <!-- doc-check: salesforce-emulator-definitions -->   a definitions file of `tandem emulator salesforce`
 *     <!-- doc-check: skip: <reason> -->     not checked, for the reason given (e.g. another program's file)
 */
export interface DocBlock {
  /** `docs/operations.md:63` (the fence's line). */
  readonly where: string;
  /** The info string's first word (`yaml`, `sh`, `` for none). */
  readonly language: string;
  /** The marker's text after `doc-check:` (`config`, `skip: Prometheus rules`), undefined without one. */
  readonly marker: string | undefined;
  readonly code: string;
  /** Line in the markdown file of the block's first code line. */
  readonly firstLine: number;
}

const OPEN = /^ {0,3}```\s*([A-Za-z0-9_+-]*)[^`]*$/;
const CLOSE = /^ {0,3}```\s*$/;
const MARKER = /<!--\s*doc-check:\s*([^]*?)\s*-->\s*$/;

/** README.md and docs/*.md, in a stable order. */
export function docFiles(root: string): string[] {
  return [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => `docs/${f}`),
  ];
}

/** Every fenced block of the markdown files under `root`. */
export function collectDocBlocks(root: string): DocBlock[] {
  const blocks: DocBlock[] = [];
  for (const file of docFiles(root)) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const open = OPEN.exec(lines[i] ?? '');
      if (open === null) continue;
      const end = lines.findIndex((line, j) => j > i && CLOSE.test(line));
      if (end < 0) throw new Error(`${file}:${i + 1}: code block never closed`);
      const before = lines.slice(Math.max(0, i - 3), i).join('\n');
      const indent = /^ */.exec(lines[i] ?? '')?.[0].length ?? 0;
      blocks.push({
        where: `${file}:${i + 1}`,
        language: open[1] ?? '',
        marker: MARKER.exec(before)?.[1],
        code: lines
          .slice(i + 1, end)
          .map((l) => l.slice(Math.min(indent, /^ */.exec(l)?.[0].length ?? 0)))
          .join('\n'),
        firstLine: i + 2,
      });
      i = end;
    }
  }
  return blocks;
}

/** An inline code span of the prose naming a command: `tandem sync --dry-run`, `npx tandem status`. */
export interface DocCommandSpan {
  readonly where: string;
  readonly span: string;
}

/** Every inline `tandem …` / `npx tandem …` code span outside the fenced blocks of README.md and docs/*.md. */
export function collectCommandSpans(root: string): DocCommandSpan[] {
  const spans: DocCommandSpan[] = [];
  for (const file of docFiles(root)) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    let inBlock = false;
    lines.forEach((line, i) => {
      if (OPEN.test(line) || CLOSE.test(line)) inBlock = !inBlock;
      else if (!inBlock)
        for (const m of line.matchAll(/`((?:npx )?tandem [^`]+)`/g))
          spans.push({ where: `${file}:${i + 1}`, span: m[1] ?? '' });
    });
  }
  return spans;
}
