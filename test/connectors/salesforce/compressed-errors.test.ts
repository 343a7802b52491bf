import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../../../src/emulator/salesforce/index.js';
import type { SalesforceConnector } from '../../../src/connectors/salesforce/salesforce-connector.js';
import { bufferedResponse, type HttpClient } from '../../../src/connectors/salesforce/http-client.js';
import { withContentDecoding } from '../../../src/connectors/salesforce/with-content-decoding.js';
import { EXIT, QuotaExceededError, TandemError, UnavailableError } from '../../../src/util/errors.js';
import { MemoryJobLedger } from '../../support/memory-job-ledger.js';
import { accountStream as stream, batchesOf, byKey, collect, connectTo, upserts } from './harness.js';

let emu: RunningSalesforceEmulator;
let crm: SalesforceConnector | undefined;

beforeEach(async () => {
  emu = await startSalesforceEmulator({ port: 0 });
});

afterEach(async () => {
  await crm?.close();
  crm = undefined;
  await emu.close();
});

/** undici's request, calling `before` with the method and path of each call first. */
function hookedHttp(before: (method: string, path: string) => void): HttpClient {
  return async (url, options) => {
    before(options.method, new URL(url).pathname);
    return request(url, options);
  };
}

describe('error answers compressed with gzip (the result download sends Accept-Encoding: gzip)', () => {
  it('the emulator compresses an error answer when the request accepts gzip', async () => {
    emu.setFaults({ quotaExhausted: true });
    const res = await request(`${emu.url}/services/data/v62.0/limits`, {
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-encoding']).toBe('gzip');
    const raw = Buffer.from(await res.body.arrayBuffer());
    expect(raw[0]).toBe(0x1f); // gzip magic
  });

  it('a gzip 401 INVALID_SESSION_ID on a result download refreshes the token and the write completes', async () => {
    let expired = false;
    crm = connectTo(
      emu,
      {},
      hookedHttp((method, path) => {
        if (!expired && method === 'GET' && path.endsWith('/successfulResults')) {
          // Every token issued so far is now expired; the next token request ends the fault again.
          expired = true;
          emu.setFaults({ tokenTtlSeconds: 0 });
        } else if (expired && path === '/services/oauth2/token') emu.setFaults({});
      }),
    );
    await crm.init([stream]);
    const results = byKey(
      await collect(crm.createSink().write(stream, batchesOf(upserts(5)), { ledger: new MemoryJobLedger() })),
    );
    expect(expired).toBe(true);
    expect(results.size).toBe(5);
    for (const r of results.values()) expect(r.status).toBe('created');
    expect(crm.tokens.fetches).toBe(2);
  });

  it('a gzip 403 REQUEST_LIMIT_EXCEEDED on a result download stops the run with the quota error (exit 3)', async () => {
    crm = connectTo(
      emu,
      {},
      hookedHttp((method, path) => {
        if (method === 'GET' && path.endsWith('/successfulResults')) emu.setFaults({ quotaExhausted: true });
      }),
    );
    await crm.init([stream]);
    const error = await collect(
      crm.createSink().write(stream, batchesOf(upserts(3)), { ledger: new MemoryJobLedger() }),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect((error as TandemError).exitCode).toBe(EXIT.quota);
    expect((error as Error).message).toContain('REQUEST_LIMIT_EXCEEDED');
  });
});

describe('withContentDecoding', () => {
  const answer =
    (body: Buffer, headers: Record<string, string>): HttpClient =>
    () => {
      const r = bufferedResponse(400, headers, '');
      return Promise.resolve({
        ...r,
        body: { ...r.body, [Symbol.asyncIterator]: () => Readable.from([body])[Symbol.asyncIterator]() },
      });
    };

  it('decodes gzip, deflate and br, and drops Content-Encoding and Content-Length', async () => {
    const text = '[{"errorCode":"INVALID_SESSION_ID","message":"Session expired or invalid"}]';
    const { deflateSync, brotliCompressSync } = await import('node:zlib');
    for (const [coding, bytes] of [
      ['gzip', gzipSync(text)],
      ['deflate', deflateSync(text)],
      ['br', brotliCompressSync(text)],
      ['gzip, br', brotliCompressSync(gzipSync(text))],
    ] as const) {
      const http = withContentDecoding(
        answer(bytes, { 'Content-Encoding': coding, 'content-length': String(bytes.length) }),
      );
      const res = await http('https://x.test/a', { method: 'GET' });
      const chunks: Uint8Array[] = [];
      for await (const c of res.body) chunks.push(c);
      expect(Buffer.concat(chunks).toString('utf8'), coding).toBe(text);
      expect(res.headers).toEqual({});
    }
    const viaText = await withContentDecoding(answer(gzipSync(text), { 'content-encoding': 'gzip' }))(
      'https://x.test/a',
      {
        method: 'GET',
      },
    );
    expect(await viaText.body.json()).toEqual([
      { errorCode: 'INVALID_SESSION_ID', message: 'Session expired or invalid' },
    ]);
  });

  it('refuses a coding it cannot undo with a named error', async () => {
    const http = withContentDecoding(answer(Buffer.from('x'), { 'content-encoding': 'zstd' }));
    await expect(http('https://x.test/a', { method: 'GET' })).rejects.toThrow(UnavailableError);
  });
});
