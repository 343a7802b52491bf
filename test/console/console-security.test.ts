import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { startServe, type RunningServe } from '../../src/serve/serve-service.js';
import { silentLogger } from '../../src/util/logger.js';
import { API_TOKEN, createServeFixture, type ServeFixture } from '../support/serve-fixture.js';
import { scaled } from '../support/timeouts.js';

interface Answer {
  readonly status: number;
  readonly location: string | undefined;
  readonly cookies: readonly string[];
  readonly body: string;
}

/** `name=value` of each Set-Cookie, with its attributes. */
const setCookies = (header: string | string[] | undefined) => (header === undefined ? [] : [header].flat());

describe('the console refuses requests without the token, with a wrong one, and from other sites', () => {
  let fixture: ServeFixture;
  let service: RunningServe;

  const call = async (
    path: string,
    init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; form?: Record<string, string> } = {},
  ): Promise<Answer> => {
    const headers: Record<string, string> = { ...init.headers };
    let body: string | null = null;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await request(new URL(path, service.url), { method: init.method ?? 'GET', headers, body });
    const location = response.headers['location'];
    return {
      status: response.statusCode,
      location: typeof location === 'string' ? location : undefined,
      cookies: setCookies(response.headers['set-cookie']),
      body: await response.body.text(),
    };
  };
  const cookieHeader = (cookies: readonly string[]) => cookies.map((c) => c.split(';')[0]).join('; ');
  const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

  /** Signs in like a browser: the login page's CSRF cookie and token, then the token. Returns the cookies and a token. */
  const signIn = async (token = API_TOKEN) => {
    const page = await call('/ui/login');
    const csrfCookie = page.cookies.filter((c) => c.startsWith('tandem_csrf='));
    const answer = await call('/ui/login', {
      method: 'POST',
      headers: { cookie: cookieHeader(csrfCookie), origin: new URL(service.url).origin },
      form: { _csrf: csrfIn(page.body), token, next: '/ui/failed' },
    });
    const cookies = [...csrfCookie, ...answer.cookies.filter((c) => c.startsWith('tandem_session='))];
    const inside = await call('/ui/failed', { headers: { cookie: cookieHeader(cookies) } });
    return { answer, cookies, csrf: csrfIn(inside.body), inside };
  };

  beforeAll(async () => {
    fixture = await createServeFixture({ customers: 3 });
    const config = await loadConfig(fixture.configFile, fixture.env);
    service = await startServe({ config, logger: silentLogger(), token: API_TOKEN, port: 0 });
  }, scaled(120_000));
  afterAll(async () => {
    await service?.stop();
    await fixture?.close();
  });

  it('without the token or a session: pages redirect to the sign-in page, POSTs and downloads are refused', async () => {
    for (const path of ['/ui/', '/ui/runs', '/ui/runs/1', '/ui/conflicts', '/ui/failed', '/ui/timeline?q=C000001']) {
      const answer = await call(path);
      expect(answer.status, path).toBe(303);
      expect(answer.location, path).toBe(`/ui/login?next=${encodeURIComponent(path)}`);
    }
    const csv = await call('/ui/failed.csv');
    expect(csv.status).toBe(303);
    expect(csv.body).not.toContain('object,key');
    for (const path of ['/ui/runs/now', '/ui/failed/retry', '/ui/conflicts/resolve', '/ui/conflicts/resolve-selected'])
      expect((await call(path, { method: 'POST', form: { object: 'account' } })).status, path).toBe(401);
    // The login page and the assets are open; they hold nothing of the sync.
    expect((await call('/ui/login')).status).toBe(200);
    expect((await call('/ui/assets/console.css')).status).toBe(200);
    expect((await call('/ui/assets/uplot/uPlot.iife.min.js')).status).toBe(200);
  });

  it('a wrong token is refused: as a bearer header, at sign-in (no session cookie), and a forged cookie', async () => {
    for (const token of ['wrong-token', `${API_TOKEN}x`, API_TOKEN.slice(0, -1)]) {
      expect((await call('/ui/failed', { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
      const { answer, inside } = await signIn(token);
      expect(answer.status).toBe(401);
      expect(answer.body).toContain('not the API token');
      expect(answer.cookies.some((c) => c.startsWith('tandem_session='))).toBe(false);
      expect(inside.status).toBe(303);
    }
    const forged = [`v1.${Date.now()}`, `v1.${Date.now()}.c2lnbmF0dXJl`, API_TOKEN];
    for (const value of forged)
      expect((await call('/ui/failed', { headers: { cookie: `tandem_session=${value}` } })).status).toBe(303);
    // The right token as a bearer header works, as for the API.
    expect((await call('/ui/failed', { headers: { authorization: `Bearer ${API_TOKEN}` } })).status).toBe(200);
  });

  it('the session cookie is signed, HttpOnly, SameSite=Strict and is not the token; the API still wants its bearer token', async () => {
    const { answer, cookies, inside } = await signIn();
    expect(answer.status).toBe(303);
    expect(answer.location).toBe('/ui/failed');
    const session = answer.cookies.find((c) => c.startsWith('tandem_session='))!;
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Strict/);
    expect(session).not.toContain(API_TOKEN);
    expect(inside.status).toBe(200);
    // The cookie opens the console, not the API.
    expect((await call('/runs', { headers: { cookie: cookieHeader(cookies) } })).status).toBe(401);
    expect((await call('/runs', { headers: { authorization: `Bearer ${API_TOKEN}` } })).status).toBe(200);
    expect((await call('/runs')).status).toBe(401);
    // Signing out ends it in the browser (the cookie is cleared).
    const out = await call('/ui/logout', {
      method: 'POST',
      headers: { cookie: cookieHeader(cookies) },
      form: { _csrf: csrfIn(inside.body) },
    });
    expect(out.status).toBe(303);
    expect(out.cookies.find((c) => c.startsWith('tandem_session='))).toMatch(/Expires=Thu, 01 Jan 1970/);
  });

  it('cross-site state-changing requests are refused: another Origin, a cross-site fetch, no or a wrong CSRF token', async () => {
    const { cookies, csrf } = await signIn();
    expect(csrf).not.toBe('');
    const origin = new URL(service.url).origin;
    const runNow = (headers: Record<string, string>, form: Record<string, string>) =>
      call('/ui/runs/now', { method: 'POST', headers: { cookie: cookieHeader(cookies), ...headers }, form });
    expect((await runNow({ origin: 'http://evil.example' }, { _csrf: csrf })).status).toBe(403);
    expect((await runNow({ origin: 'null' }, { _csrf: csrf })).status).toBe(403);
    expect((await runNow({ 'sec-fetch-site': 'cross-site' }, { _csrf: csrf })).status).toBe(403);
    expect((await runNow({ origin }, {})).status).toBe(403);
    expect((await runNow({ origin }, { _csrf: `${csrf}x` })).status).toBe(403);
    // A cross-site sign-in is refused too (login CSRF).
    expect(
      (
        await call('/ui/login', {
          method: 'POST',
          headers: { origin: 'http://evil.example' },
          form: { token: API_TOKEN },
        })
      ).status,
    ).toBe(403);
    expect(await service.engine.store.runs.listRuns('servetest')).toHaveLength(0);
    // The same request from the console's own page goes through: a run is queued.
    const ok = await runNow({ origin, 'sec-fetch-site': 'same-origin' }, { _csrf: csrf });
    expect(ok.status).toBe(303);
    expect(new URL(ok.location ?? '', service.url).searchParams.get('ok')).toBe('queued a run of account');
  });
});
