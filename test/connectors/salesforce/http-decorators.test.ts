import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { withRetry } from '../../../src/connectors/salesforce/with-retry.js';
import { withAuth } from '../../../src/connectors/salesforce/with-auth.js';
import { withLimits } from '../../../src/connectors/salesforce/with-limits.js';
import { ApiLimits } from '../../../src/connectors/salesforce/api-limits.js';
import type { AccessToken, TokenProvider } from '../../../src/connectors/salesforce/oauth-token-provider.js';
import { QuotaExceededError, UnavailableError } from '../../../src/util/errors.js';

/** What the scripted server does with the n-th request: answer, or destroy the socket. */
type Step = { status: number; body?: string; headers?: Record<string, string> } | 'drop';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server?.closeAllConnections();
  server = undefined;
});

/** A real HTTP server on loopback answering requests from a script; records what it received. */
async function scripted(
  steps: Step[],
): Promise<{ url: string; seen: { method: string; auth: string; body: string }[] }> {
  const seen: { method: string; auth: string; body: string }[] = [];
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', auth: req.headers.authorization ?? '', body });
      const step = steps[seen.length - 1] ?? { status: 200, body: 'ok' };
      if (step === 'drop') {
        req.socket.destroy();
        return;
      }
      res.writeHead(step.status, { 'content-type': 'application/json', ...step.headers });
      res.end(step.body ?? '');
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`, seen };
}

const fast = { initialDelayMs: 1, maxDelayMs: 5, maxRetries: 4 };

describe('withRetry over a real socket', () => {
  it('retries a GET after 500 and a POST after 503 with Retry-After', async () => {
    const { url, seen } = await scripted([
      { status: 500 },
      { status: 200, body: 'a' },
      { status: 503, headers: { 'retry-after': '0' } },
      { status: 200, body: 'b' },
    ]);
    const http = withRetry(request, fast);
    expect(await (await http(url, { method: 'GET' })).body.text()).toBe('a');
    expect(await (await http(url, { method: 'POST', body: 'x' })).body.text()).toBe('b');
    expect(seen.map((s) => s.method)).toEqual(['GET', 'GET', 'POST', 'POST']);
    expect(seen[3]!.body).toBe('x');
  });

  it('never resends an upload after an ambiguous 500 or a dropped connection', async () => {
    const { url, seen } = await scripted([{ status: 500 }, 'drop']);
    const http = withRetry(request, fast);
    expect((await http(url, { method: 'PUT', body: 'rows' })).statusCode).toBe(500);
    await expect(http(url, { method: 'PUT', body: 'rows' })).rejects.toThrow(UnavailableError);
    expect(seen).toHaveLength(2);
  });

  it('replays a stream body through `replay` after a 429', async () => {
    const { url, seen } = await scripted([{ status: 429 }, { status: 201 }]);
    const parts = [Buffer.from('a,b\n'), Buffer.from('1,2\n')];
    const res = await withRetry(request, fast)(url, {
      method: 'PUT',
      body: Readable.from(parts),
      replay: () => Readable.from(parts),
    });
    expect(res.statusCode).toBe(201);
    expect(seen.map((s) => s.body)).toEqual(['a,b\n1,2\n', 'a,b\n1,2\n']);
  });

  it('gives up within the budget and returns the last answer', async () => {
    const { url, seen } = await scripted(Array.from({ length: 10 }, () => ({ status: 503 })));
    const res = await withRetry(request, { ...fast, maxRetries: 2 })(url, { method: 'GET' });
    expect(res.statusCode).toBe(503);
    expect(seen).toHaveLength(3);
  });
});

describe('withRetry against a host that never answered', () => {
  /** A loopback port with nothing listening: bind one, then close it. */
  async function closedPortUrl(): Promise<string> {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    return `http://127.0.0.1:${port}/x`;
  }

  it('gives up on a refused connection at start without spending the whole retry budget', async () => {
    const url = await closedPortUrl();
    const retries: string[] = [];
    const http = withRetry(request, {
      ...fast,
      initialDelayMs: 50,
      maxDelayMs: 50,
      maxRetries: 50,
      startupBudgetMs: 0,
      onRetry: (e) => retries.push(e.reason),
    });
    const failure = await http(url, { method: 'GET' }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(UnavailableError);
    expect((failure as UnavailableError).message).toContain('never answered');
    expect((failure as UnavailableError).context['code']).toBe('ECONNREFUSED');
    expect(retries).toEqual([]);
  });

  it('keeps retrying a refused connection once the host has answered (a mid-run outage)', async () => {
    const { url } = await scripted([{ status: 200, body: 'up' }]);
    const retries: string[] = [];
    const http = withRetry(request, {
      ...fast,
      maxRetries: 3,
      startupBudgetMs: 0,
      onRetry: (e) => retries.push(e.reason),
    });
    expect((await http(url, { method: 'GET' })).statusCode).toBe(200);
    await new Promise<void>((r) => server!.close(() => r()));
    server!.closeAllConnections();
    server = undefined;
    await expect(http(url, { method: 'GET' })).rejects.toThrow(UnavailableError);
    expect(retries).toEqual(['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);
  });
});

describe('withAuth', () => {
  it('refreshes the token once on 401 INVALID_SESSION_ID and retries; a second 401 is returned', async () => {
    const invalid = { status: 401, body: '[{"errorCode":"INVALID_SESSION_ID","message":"Session expired"}]' };
    const { url, seen } = await scripted([invalid, { status: 200, body: 'ok' }, invalid, invalid]);
    let n = 0;
    const tokens: TokenProvider & { invalidated: number } = {
      invalidated: 0,
      async getToken(): Promise<AccessToken> {
        return { accessToken: `t${n}`, instanceUrl: url, expiresAt: Infinity };
      },
      invalidate() {
        n += 1;
        this.invalidated += 1;
      },
    };
    const http = withAuth(request, tokens);
    expect(await (await http(url, { method: 'GET' })).body.text()).toBe('ok');
    expect(seen.map((s) => s.auth)).toEqual(['Bearer t0', 'Bearer t1']);
    const second = await http(url, { method: 'GET' });
    expect(second.statusCode).toBe(401);
    expect(await second.body.text()).toContain('INVALID_SESSION_ID');
    expect(tokens.invalidated).toBe(2);
  });
});

describe('withLimits', () => {
  it('turns 403 REQUEST_LIMIT_EXCEEDED into QuotaExceededError and passes other 403s through', async () => {
    const { url } = await scripted([
      { status: 200, headers: { 'sforce-limit-info': 'api-usage=10/100' } },
      { status: 403, body: '[{"errorCode":"INSUFFICIENT_ACCESS","message":"no"}]' },
      { status: 403, body: '[{"errorCode":"REQUEST_LIMIT_EXCEEDED","message":"TotalRequests Limit exceeded."}]' },
    ]);
    const limits = new ApiLimits({ reserveShare: 0.1 });
    const http = withLimits(request, limits);
    await (await http(url, { method: 'GET' })).body.text();
    expect(limits.usage).toEqual({ used: 10, max: 100 });
    const other = await http(url, { method: 'GET' });
    expect(other.statusCode).toBe(403);
    expect(await other.body.text()).toContain('INSUFFICIENT_ACCESS');
    await expect(http(url, { method: 'GET' })).rejects.toThrow(QuotaExceededError);
    expect(limits.calls).toBe(3);
  });
});
