// Type-checks docs examples given as JSON on stdin; prints the problems as a JSON array. Run in a child process by
// test/unit/docs/doc-examples.test.ts, so that the long synchronous compile does not block the test worker.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type { DocExample } from './doc-examples.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
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

const examples = JSON.parse(readFileSync(0, 'utf8')) as DocExample[];
process.stdout.write(JSON.stringify(typeCheck(examples)));
