import { JsonProgress } from './json-progress.js';
import { PlainProgress } from './plain-progress.js';
import type { ProgressOutput } from './progress-mode.js';
import { withNewline, type ProgressReporter, type ProgressStream } from './progress-reporter.js';
import { TtyProgress } from './tty-progress.js';

/** Shows nothing; `log` still prints. */
export class SilentProgress implements ProgressReporter {
  readonly output = 'none';
  readonly #stream: ProgressStream;
  constructor(stream: ProgressStream) {
    this.#stream = stream;
  }
  begin(): void {}
  step(): void {}
  event(): void {}
  end(): void {}
  log(text: string): void {
    this.#stream.write(withNewline(text));
  }
}

/** The reporter for a resolved `--progress` output, on `stream` (the process's stderr by default). */
export function createProgressReporter(
  output: ProgressOutput,
  stream: NodeJS.WritableStream & ProgressStream = process.stderr,
): ProgressReporter {
  switch (output) {
    case 'tty':
      return new TtyProgress(stream);
    case 'plain':
      return new PlainProgress(stream);
    case 'json':
      return new JsonProgress(stream);
    case 'none':
      return new SilentProgress(stream);
  }
}
