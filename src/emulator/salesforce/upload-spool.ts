import { randomBytes } from 'node:crypto';
import { createWriteStream, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { errorCodes } from 'fastify';

/**
 * Where an ingest upload goes instead of memory: a fastify preParsing stream that writes every chunk of the request
 * body to a temp file and passes nothing on (the route's body parser then sees an empty body). It reports the bytes
 * it took as `receivedEncodedLength`, so fastify's Content-Length check still applies, and it fails with fastify's
 * own FST_ERR_CTP_BODY_TOO_LARGE past `limit` (a chunked upload has no Content-Length to refuse up front).
 * Failing (a broken or aborted request, a body too large) removes the file; after a complete body the handler
 * either keeps it (the job owns it then, see discardUpload) or discards it.
 */
export class UploadSpool extends Transform {
  readonly path: string;
  bytes = 0;
  /** Read by fastify to compare with Content-Length. */
  receivedEncodedLength = 0;
  readonly #file: WriteStream;
  readonly #limit: number;
  #kept = false;
  #complete = false;

  constructor(limit: number) {
    super();
    this.#limit = limit;
    this.path = join(tmpdir(), `tandem-sf-upload-${process.pid}-${randomBytes(8).toString('hex')}.csv`);
    this.#file = createWriteStream(this.path);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.receivedEncodedLength = this.bytes;
    if (this.bytes > this.#limit) {
      callback(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
      return;
    }
    if (this.#file.write(chunk)) callback();
    else this.#file.once('drain', () => callback());
  }

  override _flush(callback: TransformCallback): void {
    this.#file.end(() => {
      this.#complete = true;
      callback();
    });
  }

  /** The job takes the file over (it is no longer removed when this stream is destroyed). */
  keep(): string {
    this.#kept = true;
    return this.path;
  }

  /** Removes the file unless a job kept it. */
  discard(): void {
    if (this.#kept) return;
    // Until the file stream has closed, its (asynchronous) open may still create the file: remove it after that.
    if (this.#file.closed) removeFile(this.path);
    else {
      this.#file.once('close', () => removeFile(this.path));
      this.#file.destroy();
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (error !== null || !this.#complete) this.discard();
    callback(error);
  }
}

/** Removes a spooled upload; a missing file is fine. */
export function removeFile(path: string): void {
  rmSync(path, { force: true });
}
