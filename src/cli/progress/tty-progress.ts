import { clearScreenDown } from 'node:readline';
import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../../pipeline/sync-object.js';
import { describeRow, formatDuration, ProgressBoard, type StageRow } from './progress-board.js';
import { withNewline, type ProgressReporter } from './progress-reporter.js';

/** What a bar shows: the title line, or one stage. */
type BarPayload = { readonly kind: 'title' } | { readonly kind: 'stage'; readonly row: StageRow };

/**
 * Live progress on a terminal, drawn by cli-progress's MultiBar: a title line (what runs, the current step, the time
 * since it began) and a bar per running stage with its count, rate, time and estimate. A finished stage leaves its
 * bar and is printed above the display as a line; log entries are printed above the display through MultiBar's
 * `log`, so they never run into the bars.
 */
export class TtyProgress implements ProgressReporter {
  readonly output = 'tty';
  readonly #stream: NodeJS.WritableStream;
  readonly #clock: () => number;
  readonly #fps: number;
  readonly #board = new ProgressBoard();
  readonly #bars = new Map<StageRow, cliProgress.SingleBar>();
  #multibar: cliProgress.MultiBar | null = null;
  #title = '';
  #step = '';
  #beganAt = 0;
  /** Log entries handed to MultiBar since its last redraw. */
  #pendingLogs = 0;

  constructor(stream: NodeJS.WritableStream, options: { clock?: () => number; fps?: number } = {}) {
    this.#stream = stream;
    this.#clock = options.clock ?? Date.now;
    this.#fps = options.fps ?? 10;
  }

  begin(title: string): void {
    if (this.#multibar) this.end();
    this.#board.clear();
    this.#title = title;
    this.#step = '';
    this.#beganAt = this.#clock();
    this.#multibar = new cliProgress.MultiBar({
      stream: this.#stream,
      fps: this.#fps,
      hideCursor: true,
      clearOnComplete: true,
      // tandem stops the display itself on SIGINT/SIGTERM (a run first reaches a safe point).
      gracefulExit: false,
      linewrap: false,
      barsize: 24,
      format: (options, params, payload: BarPayload) => this.#format(options, params.progress, payload),
    });
    // MultiBar writes buffered log entries from the top of the display down, over the bars' old lines, and clears
    // only the first: with several entries, the rest of a bar would stay beside an entry. Clearing below the cursor
    // first (at the top of the display, where the redraw starts) leaves each entry on a clean line.
    this.#multibar.on('redraw-pre', () => {
      if (this.#pendingLogs === 0) return;
      this.#pendingLogs = 0;
      clearScreenDown(this.#stream);
    });
    this.#multibar.create(1, 0, { kind: 'title' } satisfies BarPayload);
  }

  step(message: string): void {
    if (!this.#multibar) return this.log(message);
    this.#step = message;
  }

  event(event: ProgressEvent): void {
    const now = this.#clock();
    const change = this.#board.apply(event, now);
    const multibar = this.#multibar;
    if (!multibar) return;
    if (change.kind === 'finished') {
      const bar = this.#bars.get(change.row);
      if (bar) {
        multibar.remove(bar);
        this.#bars.delete(change.row);
      }
      this.log(`${describeRow(change.row, now)} (done)`);
      return;
    }
    if (change.kind === 'job' && change.row.finishedAt !== undefined) return;
    let bar = this.#bars.get(change.row);
    if (!bar) {
      bar = multibar.create(change.row.total ?? 0, change.row.done, {
        kind: 'stage',
        row: change.row,
      } satisfies BarPayload);
      this.#bars.set(change.row, bar);
    }
    if (change.row.total !== undefined) bar.setTotal(change.row.total);
    bar.update(change.row.done);
  }

  end(): void {
    const multibar = this.#multibar;
    if (!multibar) return;
    this.#multibar = null;
    // Writes the log lines still buffered, then clears the bars.
    multibar.update();
    multibar.stop();
    this.#bars.clear();
    this.#board.clear();
  }

  log(text: string): void {
    if (this.#multibar) {
      this.#pendingLogs += 1;
      this.#multibar.log(withNewline(text));
    } else this.#stream.write(withNewline(text));
  }

  #format(options: cliProgress.Options, progress: number, payload: BarPayload): string {
    const now = this.#clock();
    if (payload.kind === 'title') {
      const step = this.#step ? ` · ${this.#step}` : '';
      return `${this.#title}${step} · ${formatDuration(now - this.#beganAt)}`;
    }
    const row = payload.row;
    const bar = row.total !== undefined ? `[${cliProgress.Format.BarFormat(progress, options)}] ` : '';
    return `  ${bar}${describeRow(row, now)}`;
  }
}
