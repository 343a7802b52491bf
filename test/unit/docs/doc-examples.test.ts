import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { collectDocExamples, type DocExample } from '../../support/doc-examples.js';
import { scaled } from '../../support/timeouts.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
// Virtual files, inside the repository so that its package.json (ESM) and node_modules apply; never written to disk.
const folder = join(root, '.doc-examples');

function virtualName(example: DocExample, index: number): string {
  const base = example.where.replace(/[^A-Za-z0-9]+/g, '-');
  return join(folder, `${String(index).padStart(2, '0')}-${base}.${example.language === 'ts' ? 'mts' : 'mjs'}`);
}

/** The example as a module: prelude, then the block; `./src/` imports are made relative to the repository root. */
function moduleText(example: DocExample): string {
  const fromRoot = (text: string) => text.replace(/(['"])\.\/src\//g, '$1../src/');
  return `${fromRoot(example.prelude)}\n${fromRoot(example.code)}\nexport {};\n`;
}

/** Compiles every example with the project's strict options; returns `where: message` per problem. */
function typeCheck(examples: readonly DocExample[]): string[] {
  const files = new Map(examples.map((e, i) => [virtualName(e, i), { example: e, text: moduleText(e) }]));
  const parsed = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (parsed === undefined) throw new Error('tsconfig.json could not be read');
  const options: ts.CompilerOptions = {
    ...parsed.options,
    noEmit: true,
    allowJs: true,
    checkJs: true,
    baseUrl: root,
    paths: {
      tandem: ['./src/index.ts'],
      'tandem/testing': ['./src/testing/index.ts'],
      'tandem/emulator': ['./src/emulator/index.ts'],
    },
    types: ['node', 'vitest/globals'],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.fileExists = (name) => files.has(name) || fileExists(name);
  host.readFile = (name) => files.get(name)?.text ?? readFile(name);
  host.getSourceFile = (name, language, ...rest) => {
    const file = files.get(name);
    return file === undefined
      ? getSourceFile(name, language, ...rest)
      : ts.createSourceFile(name, file.text, language, true);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  const problems: string[] = [];
  for (const [name, { example }] of files) {
    const source = program.getSourceFile(name);
    if (source === undefined) throw new Error(`${example.where} was not compiled`);
    const preludeLines = example.prelude === '' ? 1 : example.prelude.split('\n').length;
    for (const d of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      const line = source.getLineAndCharacterOfPosition(d.start ?? 0).line;
      const at = line >= preludeLines ? `line ${example.firstLine + line - preludeLines}` : `prelude line ${line + 1}`;
      problems.push(`${example.where} (${at}): ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
    }
  }
  return problems;
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
    () => {
      const problems = typeCheck([...examples, broken]);
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
