import { PassThrough, type Readable } from 'node:stream';
import { TandemError } from '../../util/errors.js';

/** The upload went past the bytes kept for a replay, so it cannot be sent again. */
export class UploadNotReplayableError extends TandemError {
  constructor(bytesWritten: number, replayBytes: number) {
    super(
      `a streamed Salesforce upload cannot be sent again: ${bytesWritten} bytes were already produced and only the first ` +
        `${replayBytes} are kept for a retry. The write stops; the next run's resume aborts the still-Open job and the ` +
        'engine sends its records again.',
      { code: 'SALESFORCE_UPLOAD_NOT_REPLAYABLE', context: { bytesWritten, replayBytes } },
    );
  }
}

/**
 * A request body written while it is being sent (chunked transfer), that can still be sent again from the start while
 * it is small: the first `replayBytes` are kept (a "tape"), so a PUT refused with 429/503, or whose connection never
 * opened, is retried by `withRetry` through `replay`. Once more than `replayBytes` were written the tape is dropped
 * (memory stays bounded) and `replay` throws UploadNotReplayableError.
 *
 * The producer writes with `write` (awaiting backpressure of the attempt being sent) and finishes with `end`; `fail`
 * tears the attempt down (the request is aborted).
 *
 * @example
 * ```ts
 * const body = new ReplayableUploadBody(8 << 20)
 * const put = http(url, { method: 'PUT', body: body.open(), replay: () => body.replay() })
 * await body.write(Buffer.from('Id\n001...\n')); body.end(); await put
 * ```
 */
export class ReplayableUploadBody {
  readonly replayBytes: number;
  #tape: Buffer[] | undefined = [];
  #written = 0;
  #ended = false;
  #settled = false;
  #current: PassThrough | undefined;
  /** Wakes a producer waiting for 'drain' when the attempt it waited on is replaced. */
  #wake: (() => void) | undefined;

  constructor(replayBytes: number) {
    this.replayBytes = replayBytes;
  }

  /** Bytes written so far. */
  get bytesWritten(): number {
    return this.#written;
  }

  /** The stream of the first attempt. */
  open(): Readable {
    if (this.#current) throw new Error('ReplayableUploadBody.open called twice; use replay for another attempt');
    this.#current = new PassThrough();
    return this.#current;
  }

  /** A fresh stream for another attempt: the kept bytes, then whatever is written from now on. */
  replay(): Readable {
    if (!this.#tape) throw new UploadNotReplayableError(this.#written, this.replayBytes);
    this.#current?.destroy();
    const next = new PassThrough();
    for (const chunk of this.#tape) next.write(chunk);
    if (this.#ended) next.end();
    this.#current = next;
    this.#wakeProducer();
    return next;
  }

  /**
   * Writes a chunk to the attempt being sent; resolves when it may take more. While an attempt was torn down and
   * `withRetry` has not asked for the next one yet, it waits (so the producer never runs past the kept bytes during a
   * backoff); `settled` (the request is over) ends every wait.
   */
  async write(chunk: Buffer): Promise<void> {
    this.#written += chunk.length;
    if (this.#tape) {
      if (this.#written <= this.replayBytes) this.#tape.push(chunk);
      else this.#tape = undefined;
    }
    const first = this.#current;
    if (first && !first.destroyed) first.write(chunk);
    while (!this.#settled) {
      const current = this.#current;
      if (current && !current.destroyed && !current.writableNeedDrain) return;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          current?.off('drain', done);
          current?.off('close', done);
          if (this.#wake === done) this.#wake = undefined;
          resolve();
        };
        if (current && !current.destroyed) {
          current.once('drain', done);
          current.once('close', done);
        }
        this.#wake = done;
      });
    }
  }

  /** The request is over (answered or failed): no attempt will take more data, so writes stop waiting. */
  settled(): void {
    this.#settled = true;
    this.#tape = undefined;
    this.#wakeProducer();
  }

  /** Ends the body (every attempt from now on ends after the kept bytes). */
  end(): void {
    this.#ended = true;
    this.#current?.end();
  }

  /** Aborts the attempt being sent, so the request fails with `error`. */
  fail(error: Error): void {
    this.#tape = undefined;
    this.#current?.destroy(error);
    this.#wakeProducer();
  }

  #wakeProducer(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
