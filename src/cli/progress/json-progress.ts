import type { ProgressEvent } from '../../pipeline/sync-object.js';
import { figuresOf, ProgressBoard } from './progress-board.js';
import { withNewline, type ProgressReporter, type ProgressStream } from './progress-reporter.js';

/** One progress line of `--progress json` (stderr): `type` tells it from a pino log line, which has `level`. */
export type ProgressJsonLine =
  | { readonly type: 'begin'; readonly time: string; readonly title: string }
  | { readonly type: 'step'; readonly time: string; readonly message: string }
  | {
      readonly type: 'progress';
      readonly time: string;
      readonly event: ProgressEvent;
      readonly elapsedMs: number;
      readonly perSecond: number | null;
      readonly etaSeconds: number | null;
    }
  | { readonly type: 'end'; readonly time: string };

/** Progress as JSON lines, one per event, for programs watching a run. */
export class JsonProgress implements ProgressReporter {
  readonly output = 'json';
  readonly #stream: ProgressStream;
  readonly #clock: () => number;
  readonly #board = new ProgressBoard();

  constructor(stream: ProgressStream, clock: () => number = Date.now) {
    this.#stream = stream;
    this.#clock = clock;
  }

  begin(title: string): void {
    this.#board.clear();
    this.#emit({ type: 'begin', time: this.#time(), title });
  }

  step(message: string): void {
    this.#emit({ type: 'step', time: this.#time(), message });
  }

  event(event: ProgressEvent): void {
    const now = this.#clock();
    const { row } = this.#board.apply(event, now);
    const figures = figuresOf(row, now);
    this.#emit({
      type: 'progress',
      time: new Date(now).toISOString(),
      event,
      elapsedMs: figures.elapsedMs,
      perSecond: figures.perSecond === undefined ? null : Math.round(figures.perSecond * 10) / 10,
      etaSeconds: figures.etaSeconds === undefined ? null : Math.round(figures.etaSeconds * 10) / 10,
    });
  }

  end(): void {
    this.#board.clear();
    this.#emit({ type: 'end', time: this.#time() });
  }

  log(text: string): void {
    this.#stream.write(withNewline(text));
  }

  #time(): string {
    return new Date(this.#clock()).toISOString();
  }

  #emit(line: ProgressJsonLine): void {
    this.#stream.write(JSON.stringify(line) + '\n');
  }
}
