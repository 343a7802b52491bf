import type { Document, LineCounter } from 'yaml';
import type { ConfigIssue } from '../../util/errors.js';
import type { PolicyWarning } from './policy-mapping.js';
import { locate } from './yaml-locate.js';

/** A path inside a policy file as text: `fields.phone[0].when`. */
export function dotted(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc === '' ? String(seg) : `${acc}.${String(seg)}`),
    '',
  );
}

const byLine = (a: { line?: number }, b: { line?: number }): number => (a.line ?? 0) - (b.line ?? 0);

/**
 * What the analysis of one policy file found: errors (`issues`) and warnings, each placed at its line in the file.
 * Every step of `analyzePolicy` reports here instead of throwing, so that one pass finds every problem.
 */
export class PolicyFindings {
  readonly #issues: ConfigIssue[] = [];
  readonly #warnings: PolicyWarning[] = [];

  constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly counter: LineCounter,
  ) {}

  /** An error at `path`; `keyOnly` points at the key rather than its value (for unknown keys). */
  fail(path: readonly PropertyKey[], message: string, keyOnly = false): void {
    this.#issues.push({ file: this.file, ...this.locate(path, keyOnly), path: dotted(path), message });
  }

  warn(path: readonly PropertyKey[], message: string): void {
    this.#warnings.push({ file: this.file, ...this.locate(path), path: dotted(path), message });
  }

  /** An error whose place the YAML parser already knows. */
  failAt(position: { line: number; column: number } | undefined, message: string): void {
    this.#issues.push({ file: this.file, ...(position ?? {}), path: '', message });
  }

  locate(path: readonly PropertyKey[], keyOnly = false): { line?: number; column?: number } {
    return locate(this.doc, this.counter, path, keyOnly);
  }

  /** True when an error was already reported at `path` or below it. */
  failedUnder(path: readonly PropertyKey[]): boolean {
    const prefix = dotted(path);
    return this.#issues.some((i) => i.path.startsWith(prefix));
  }

  get ok(): boolean {
    return this.#issues.length === 0;
  }

  /** Errors in line order. */
  issues(): ConfigIssue[] {
    return [...this.#issues].sort(byLine);
  }

  /** Warnings in line order. */
  warnings(): PolicyWarning[] {
    return [...this.#warnings].sort(byLine);
  }
}
