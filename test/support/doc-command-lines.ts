import { Command, CommanderError, type Option } from 'commander';
import { buildProgram } from '../../src/cli/program.js';

/** A `tandem …` command written in a doc's code block. */
export interface DocCommandLine {
  /** `README.md:60` (the line in the markdown file). */
  readonly where: string;
  /** The arguments after `tandem` (shell words, quotes removed). */
  readonly args: readonly string[];
  /** A synopsis (`[--port N]`, `<key>`, `a | b`): checked for its command and option names only. */
  readonly synopsis: boolean;
}

/**
 * Shell words of one line, quotes removed; a `#` comment after a blank ends it. Enough for the docs' commands, not a
 * shell: no expansions.
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? '';
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else word = (word ?? '') + c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word = word ?? '';
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === '#' && word === undefined) {
      break;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

const SEPARATORS = new Set(['&&', '||', ';', '|']);

/**
 * The `tandem` / `npx tandem` commands of a code block: continuation lines (a trailing `\`, or a synopsis line that
 * starts with blanks and `[`) are joined, a `$ ` prompt and `VAR=value` assignments dropped, `&&`/`;`/`|` split.
 */
export function tandemCommandLines(where: string, code: string, firstLine: number): DocCommandLine[] {
  const file = where.replace(/:\d+$/, '');
  const logical: { text: string; line: number }[] = [];
  code.split('\n').forEach((text, i) => {
    const previous = logical[logical.length - 1];
    if (previous !== undefined && (previous.text.endsWith('\\') || /^\s+\[/.test(text))) {
      previous.text = `${previous.text.replace(/\\$/, '')} ${text.trim()}`;
    } else {
      logical.push({ text, line: firstLine + i });
    }
  });
  const found: DocCommandLine[] = [];
  for (const { text, line } of logical) {
    const words = shellWords(text.replace(/^\s*\$\s+/, ''));
    let command: string[] = [];
    const flush = (): void => {
      let rest = command;
      while (rest[0] !== undefined && /^[A-Z_][A-Z0-9_]*=/.test(rest[0])) rest = rest.slice(1);
      if (rest[0] === 'npx') rest = rest.slice(1);
      if (rest[0] === 'tandem') {
        const args = rest.slice(1);
        found.push({
          where: `${file}:${line}`,
          args,
          synopsis: args.some((a) => /^[[<]|[\]>]$|^\|$|\.\.\.$|…$/.test(a)),
        });
      }
      command = [];
    };
    for (const word of words) {
      if (SEPARATORS.has(word)) flush();
      else command.push(word);
    }
    flush();
  }
  return found;
}

/** The program with every action replaced by nothing and commander's exits and output turned into throws. */
function inertProgram(): Command {
  const program = buildProgram();
  const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
  for (const command of all(program)) {
    command.exitOverride();
    command.configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} });
    // Leaves only: a parent given an action would take an unknown subcommand as its argument.
    if (command.commands.length === 0) command.action(() => {});
  }
  return program;
}

/** What is wrong with a documented command line (unknown command or option, a missing argument), or undefined. */
export async function commandLineProblem(line: DocCommandLine): Promise<string | undefined> {
  return line.synopsis ? synopsisProblem(line) : parseProblem(line);
}

async function parseProblem(line: DocCommandLine): Promise<string | undefined> {
  try {
    await inertProgram().parseAsync(['node', 'tandem', ...line.args]);
    return undefined;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? undefined : error.message;
    throw error;
  }
}

/** A synopsis: the command path must exist, and every `--option` it names must be one of that command's. */
function synopsisProblem(line: DocCommandLine): string | undefined {
  const root = inertProgram();
  const resolved = resolvePath(root, [root], line.args);
  return resolved.problem ?? optionProblem(resolved.path, line.args.slice(resolved.used));
}

/** Walks subcommand names from `path`'s last command; stops at the first word that is not one. */
function resolvePath(
  root: Command,
  start: readonly Command[],
  args: readonly string[],
): { path: Command[]; used: number; problem?: string } {
  const path = [...start];
  let i = 0;
  for (; i < args.length; i++) {
    const command = path[path.length - 1] ?? root;
    const name = args[i] ?? '';
    if (/^[-[<(]/.test(name)) break;
    const sub = command.commands.find((c) => c.name() === name || c.aliases().includes(name));
    if (sub === undefined) {
      if (command.commands.length > 0)
        return { path, used: i, problem: `unknown command '${name}' under '${command.name()}'` };
      break;
    }
    path.push(sub);
  }
  return { path, used: i };
}

function optionProblem(path: readonly Command[], rest: readonly string[]): string | undefined {
  const known = new Set(path.flatMap((c) => c.options.map((o: Option) => o.long)).concat(['--help', '--version']));
  const named = rest.flatMap((a) => [...a.matchAll(/(?:^|[[|(])(--[a-z0-9-]+)/g)].map((m) => m[1] ?? ''));
  const unknown = named.filter((o) => !known.has(o));
  return unknown.length > 0
    ? `unknown option(s) ${unknown.join(', ')} for '${path.map((c) => c.name()).join(' ')}'`
    : undefined;
}

/**
 * What is wrong with a command named in prose, an inline code span such as `tandem sync --dry-run` or
 * `tandem failed list \| retry \| skip` (alternatives after `|` are sibling subcommands, or more options of the
 * command before): its command names and option names are checked, not its arguments (prose leaves some out).
 * Undefined when it is fine or is not a command (`tandem / baseline`).
 */
export function commandReferenceProblem(span: string): string | undefined {
  const words = shellWords(span.replace(/\\\|/g, '|'));
  if (words[0] === 'npx') words.shift();
  if (words[0] !== 'tandem' || !/^[a-z-]/.test(words[1] ?? '')) return undefined;
  const segments: string[][] = [[]];
  for (const word of words.slice(1)) {
    if (word === '|') segments.push([]);
    else segments[segments.length - 1]?.push(word);
  }
  const root = inertProgram();
  let path: Command[] = [root];
  for (const [index, segment] of segments.entries()) {
    const first = segment[0] ?? '';
    const parent = path.length > 1 ? path.slice(0, -1) : path;
    const sibling = index > 0 && parent[parent.length - 1]?.commands.some((c) => c.name() === first);
    const current = path[path.length - 1];
    if (index > 0 && !sibling && /^[a-z]/.test(first) && !current?.commands.some((c) => c.name() === first))
      return `unknown command '${first}' under '${parent[parent.length - 1]?.name() ?? 'tandem'}'`;
    const resolved = resolvePath(root, sibling ? parent : path, segment);
    if (resolved.problem !== undefined) return resolved.problem;
    const problem = optionProblem(resolved.path, segment.slice(resolved.used));
    if (problem !== undefined) return problem;
    path = resolved.path;
  }
  return undefined;
}
