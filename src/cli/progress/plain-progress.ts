import type { ProgressEvent } from '../../pipeline/sync-object.js';
import { describeRow, ProgressBoard, type StageRow } from './progress-board.js';
import { withNewline, type ProgressReporter, type ProgressStream } from './progress-reporter.js';

/** A stage that runs longer than this without a line gets a line with its figures. */
const UPDATE_EVERY_MS = 10_000;

/**
 * Progress for logs and pipes: a line when a stage finishes (with its count, rate and time), when a bulk job changes
 * state, and every 10 s for a long stage. No escape codes, one complete line per write.
 */
export class PlainProgress implements ProgressReporter {
  readonly output = 'plain';
  readonly #stream: ProgressStream;
  readonly #clock: () => number;
  readonly #board = new ProgressBoard();
  readonly #lastLine = new Map<StageRow, number>();

  constructor(stream: ProgressStream, clock: () => number = Date.now) {
    this.#stream = stream;
    this.#clock = clock;
  }

  begin(title: string): void {
    this.#board.clear();
    this.#lastLine.clear();
    this.#line(title);
  }

  step(message: string): void {
    this.#line(`  ${message}`);
  }

  event(event: ProgressEvent): void {
    const now = this.#clock();
    const change = this.#board.apply(event, now);
    if (change.kind === 'started') this.#lastLine.set(change.row, now);
    else if (change.kind === 'finished') this.#line(`  ${describeRow(change.row, now)} (done)`);
    else if (change.kind === 'job') this.#line(`  ${change.row.label}: bulk job ${change.job.id} ${change.job.state}`);
    else if (now - (this.#lastLine.get(change.row) ?? change.row.startedAt) >= UPDATE_EVERY_MS) {
      this.#lastLine.set(change.row, now);
      this.#line(`  ${describeRow(change.row, now)}`);
    }
  }

  end(): void {
    this.#board.clear();
  }

  log(text: string): void {
    this.#stream.write(withNewline(text));
  }

  #line(text: string): void {
    this.#stream.write(withNewline(text));
  }
}
