/**
 * The admin console of `tandem serve`, under /ui: server-rendered HTML (the `html` tag escapes every value), a little
 * plain client code from assets/console/, and uPlot for the charts, all served by tandem (nothing from the internet).
 *
 * - console-plugin.ts (this file): one fastify plugin scope with cookies, form bodies, CSRF, static assets, the guard
 *   and the pages;
 * - console-auth.ts: sign-in with the API token, the signed session cookie, the CSRF and Origin checks;
 * - console-page.ts: the page interface, the layout and small helpers; html.ts: the escaping template tag;
 * - pages/NAME-page.ts: one page each, listed in console-pages.ts.
 *
 * Adding a page: write `pages/NAME-page.ts` exporting a `ConsolePage` ({ path, title, register(app, ctx) }); its
 * routes are under `/ui${path}`, render with `renderPage(reply, ctx, { title, active: path, body })`, and change
 * state only in POST routes whose forms carry `csrfField(csrfToken(reply))`; add it to CONSOLE_PAGES. The guard
 * covers every route of the scope. docs/console.md has the same, with the screenshots.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { packageRoot } from '../state/package-root.js';
import { cookieSecret, registerConsoleAuth } from './console-auth.js';
import type { ConsoleContext } from './console-context.js';
import { setNavigation, type ConsolePage } from './console-page.js';
import { CONSOLE_PAGES } from './console-pages.js';

export interface ConsoleOptions {
  /** The API token: signing in takes it; the session cookie is signed with a key derived from it. */
  readonly token: string;
  readonly context: ConsoleContext;
  /** Default CONSOLE_PAGES. */
  readonly pages?: readonly ConsolePage[];
}

/** Where the console's own client code and CSS are (assets/console/ in the package). */
export function consoleAssetsDir(): string {
  return join(packageRoot(), 'assets', 'console');
}

/** uPlot's built files, served from node_modules. */
function uplotDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

/** Registers the console under /ui on `app` (in a scope of its own: the API's routes see none of its plugins). */
export async function registerConsole(app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  const pages = options.pages ?? CONSOLE_PAGES;
  setNavigation(pages);
  await app.register(async (scope) => {
    await scope.register(fastifyCookie, { secret: cookieSecret(options.token) });
    await scope.register(fastifyFormbody);
    await scope.register(fastifyCsrf, {
      sessionPlugin: '@fastify/cookie',
      cookieKey: 'tandem_csrf',
      cookieOpts: { signed: true, httpOnly: true, sameSite: 'strict', path: '/ui' },
    });
    await scope.register(fastifyStatic, {
      root: consoleAssetsDir(),
      prefix: '/ui/assets/',
      wildcard: false,
      decorateReply: false,
    });
    await scope.register(fastifyStatic, {
      root: uplotDir(),
      prefix: '/ui/assets/uplot/',
      wildcard: false,
      decorateReply: false,
      allowedPath: (path) => path.startsWith('/uPlot.'),
    });
    scope.addHook('onSend', async (request, reply, payload) => {
      void reply.headers(SECURITY_HEADERS);
      if (!request.url.startsWith('/ui/assets/')) void reply.header('cache-control', 'no-store');
      return payload;
    });
    registerConsoleAuth(scope, options.token, () => options.context.now());
    scope.get('/ui', async (_request, reply) => reply.redirect('/ui/', 302));
    for (const page of pages) page.register(scope, options.context);
  });
}
