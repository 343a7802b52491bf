import { stringify } from 'csv-stringify/sync';
import { TandemError } from '../../util/errors.js';
import { ReplayableUploadBody } from './replayable-upload-body.js';

/** A single record is larger than an upload may be. */
export class RecordTooLargeError extends TandemError {
  constructor(bytes: number, maxBytes: number) {
    super(
      `one Salesforce ingest record encodes to ${bytes} bytes of CSV (with the header), more than maxUploadBytes (${maxBytes}). ` +
        'Raise maxUploadBytes (up to 100 MB) or shorten the record.',
      { code: 'SALESFORCE_RECORD_TOO_LARGE', context: { bytes, maxBytes } },
    );
  }
}

/** Rows are encoded together (one csv-stringify call) in groups of up to this many. */
const GROUP_ROWS = 1_000;
/** ...or until their worst-case size reaches this, so a group never holds much. */
const GROUP_BYTES = 256 * 1024;
/** The first bytes of an upload are kept so that a refused PUT (429/503) can be sent again. */
export const REPLAY_BYTES = 8 * 1024 * 1024;

export interface IngestUploadOptions {
  /** The CSV header: every column a row may fill (a row's empty cell leaves that field alone). */
  readonly columns: readonly string[];
  /** The upload never passes this many bytes (header included). */
  readonly maxBytes: number;
  /** Sends the body (a PUT with chunked transfer); called once, at construction. */
  readonly send: (body: ReplayableUploadBody) => Promise<void>;
  readonly replayBytes?: number;
}

/**
 * The CSV upload of one ingest job, streamed while the rows arrive: the header goes first, rows are encoded with
 * csv-stringify a group at a time and written to the request body with backpressure, and the byte count is exact,
 * so the upload never passes `maxBytes` (`add` answers false for the row that would, and the caller starts another
 * job). Memory: one group of rows and the first `replayBytes` of the body, whatever the upload's size.
 *
 * @example
 * ```ts
 * const upload = new IngestUpload({ columns: ['Ext__c', 'Name'], maxBytes: 100e6, send: (body) => bulk.uploadJobStream(id, body) })
 * if (!(await upload.add(['k1', 'Acme']))) { await upload.finish(); ... next job ... }
 * await upload.finish()
 * ```
 */
export class IngestUpload {
  readonly columns: readonly string[];
  readonly maxBytes: number;
  readonly #body: ReplayableUploadBody;
  readonly #sent: Promise<void>;
  #failure: { error: unknown } | undefined;
  #header: string | undefined;
  /** Bytes written or encoded so far (exact), header included. */
  #bytes: number;
  #group: string[][] = [];
  /** Worst-case bytes of the rows in #group. */
  #groupBound = 0;
  #count = 0;

  constructor(options: IngestUploadOptions) {
    this.columns = options.columns;
    this.maxBytes = options.maxBytes;
    this.#header = stringify([options.columns], { record_delimiter: '\n' });
    this.#bytes = Buffer.byteLength(this.#header, 'utf8');
    this.#body = new ReplayableUploadBody(options.replayBytes ?? REPLAY_BYTES);
    this.#sent = options.send(this.#body).then(
      () => this.#body.settled(),
      (error: unknown) => {
        this.#failure = { error };
        this.#body.settled();
      },
    );
  }

  /** Records added. */
  get recordCount(): number {
    return this.#count;
  }

  /** Bytes of the upload so far (rows still in the current group counted at their worst case). */
  get byteBound(): number {
    return this.#bytes + this.#groupBound;
  }

  /**
   * Adds one row (a cell per column, '' for "leave alone") and resolves true, or resolves false and adds nothing when
   * it would take the upload past `maxBytes`. Throws RecordTooLargeError when the row does not fit even alone, and
   * the upload's error when the PUT already failed.
   */
  async add(cells: string[]): Promise<boolean> {
    this.#throwIfFailed();
    const bound = rowBound(cells);
    if (this.#bytes + this.#groupBound + bound <= this.maxBytes) {
      this.#group.push(cells);
      this.#groupBound += bound;
      this.#count += 1;
      if (this.#group.length >= GROUP_ROWS || this.#groupBound >= GROUP_BYTES) await this.#flush();
      return true;
    }
    // Near the limit: count exactly.
    await this.#flush();
    if (this.#bytes + bound <= this.maxBytes) {
      this.#group.push(cells);
      this.#groupBound += bound;
      this.#count += 1;
      return true;
    }
    const text = stringify([cells], { record_delimiter: '\n' });
    const bytes = Buffer.byteLength(text, 'utf8');
    if (this.#bytes + bytes > this.maxBytes) {
      if (this.#count === 0) throw new RecordTooLargeError(this.#bytes + bytes, this.maxBytes);
      return false;
    }
    this.#count += 1;
    await this.#write(text);
    return true;
  }

  /** Sends what is left, ends the body and waits for Salesforce's answer to the PUT (throws its error). */
  async finish(): Promise<void> {
    await this.#flush();
    this.#body.end();
    await this.#sent;
    this.#throwIfFailed();
  }

  /** Tears the PUT down (the job stays Open: resume aborts it) and waits until it is over. */
  async abort(error: Error): Promise<void> {
    this.#body.fail(error);
    await this.#sent;
  }

  async #flush(): Promise<void> {
    if (this.#group.length === 0 && this.#header === undefined) return;
    const text = this.#group.length > 0 ? stringify(this.#group, { record_delimiter: '\n' }) : '';
    this.#group = [];
    this.#groupBound = 0;
    await this.#write(text);
  }

  async #write(rows: string): Promise<void> {
    const text = this.#header === undefined ? rows : this.#header + rows;
    // The header was counted at construction; only rows add to the count.
    this.#bytes += Buffer.byteLength(rows, 'utf8');
    this.#header = undefined;
    if (text.length > 0) await this.#body.write(Buffer.from(text, 'utf8'));
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }
}

/**
 * The most bytes a row can take as CSV: every UTF-16 unit at most 3 UTF-8 bytes (a doubled quote is 2), two quotes
 * around each cell, a comma or newline after it. Cheap, so exact encoding waits for whole groups.
 */
function rowBound(cells: readonly string[]): number {
  let n = 0;
  for (const cell of cells) n += 3 * cell.length + 3;
  return n;
}
