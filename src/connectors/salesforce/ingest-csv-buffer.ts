import { stringify } from 'csv-stringify/sync';
import { TandemError } from '../../util/errors.js';

/** One record of an ingest upload: CSV cell text by column name (already encoded: `#N/A` for null). */
export type IngestRow = Readonly<Record<string, string>>;

interface SealedChunk {
  readonly ncols: number;
  readonly data: Buffer;
  /** End offset (exclusive, before the newline) of each row in `data`. */
  readonly rowEnds: readonly number[];
}

/** Rows are gathered into chunks of about this many bytes before being turned into one Buffer. */
// Small enough that a chunk's row strings usually die young (before V8 promotes them to the old generation).
const CHUNK_BYTES = 64 * 1024;

/** A single record is larger than an upload may be. */
export class RecordTooLargeError extends TandemError {
  constructor(bytes: number, maxBytes: number) {
    super(
      `one Salesforce ingest record encodes to ${bytes} bytes of CSV, more than maxUploadBytes (${maxBytes}). ` +
        'Raise maxUploadBytes (up to 100 MB) or shorten the record.',
      { code: 'SALESFORCE_RECORD_TOO_LARGE', context: { bytes, maxBytes } },
    );
  }
}

/**
 * Gathers the CSV of one ingest upload (one PUT) with csv-stringify, up to `maxBytes`. The header is the union of
 * the columns of the rows it holds, in first-seen order; a row that lacks a column gets an empty cell there, which
 * Bulk API reads as "leave the field alone". New columns are appended at the end, so rows encoded before a column
 * appeared are completed with trailing empty cells when the upload is taken.
 *
 * @example
 * ```ts
 * const buf = new IngestCsvBuffer(100 * 1024 * 1024)
 * if (!buf.add({ Ext__c: 'k1', Name: 'Acme' })) { await put(buf.take()); buf.add(row) }
 * ```
 */
export class IngestCsvBuffer {
  readonly maxBytes: number;
  #columns: string[] = [];
  #index = new Map<string, number>();
  #sealed: SealedChunk[] = [];
  #openRows: string[] = [];
  #openNcols = 0;
  #openBytes = 0;
  /** Bytes of all rows including their newline, without padding. */
  #rowBytes = 0;
  /** Sum over rows of the number of columns each row was encoded with (to know the padding needed). */
  #sumNcols = 0;
  #count = 0;
  #headerBytes = 0;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  get recordCount(): number {
    return this.#count;
  }

  /** Bytes `take()` would return now. */
  get byteLength(): number {
    return this.#projected(this.#columns);
  }

  /**
   * Adds a row if the upload stays within `maxBytes` and returns true; returns false (and adds nothing) when it
   * would not fit, so the caller uploads `take()` and adds the row again. Throws RecordTooLargeError when the row
   * would not fit even alone.
   */
  add(row: IngestRow): boolean {
    const names = Object.keys(row);
    const added = names.filter((n) => !this.#index.has(n));
    const columns = added.length === 0 ? this.#columns : [...this.#columns, ...added];
    const cells = columns.map((c) => row[c] ?? '');
    const text = stringify([cells], { record_delimiter: '\n' }).slice(0, -1);
    const bytes = Buffer.byteLength(text, 'utf8') + 1;
    const headerBytes = added.length === 0 ? this.#headerBytes : csvLineBytes(columns);
    const projected = headerBytes + this.#rowBytes + (this.#count * columns.length - this.#sumNcols) + bytes;
    if (projected > this.maxBytes) {
      if (this.#count === 0) throw new RecordTooLargeError(projected, this.maxBytes);
      return false;
    }
    for (const name of added) {
      this.#index.set(name, this.#columns.length);
      this.#columns.push(name);
    }
    this.#headerBytes = headerBytes;
    if (columns.length !== this.#openNcols || this.#openBytes >= CHUNK_BYTES) this.#seal();
    this.#openNcols = columns.length;
    this.#openRows.push(text);
    this.#openBytes += bytes;
    this.#rowBytes += bytes;
    this.#sumNcols += columns.length;
    this.#count += 1;
    return true;
  }

  /**
   * The upload's CSV (header + rows, LF line endings, UTF-8) as a list of buffers to send in order (not concatenated,
   * so an upload never needs twice its size in memory), and a fresh, empty buffer state.
   */
  take(): Buffer[] {
    this.#seal();
    const ncols = this.#columns.length;
    const parts: Buffer[] = [Buffer.from(stringify([this.#columns], { record_delimiter: '\n' }), 'utf8')];
    for (const chunk of this.#sealed) {
      if (chunk.ncols === ncols) {
        parts.push(chunk.data);
        continue;
      }
      const pad = Buffer.from(','.repeat(ncols - chunk.ncols) + '\n', 'utf8');
      let start = 0;
      for (const end of chunk.rowEnds) {
        parts.push(chunk.data.subarray(start, end), pad);
        start = end + 1;
      }
    }
    const out = parts;
    this.#columns = [];
    this.#index = new Map();
    this.#sealed = [];
    this.#rowBytes = 0;
    this.#sumNcols = 0;
    this.#count = 0;
    this.#headerBytes = 0;
    return out;
  }

  #projected(columns: readonly string[]): number {
    if (this.#count === 0) return 0;
    return this.#headerBytes + this.#rowBytes + (this.#count * columns.length - this.#sumNcols);
  }

  #seal(): void {
    if (this.#openRows.length === 0) return;
    const rowEnds: number[] = [];
    let offset = 0;
    for (const row of this.#openRows) {
      offset += Buffer.byteLength(row, 'utf8');
      rowEnds.push(offset);
      offset += 1;
    }
    this.#sealed.push({ ncols: this.#openNcols, data: Buffer.from(this.#openRows.join('\n') + '\n', 'utf8'), rowEnds });
    this.#openRows = [];
    this.#openBytes = 0;
  }
}

function csvLineBytes(cells: readonly string[]): number {
  return Buffer.byteLength(stringify([cells], { record_delimiter: '\n' }), 'utf8');
}
