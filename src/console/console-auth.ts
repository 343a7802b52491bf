import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { html } from './html.js';
import { csrfField, csrfToken } from './console-page.js';

/** The session cookie: the time it was issued, signed (HMAC-SHA256) with a key derived from the API token. */
export const SESSION_COOKIE = 'tandem_session';
/** How long a sign-in lasts. */
export const SESSION_HOURS = 12;

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The key that signs the console's cookies: derived from the token, so changing the token ends every session. */
export function cookieSecret(token: string): string {
  return createHmac('sha256', token).update('tandem console cookie v1').digest('base64url');
}

/** Whether `given` is the API token (constant time). */
export function isToken(given: unknown, token: string): boolean {
  return typeof given === 'string' && timingSafeEqual(digest(given), digest(token));
}

function bearerOk(request: FastifyRequest, token: string): boolean {
  const header = request.headers.authorization;
  return typeof header === 'string' && header.startsWith('Bearer ') && isToken(header.slice(7), token);
}

/** Whether the request carries a valid, unexpired session cookie. */
function sessionOk(request: FastifyRequest, now: number): boolean {
  const value = request.cookies[SESSION_COOKIE];
  if (!value) return false;
  const unsigned = request.unsignCookie(value);
  if (!unsigned.valid || unsigned.value === null) return false;
  const issued = Number(/^v1\.(\d+)$/.exec(unsigned.value)?.[1]);
  return Number.isFinite(issued) && issued <= now + 60_000 && now - issued < SESSION_HOURS * 3600_000;
}

/** Where a sign-in may send the browser back to: a console path, never another site. */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/ui(\/[^/\\]|\/?$|\?)/.test(next) && !next.includes('//') ? next : '/ui/';
}

/**
 * The requesting page's origin must be this console's: the Origin header when the browser sends one, else
 * Sec-Fetch-Site; a request with neither (a script, not a browser) passes this check and still needs the CSRF token.
 */
export function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  // The host, not the scheme: behind a proxy that ends TLS the browser's origin is https and the request http.
  if (typeof origin === 'string') return URL.canParse(origin) && new URL(origin).host === request.host;
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin' || site === 'none';
  return true;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function loginPage(reply: FastifyReply, next: string, error: string | null, status: number): FastifyReply {
  const body = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Sign in · tandem</title>
        <link rel="stylesheet" href="/ui/assets/console.css" />
      </head>
      <body class="login">
        <main id="main">
          <h1>tandem console</h1>
          ${error ? html`<p class="notice error" role="alert">${error}</p>` : ''}
          <form method="post" action="/ui/login">
            ${csrfField(csrfToken(reply))}
            <input type="hidden" name="next" value="${next}" />
            <label for="token">API token</label>
            <input id="token" name="token" type="password" autocomplete="current-password" required autofocus />
            <p class="hint">The value of the variable named in serve.tokenEnv (the API's bearer token).</p>
            <button type="submit">Sign in</button>
          </form>
        </main>
      </body>
    </html>`;
  return reply.code(status).type('text/html; charset=utf-8').send(body.text);
}

/**
 * The console's guard, in its own plugin scope: every route but the sign-in page and the assets needs a session
 * cookie (or the API's bearer header); every state-changing request needs a same-origin Origin and the CSRF token
 * (a request with the bearer header needs no CSRF token: a browser never sends that header across sites).
 */
export function registerConsoleAuth(app: FastifyInstance, token: string, now: () => Date): void {
  const open = (url: string | undefined) => url === '/ui/login' || (url ?? '').startsWith('/ui/assets/');

  app.addHook('onRequest', async (request, reply) => {
    if (UNSAFE.has(request.method) && !sameOrigin(request))
      return reply.code(403).type('text/plain').send('cross-site request refused');
    if (open(request.routeOptions.url)) return;
    if (bearerOk(request, token) || sessionOk(request, now().getTime())) return;
    if (request.method === 'GET' && !request.headers.authorization)
      return reply.redirect(`/ui/login?next=${encodeURIComponent(request.url)}`, 303);
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer')
      .type('text/plain')
      .send('sign in at /ui/login, or send the API token as a bearer header');
  });

  app.addHook('preHandler', (request, reply, done) => {
    if (!UNSAFE.has(request.method) || bearerOk(request, token)) return done();
    app.csrfProtection(request, reply, done);
  });

  app.get('/ui/login', async (request, reply) =>
    loginPage(reply, safeNext((request.query as { next?: unknown }).next), null, 200),
  );

  app.post('/ui/login', async (request, reply) => {
    const body = (request.body ?? {}) as { token?: unknown; next?: unknown };
    const next = safeNext(body.next);
    if (!isToken(body.token, token)) return loginPage(reply, next, 'That is not the API token.', 401);
    void reply.setCookie(SESSION_COOKIE, `v1.${now().getTime()}`, {
      signed: true,
      httpOnly: true,
      sameSite: 'strict',
      secure: request.protocol === 'https',
      path: '/ui',
      maxAge: SESSION_HOURS * 3600,
    });
    return reply.redirect(next, 303);
  });

  app.post('/ui/logout', async (_request, reply) => {
    void reply.clearCookie(SESSION_COOKIE, { path: '/ui' });
    return reply.redirect('/ui/login', 303);
  });
}
