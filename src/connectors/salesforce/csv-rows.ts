import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';

/**
 * Parses a CSV byte stream (optionally gzip-compressed) into rows keyed by the header, one at a time, with
 * csv-parse: memory stays bounded by the stream's buffers whatever the size. Empty cells, quoted or not, are ''.
 *
 * @example
 * ```ts
 * for await (const row of csvRows(response.body, { gzip: true })) console.log(row['Id'])
 * ```
 */
export async function* csvRows(
  body: AsyncIterable<Uint8Array>,
  options: { gzip?: boolean } = {},
): AsyncGenerator<Record<string, string>> {
  const parser = parse({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: false });
  const source = Readable.from(body, { objectMode: false });
  const done = options.gzip ? pipeline(source, createGunzip(), parser) : pipeline(source, parser);
  // The pipeline's own promise is observed through the parser's iteration; keep it from being unhandled.
  done.catch(() => undefined);
  for await (const row of parser as AsyncIterable<Record<string, string>>) yield row;
  await done;
}
