import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { ConfigIssue } from '../util/errors.js';
import { plainValueOf } from '../util/yaml-limits.js';

/** A line and column in a file, both 1-based. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** A segment of a path inside the file: a map key or a list index. */
export type PathSegment = string | number;

/**
 * A parsed YAML file that can say where any path in it is written, so that issues found on the plain value (by zod)
 * point at a line and column.
 *
 * @example
 * ```ts
 * const source = readYamlSource('erp:\n  tabel: x\n', '/etc/tandem.yaml')
 * source.locate(['erp', 'tabel']) // { line: 2, column: 3 }
 * ```
 */
export interface YamlSource {
  readonly file: string;
  /** The file as plain data (null for an empty file). Meaningless when `issues` holds a syntax error. */
  readonly value: unknown;
  /** YAML syntax errors and duplicate keys. */
  readonly issues: readonly ConfigIssue[];
  /**
   * Where `path` is written: the value's position, or the key's with `at: 'key'`. A path that goes beyond what the file
   * holds (a missing key) gives the position of the deepest part that exists.
   */
  locate(path: readonly PathSegment[], at?: 'key' | 'value'): Position;
}

/** Parses YAML text; never throws (syntax errors become issues with their line and column). */
export function readYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  // uniqueKeys off: duplicates are reported below with the path, and the rest of the file is still checked.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const position = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const lines = text.split(/\r?\n/);
  const issues: ConfigIssue[] = doc.errors.map((error) => {
    const at = position(error.pos[0]);
    const lineText = lines[at.line - 1] ?? '';
    const hint = /[{[].*\$\{|\$\{.*[}\]]/.test(lineText)
      ? ' Fix: inside { } or [ ], quote ${...} references, e.g. { url: "${ERP_DATABASE_URL}" }, or write the map in block style'
      : ' Fix: correct the YAML syntax at this place';
    return { file, ...at, path: '', message: `YAML syntax error: ${error.message}.${hint}` };
  });
  if (doc.errors.length === 0) issues.push(...duplicateKeyIssues(doc, file, position));

  const locate = (path: readonly PathSegment[], at: 'key' | 'value' = 'value'): Position => {
    let node: unknown = doc.contents;
    let best: Position = { line: 1, column: 1 };
    for (const [i, segment] of path.entries()) {
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (pair === undefined) return best;
        const keyStart = (pair.key as Node).range?.[0];
        if (keyStart !== undefined) best = position(keyStart);
        if (last && at === 'key') return best;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment];
      } else {
        return best;
      }
      const start = (node as Node | null | undefined)?.range?.[0];
      if (start !== undefined && !(last && at === 'key')) best = position(start);
    }
    return best;
  };

  let value: unknown;
  if (doc.errors.length === 0) {
    const plain = plainValueOf(doc);
    if ('message' in plain) issues.push({ file, line: 1, column: 1, path: '', message: plain.message });
    else value = plain.value;
  }
  return { file, value, issues, locate };
}

function duplicateKeyIssues(doc: Document, file: string, position: (offset: number) => Position): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const visit = (node: unknown, path: readonly PathSegment[]): void => {
    if (isMap(node)) {
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        const offset = pair.key.range?.[0] ?? 0;
        const first = seen.get(key);
        if (first !== undefined) {
          issues.push({
            file,
            ...position(offset),
            path: formatPath([...path, key]),
            message: `duplicate key '${key}' (first at line ${position(first).line}). Fix: remove or rename one of them`,
          });
        } else seen.set(key, offset);
        visit(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => visit(item, [...path, index]));
    }
  };
  visit(doc.contents, []);
  return issues;
}

/** `objects.account.fields.phone.transforms[0]` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}
