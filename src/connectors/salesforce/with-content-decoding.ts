import { pipeline, Readable, type Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { UnavailableError } from '../../util/errors.js';
import { safePath } from './errors.js';
import { headerValue, type HttpBody, type HttpClient, type HttpResponse } from './http-client.js';

/** Content codings tandem can undo, by their token in `Content-Encoding`. */
const DECODERS: Readonly<Record<string, () => Transform>> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/**
 * Decodes every response body by its `Content-Encoding` (gzip, deflate, br) before anyone reads it, whatever the
 * status: an error answer (`401 INVALID_SESSION_ID`, `403 REQUEST_LIMIT_EXCEEDED`) compressed because the request
 * sent `Accept-Encoding: gzip` is classified by its text like an uncompressed one. The body stays a stream (large
 * result files are decoded as they arrive); the decoded response has no `Content-Encoding` or `Content-Length`.
 * An unknown coding is refused with a named error instead of being handed on as bytes nobody can read. Put it
 * innermost, directly over the transport.
 *
 * @example
 * ```ts
 * const http = withAuth(withRetry(withLimits(withContentDecoding(request), limits)), tokens)
 * ```
 */
export function withContentDecoding(client: HttpClient): HttpClient {
  return async (url, request) => {
    const response = await client(url, request);
    const header = headerValue(response, 'content-encoding');
    const codings = (header ?? '')
      .split(',')
      .map((c) => c.trim().toLowerCase())
      .filter((c) => c !== '' && c !== 'identity');
    if (codings.length === 0) return response;
    const decoders: (() => Transform)[] = [];
    // Codings are listed in the order they were applied, so they are undone from the last.
    for (const coding of [...codings].reverse()) {
      const decoder = DECODERS[coding];
      if (!decoder) {
        await response.body.dump?.().catch(() => undefined);
        throw new UnavailableError(
          `Salesforce ${request.method} ${safePath(url)} answered ${response.statusCode} with Content-Encoding '${header}', ` +
            `which tandem cannot decode (it understands ${Object.keys(DECODERS).join(', ')}).`,
          { method: request.method, path: safePath(url), status: response.statusCode, contentEncoding: header ?? '' },
        );
      }
      decoders.push(decoder);
    }
    const headers: HttpResponse['headers'] = {};
    for (const [name, value] of Object.entries(response.headers)) {
      const lower = name.toLowerCase();
      if (lower !== 'content-encoding' && lower !== 'content-length') headers[name] = value;
    }
    return { statusCode: response.statusCode, headers, body: decodedBody(response.body, decoders) };
  };
}

/** A body that is decoded on first read; `dump` before any read discards the raw bytes without decoding them. */
function decodedBody(raw: HttpBody, decoders: readonly (() => Transform)[]): HttpBody {
  let decoded: Readable | undefined;
  const stream = (): Readable => {
    if (!decoded) {
      const stages: Transform[] = decoders.map((make) => make());
      // pipeline destroys every stage with the first error, so a dropped connection surfaces from the last one
      // with its own code (the retry and restart logic looks at it).
      const last = stages.at(-1);
      if (last === undefined) throw new TypeError('decodedBody needs at least one decoder');
      const streams: (Readable | Transform)[] = [Readable.from(raw, { objectMode: false }), ...stages];
      pipeline(streams, () => undefined);
      decoded = last;
    }
    return decoded;
  };
  const text = async (): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of stream()) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  return {
    text,
    json: async () => JSON.parse(await text()) as unknown,
    dump: async () => {
      if (decoded) {
        decoded.destroy();
        return;
      }
      if (raw.dump) await raw.dump();
      else for await (const _ of raw) void _;
    },
    [Symbol.asyncIterator]: () => stream()[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>,
  };
}
