import { UsageError } from '../cli-errors.js';

/** What `--progress` accepts. */
export const PROGRESS_MODES = ['auto', 'tty', 'plain', 'json', 'none'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

/** How progress is actually shown once `auto` is decided. */
export type ProgressOutput = Exclude<ProgressMode, 'auto'>;

export class UnknownProgressModeError extends UsageError {
  constructor(value: string) {
    super(
      `--progress must be one of ${PROGRESS_MODES.join(', ')} (got ${JSON.stringify(value)}). Fix: e.g. --progress plain for line-per-stage output, --progress json for JSON lines on stderr`,
      { progress: value, allowed: PROGRESS_MODES },
    );
  }
}

export function parseProgressMode(value: string): ProgressMode {
  const found = PROGRESS_MODES.find((mode) => mode === value);
  if (!found) throw new UnknownProgressModeError(value);
  return found;
}

/**
 * Decides how progress is shown: `auto` draws live bars on a terminal, prints a line per stage when stderr is not a
 * terminal, and shows nothing with `--json` (stdout and stderr stay machine-readable; ask for `json` to get progress
 * events as JSON lines on stderr). `tty` on a stream that is not a terminal falls back to `plain`.
 */
export function resolveProgressOutput(
  requested: ProgressMode,
  context: { readonly json: boolean; readonly isTTY: boolean },
): ProgressOutput {
  if (requested === 'auto') {
    if (context.json) return 'none';
    return context.isTTY ? 'tty' : 'plain';
  }
  if (requested === 'tty' && !context.isTTY) return 'plain';
  return requested;
}
