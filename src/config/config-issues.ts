import { ConfigError, type ConfigIssue } from '../util/errors.js';

/** `tandem.yaml:12:5 objects.account.fields.phone.transforms[0]: unknown transform 'phon'; ...` */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where =
    issue.line === undefined
      ? issue.file
      : `${issue.file}:${issue.line}${issue.column === undefined ? '' : `:${issue.column}`}`;
  return issue.path === '' ? `${where}: ${issue.message}` : `${where} ${issue.path}: ${issue.message}`;
}

/** Issues in file order (those without a line first). */
export function sortConfigIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

/** A ConfigError whose message lists every issue, one per line, in file order. */
export function configErrorOf(file: string, issues: readonly ConfigIssue[]): ConfigError {
  const sorted = sortConfigIssues(issues);
  const count = sorted.length === 1 ? '1 problem' : `${sorted.length} problems`;
  const message = [
    `${file} is not a valid tandem configuration (${count}):`,
    ...sorted.map((i) => `  ${formatConfigIssue(i)}`),
  ].join('\n');
  return new ConfigError(message, Object.freeze(sorted.map((i) => Object.freeze({ ...i }))));
}
