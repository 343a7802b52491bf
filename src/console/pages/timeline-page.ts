import { entrySummary } from '../../report/timeline-report.js';
import type { RecordTimeline } from '../../model/record-timeline.js';
import type { ConsolePage } from '../console-page.js';
import { noticeOf, objectSelect, queryText, renderPage, stamp } from '../console-page.js';
import { html, type SafeHtml } from '../html.js';

/** Entries shown per record (the newest kept). */
const ENTRIES = 500;

function nowSection(t: RecordTimeline): SafeHtml {
  const items: SafeHtml[] = [];
  const c = t.now.openConflict;
  if (c)
    items.push(
      html`<li>
        open conflict on ${c.fields.join(', ') || 'existence'} since ${stamp(c.since)} (${c.rule}, policy
        ${c.policyVersion})${c.answered ? ', answered: flows out on the next run' : ''}
        <a href="/ui/conflicts?object=${encodeURIComponent(t.object)}">inbox</a>
      </li>`,
    );
  for (const f of t.now.failed)
    items.push(
      html`<li>
        failed on the ${f.system}: ${f.reason} (${f.status}, ${f.attempts} attempt(s),
        ${f.skipped ? 'skipped' : `next retry ${stamp(f.nextRetryAt)}`})
        <a href="/ui/failed?object=${encodeURIComponent(t.object)}">failed records</a>
      </li>`,
    );
  if (t.now.pending) items.push(html`<li>writes in flight (planned, not yet confirmed by both sides)</li>`);
  return items.length
    ? html`<h3>Now</h3>
        <ul class="now">
          ${items}
        </ul>`
    : html`<p>Nothing waits for this record now.</p>`;
}

/**
 * Record timeline: find a record by its key or a native id of either side; its captures, decisions (rule, policy
 * version), planned writes, bulk jobs and results, oldest first (StateStore.timeline, as `tandem history`).
 */
export const timelinePage: ConsolePage = {
  path: '/timeline',
  title: 'Record timeline',
  register(app, ctx) {
    app.get('/ui/timeline', async (request, reply) => {
      const q = queryText(request, 'q');
      const object = queryText(request, 'object');
      const found: RecordTimeline[] = [];
      if (q) {
        const base = { sync: ctx.sync, limit: ENTRIES, ...(object ? { object } : {}) };
        const [byKey, byNativeId] = await Promise.all([
          ctx.store.timeline.timeline({ ...base, key: q }),
          ctx.store.timeline.timeline({ ...base, nativeId: q }),
        ]);
        for (const t of [...byKey, ...byNativeId])
          if (!found.some((f) => f.object === t.object && f.key === t.key)) found.push(t);
      }
      const results = found.map(
        (t) =>
          html`<section class="timeline" aria-label="${t.object} ${t.key}">
            <h2>${t.object} ${t.key}</h2>
            <p class="ids">ERP id ${t.erpId ?? '-'}, CRM id ${t.crmId ?? '-'}</p>
            ${nowSection(t)}
            <h3>History, oldest first</h3>
            <table class="grid" aria-label="Timeline of ${t.object} ${t.key}">
              <thead>
                <tr>
                  <th scope="col">At</th>
                  <th scope="col">Run</th>
                  <th scope="col">Event</th>
                  <th scope="col">Side</th>
                  <th scope="col">What</th>
                </tr>
              </thead>
              <tbody>
                ${t.entries.map(
                  (e) =>
                    html`<tr class="event" data-kind="${e.kind}">
                      <td class="at">${stamp(e.at)}</td>
                      <td>${e.runId ? html`<a href="/ui/runs/${e.runId}">#${e.runId}</a>` : '-'}</td>
                      <td class="kind">${e.kind}</td>
                      <td>${e.system ?? '-'}</td>
                      <td class="summary">${entrySummary(e)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
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
