import { randomBytes } from 'node:crypto';
import { lstat, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import type { PolicyMapping } from '../resolve/policy/policy-mapping.js';
import { mappingUsesFile, type PolicyCheckReport } from '../resolve/tooling/check-policy-files.js';
import { EXIT, TandemError } from '../util/errors.js';

/**
 * The console's policy editor, the parts without HTTP: which file a request may touch (only a policy file directly
 * in the configured conflict-rules directory), the checker's report as per-line diagnostics for the editor's gutter,
 * the list of files, and the write that saves one.
 */

/** A file name a policy may have: the same rule as a mapping's `policy:` in tandem.yaml (no folders, .yaml/.yml). */
const POLICY_FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*\.ya?ml$/;

/** A name that is not a policy file of the directory: a path, a traversal, another extension, a link. */
export class PolicyPathError extends TandemError {
  constructor(name: string, why: string) {
    super(`'${name}' is not a policy file of the conflict-rules directory: ${why}`, {
      code: 'POLICY_PATH_REFUSED',
      context: { name },
      exitCode: EXIT.usage,
    });
  }
}

/**
 * The absolute path of policy file `name` in `dir`, or a PolicyPathError: `name` must be a bare file name (letters,
 * digits, `_ - .`, ending in .yaml or .yml; no `/`, `\`, `..` or leading dot), so the path is always directly in
 * `dir`. Pure (see `assertPlainFile` for what is on disk).
 *
 * @example
 * ```ts
 * policyFileIn('/srv/tandem/conflict-rules', 'account.yaml') // '/srv/tandem/conflict-rules/account.yaml'
 * policyFileIn('/srv/tandem/conflict-rules', '../tandem.yaml') // throws PolicyPathError
 * ```
 */
export function policyFileIn(dir: string, name: string): string {
  if (name.includes('/') || name.includes('\\') || name.includes('\0'))
    throw new PolicyPathError(name, 'a file name, not a path');
  if (name.startsWith('.') || name.includes('..'))
    throw new PolicyPathError(name, 'a name may not start with a dot or contain ..');
  if (!POLICY_FILE_NAME.test(name))
    throw new PolicyPathError(name, 'letters, digits, _ - and ., ending in .yaml or .yml');
  const root = resolve(dir);
  const path = resolve(root, name);
  const inside = relative(root, path);
  if (inside !== name || inside.startsWith('..') || inside.includes(sep))
    throw new PolicyPathError(name, 'outside the directory');
  return path;
}

/** Refuses a path that exists and is not a regular file (a link could point outside the directory). */
export async function assertPlainFile(path: string): Promise<'file' | 'absent'> {
  const stat = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (stat === undefined) return 'absent';
  if (stat.isSymbolicLink() || !stat.isFile())
    throw new PolicyPathError(basename(path), 'not a regular file (a link or a folder)');
  return 'file';
}

/** One problem for the editor: its 1-based line in the text (file-level problems on line 1). */
export interface LineDiagnostic {
  readonly line: number;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  /** Where in the policy, e.g. `fields.city`; empty for the whole file. */
  readonly path: string;
  /** True when the checker gave no line (the problem is the file's, shown on line 1). */
  readonly fileLevel: boolean;
}

/**
 * The checker's report (`checkPolicyText`, the same as `tandem policy check`) as per-line diagnostics for `text`:
 * each at its line, clamped to the text's lines (a problem at the end of the text is on its last line), errors
 * before warnings on a line, in line order. Pure.
 */
export function diagnosticsByLine(
  text: string,
  report: Pick<PolicyCheckReport, 'errors' | 'warnings'>,
): LineDiagnostic[] {
  const lines = Math.max(1, text.split(/\r\n|\r|\n/).length - (/(\r\n|\r|\n)$/.test(text) ? 1 : 0));
  const of = (
    severity: LineDiagnostic['severity'],
    issue: { line?: number | undefined; message: string; path: string },
  ): LineDiagnostic => {
    const given = issue.line;
    const fileLevel = given === undefined || !Number.isFinite(given);
    const line = fileLevel ? 1 : Math.min(Math.max(1, Math.trunc(given)), lines);
    return { line, severity, message: issue.message, path: issue.path, fileLevel };
  };
  const all = [...report.errors.map((e) => of('error', e)), ...report.warnings.map((w) => of('warning', w))];
  const rank = (d: LineDiagnostic) => (d.severity === 'error' ? 0 : 1);
  return all
    .map((d, index) => ({ d, index }))
    .sort((a, b) => a.d.line - b.d.line || rank(a.d) - rank(b.d) || a.index - b.index)
    .map(({ d }) => d);
}

/** A policy file as the Policies page lists it. */
export interface PolicyFileEntry {
  readonly name: string;
  /** The mappings whose `policy:` names it. */
  readonly usedBy: readonly string[];
  readonly exists: boolean;
}

/** The policy files of `dir` (every .yaml/.yml in it) and those the mappings name, by name. */
export async function listPolicyFiles(dir: string, mappings: readonly PolicyMapping[]): Promise<PolicyFileEntry[]> {
  const names = new Set<string>();
  const present = new Set<string>();
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => []))
    if (entry.isFile() && POLICY_FILE_NAME.test(entry.name)) {
      names.add(entry.name);
      present.add(entry.name);
    }
  for (const m of mappings) if (m.policy && POLICY_FILE_NAME.test(m.policy)) names.add(m.policy);
  return [...names].sort().map((name) => ({
    name,
    usedBy: mappings.filter((m) => mappingUsesFile(m, name)).map((m) => m.object),
    exists: present.has(name),
  }));
}

/**
 * Writes `text` as policy file `name` of `dir`: to a temporary file beside it, then renamed over it, so a run that
 * reads the file meanwhile sees the old text or the new, never half of it.
 */
export async function writePolicyFile(dir: string, name: string, text: string): Promise<string> {
  const path = policyFileIn(dir, name);
  await assertPlainFile(path);
  const temporary = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, text, { encoding: 'utf8', flag: 'wx' });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return path;
}
