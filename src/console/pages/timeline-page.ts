import type { ConsolePage } from '../console-page.js';
import { noticeOf, objectSelect, queryText, renderPage, stamp } from '../console-page.js';
import { html } from '../html.js';

/** Record timeline: find a record by its key or a native id and show its events in order. */
export const timelinePage: ConsolePage = {
  path: '/timeline',
  title: 'Record timeline',
  register(app, ctx) {
    app.get('/ui/timeline', async (request, reply) => {
      const q = queryText(request, 'q');
      const object = queryText(request, 'object');
      const found = q ? await ctx.timeline.find({ text: q, ...(object ? { object } : {}) }) : [];
      const results = found.map(
        (r) =>
          html`<section class="timeline" aria-label="${r.object} ${r.key}">
            <h2>${r.object} ${r.key}</h2>
            <ol class="events">
              ${r.events.map(
                (e) =>
                  html`<li>
                    <span class="at">${stamp(e.at)}</span>
                    <span class="kind">${e.kind}</span>${e.system ? html` <span class="side">${e.system}</span>` : ''}${
                      e.runId ? html` <a href="/ui/runs/${e.runId}">run #${e.runId}</a>` : ''
                    }: <span class="summary">${e.summary}</span>${
                      e.detail === null || e.detail === undefined
                        ? ''
                        : html`<details>
                            <summary>detail</summary>
                            <pre>${JSON.stringify(e.detail, null, 2)}</pre>
                          </details>`
                    }
                  </li>`,
              )}
            </ol>
          </section>`,
      );
      const body = html`<form
          method="get"
          action="/ui/timeline"
          class="filters"
          role="search"
          aria-label="Find a record"
        >
          <label for="q">Key or native id</label><input id="q" name="q" value="${q ?? ''}" required />
          ${objectSelect(ctx, object)}
          <button type="submit">Find</button>
        </form>
        ${q && found.length === 0 ? html`<p>No record found for ${q}.</p>` : ''} ${results}`;
      return renderPage(reply, ctx, { title: 'Record timeline', active: '/timeline', body, notice: noticeOf(request) });
    });
  },
};
