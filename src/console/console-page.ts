import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ConsoleContext } from './console-context.js';
import { html, type SafeHtml } from './html.js';

/**
 * One page of the console (see docs/console.md, "Adding a page"): its path under /ui, its title in the navigation,
 * and the routes it registers. Routes render with `renderPage`; state-changing routes are POSTs, which the console's
 * hooks check (session, CSRF token, Origin) before the handler runs.
 */
export interface ConsolePage {
  /** The page's path under /ui, e.g. `/conflicts`. */
  readonly path: string;
  /** Its title, shown in the navigation. */
  readonly title: string;
  register(app: FastifyInstance, ctx: ConsoleContext): void;
}

/** The CSS class and accessible label of a notice shown on top of a page. */
export interface Notice {
  readonly kind: 'ok' | 'error';
  readonly text: string;
}

/** The pages in the navigation, set once by the console plugin. */
let navigation: readonly ConsolePage[] = [];
export function setNavigation(pages: readonly ConsolePage[]): void {
  navigation = pages;
}

/** The CSRF token for a page's forms (@fastify/csrf-protection, bound to the secret in its signed cookie). */
export function csrfToken(reply: FastifyReply): string {
  return reply.generateCsrf();
}

/** A hidden field with the CSRF token: put it in every form that POSTs. */
export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${token}" />`;
}

/** The notice passed through a redirect after a POST (`?ok=` or `?error=`). */
export function noticeOf(request: FastifyRequest): Notice | null {
  const query = request.query as { ok?: unknown; error?: unknown };
  if (typeof query.error === 'string' && query.error) return { kind: 'error', text: query.error };
  if (typeof query.ok === 'string' && query.ok) return { kind: 'ok', text: query.ok };
  return null;
}

/** Redirects (303) to a console path with a notice, after a POST. */
export function redirectWith(reply: FastifyReply, path: string, notice: Notice): FastifyReply {
  const url = new URL(path, 'http://console.invalid');
  url.searchParams.delete('ok');
  url.searchParams.delete('error');
  url.searchParams.set(notice.kind, notice.text);
  return reply.redirect(`${url.pathname}${url.search}`, 303);
}

export interface PageView {
  readonly title: string;
  /** The navigation entry to mark as current. */
  readonly active: string;
  readonly body: SafeHtml;
  readonly csrf: string;
  readonly notice?: Notice | null;
  /** Extra scripts served by the console (paths under /ui/assets). */
  readonly scripts?: readonly string[];
  readonly styles?: readonly string[];
}

/** The page shell: header with the navigation and the sign-out button, the notice, the body. */
export function layout(view: PageView, sync: string): SafeHtml {
  const nav = navigation.map(
    (p) =>
      html`<li><a href="/ui${p.path}" ${p.path === view.active ? html` aria-current="page"` : ''}>${p.title}</a></li>`,
  );
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${view.title} · tandem ${sync}</title>
        <link rel="stylesheet" href="/ui/assets/console.css" />
        ${(view.styles ?? []).map((s) => html`<link rel="stylesheet" href="${s}" />`)}
      </head>
      <body>
        <header>
          <a class="skip" href="#main">Skip to content</a>
          <span class="brand">tandem · ${sync}</span>
          <nav aria-label="Console pages">
            <ul>
              ${nav}
            </ul>
          </nav>
          <form method="post" action="/ui/logout" class="signout">
            ${csrfField(view.csrf)}<button type="submit">Sign out</button>
          </form>
        </header>
        <main id="main">
          <h1>${view.title}</h1>
          ${view.notice ? html`<p class="notice ${view.notice.kind}" role="${view.notice.kind === 'error' ? 'alert' : 'status'}">${view.notice.text}</p>` : ''}
          ${view.body}
        </main>
        <script src="/ui/assets/console.js" defer></script>
        ${(view.scripts ?? []).map((s) => html`<script src="${s}" defer></script>`)}
      </body>
    </html>`;
}

/** Sends a page in the layout. */
export function renderPage(
  reply: FastifyReply,
  ctx: ConsoleContext,
  view: Omit<PageView, 'csrf'>,
  status = 200,
): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .send(layout({ ...view, csrf: csrfToken(reply) }, ctx.sync).text);
}

/** A <select> of the mapped objects with an "all" entry, labelled. */
export function objectSelect(ctx: ConsoleContext, selected: string | undefined, id = 'object'): SafeHtml {
  return html`<label for="${id}">Object</label>
    <select id="${id}" name="object">
      <option value="">all</option>
      ${ctx.objects.map((o) => html`<option value="${o}" ${o === selected ? html` selected` : ''}>${o}</option>`)}
    </select>`;
}

/** `2026-12-01 01:02:03Z` for an ISO time (as given when not a time). */
export function stamp(text: string | null | undefined): string {
  if (!text) return '-';
  const at = Date.parse(text);
  return Number.isNaN(at) ? text : `${new Date(at).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** A query parameter as text (the first, when repeated), or undefined when absent or empty. */
export function queryText(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, unknown>)[name];
  const first = Array.isArray(value) ? (value[0] as unknown) : value;
  return typeof first === 'string' && first !== '' ? first : undefined;
}
