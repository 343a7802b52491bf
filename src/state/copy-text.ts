import { TandemError, EXIT } from '../util/errors.js';

/**
 * One cell of a row loaded by COPY: text (a jsonb value is given as its JSON text), a boolean, a finite number, a
 * Date (written as an ISO instant, for timestamptz) or null. A bigint column takes its value as decimal text.
 */
export type CopyValue = string | number | boolean | Date | null;

/** A value COPY cannot carry: U+0000 in text (Postgres stores no NUL), a non-finite number, a row of the wrong width. */
export class CopyValueError extends TandemError {
  constructor(message: string, context: Record<string, unknown>) {
    super(message, { code: 'COPY_VALUE_INVALID', context, exitCode: EXIT.failure });
  }
}

/** Rows per chunk of COPY text: chunks of a few hundred kB, never one string the size of the whole load. */
const ROWS_PER_CHUNK = 1000;

// U+0000 is matched on purpose: COPY cannot carry it, so it is refused (escapeSpecial) rather than sent.
// eslint-disable-next-line no-control-regex
const SPECIAL = /[\\\t\n\r\u0000]/;
// eslint-disable-next-line no-control-regex
const SPECIALS = /[\\\t\n\r\u0000]/g;

function escapeSpecial(char: string): string {
  switch (char) {
    case '\\':
      return '\\\\';
    case '\t':
      return '\\t';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    default:
      throw new CopyValueError('text with U+0000 cannot be stored in Postgres: make it storable before COPY', {});
  }
}

/**
 * A text value in COPY's text format: backslash, tab, newline and carriage return escaped (`\\`, `\t`, `\n`, `\r`);
 * every other character as it is. A value that reads like the NULL marker (`\N`) is escaped to `\\N`, so it stays text.
 */
export function copyTextField(text: string): string {
  return SPECIAL.test(text) ? text.replace(SPECIALS, escapeSpecial) : text;
}

function field(value: CopyValue): string {
  if (value === null) return '\\N';
  switch (typeof value) {
    case 'string':
      return copyTextField(value);
    case 'boolean':
      return value ? 't' : 'f';
    case 'number':
      if (!Number.isFinite(value)) throw new CopyValueError(`cannot COPY the number ${value}`, { value });
      return String(value);
    default:
      return value.toISOString();
  }
}

/**
 * Rows in COPY's text format (tab-separated, `\N` for NULL, one line per row), as chunks of whole lines in order.
 * Each row must have `width` values.
 */
export function copyText(rows: Iterable<readonly CopyValue[]>, width: number): { chunks: string[]; rowCount: number } {
  const chunks: string[] = [];
  let lines: string[] = [];
  let rowCount = 0;
  for (const row of rows) {
    if (row.length !== width)
      throw new CopyValueError(`a COPY row has ${row.length} values for ${width} columns`, { row: rowCount });
    let line = field(row[0] ?? null);
    for (let i = 1; i < width; i++) line += '\t' + field(row[i] ?? null);
    lines.push(line);
    rowCount += 1;
    if (lines.length === ROWS_PER_CHUNK) {
      chunks.push(lines.join('\n') + '\n');
      lines = [];
    }
  }
  if (lines.length > 0) chunks.push(lines.join('\n') + '\n');
  return { chunks, rowCount };
}
