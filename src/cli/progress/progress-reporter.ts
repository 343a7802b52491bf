import type { ProgressEvent } from '../../pipeline/sync-object.js';

/** A stream progress is shown on (stderr; tests pass their own). */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/**
 * Shows what a command is doing while it works. The pipeline only emits typed events; a reporter draws them: live
 * bars on a terminal (`tty`), a line per stage (`plain`), JSON lines (`json`) or nothing (`none`).
 */
export interface ProgressReporter {
  readonly output: 'tty' | 'plain' | 'json' | 'none';
  /** A run (or the demo) starts: what it is. */
  begin(title: string): void;
  /** What is happening now, outside the pipeline (starting databases, seeding, waiting for a safe point...). */
  step(message: string): void;
  /** A pipeline progress event. */
  event(event: ProgressEvent): void;
  /** The run ended: the display is cleared (what finished stays printed); nothing is drawn until the next `begin`. */
  end(): void;
  /** Prints text (a log entry, a story line) above the display, or straight to the stream when none is shown. */
  log(text: string): void;
}

export function withNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}
