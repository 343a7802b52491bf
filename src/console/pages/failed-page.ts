import { stringify } from 'csv-stringify/sync';
import type { ConsolePage } from '../console-page.js';
import {
  csrfField,
  csrfToken,
  noticeOf,
  objectSelect,
  queryText,
  redirectWith,
  renderPage,
  stamp,
} from '../console-page.js';
import { html } from '../html.js';

const ACTOR = 'console';
const LIST_LIMIT = 500;
/** Rows in the CSV download. */
const CSV_LIMIT = 100_000;

/**
 * Failed records: what a side rejected or did not process, with the reason, attempts and next retry; retry one or
 * all of an object now (the next run writes them again); download the list as CSV.
 */
export const failedPage: ConsolePage = {
  path: '/failed',
  title: 'Failed records',
  register(app, ctx) {
    app.get('/ui/failed', async (request, reply) => {
      const object = queryText(request, 'object');
      const list = await ctx.store.failed.listFailed(ctx.sync, { ...(object ? { object } : {}), limit: LIST_LIMIT });
      const csrf = csrfToken(reply);
      const csv = `/ui/failed.csv${object ? `?object=${encodeURIComponent(object)}` : ''}`;
      const body = html`<form method="get" action="/ui/failed" class="filters" aria-label="Filter failed records">
          ${objectSelect(ctx, object)}<button type="submit">Filter</button>
        </form>
        <div class="actions">
          <a class="button" href="${csv}" download>Download CSV</a>
          ${
            object
              ? html`<form method="post" action="/ui/failed/retry">
                  ${csrfField(csrf)}<input type="hidden" name="object" value="${object}" />
                  <button type="submit">Retry all of ${object} now</button>
                </form>`
              : ''
          }
          <form method="post" action="/ui/runs/now">
            ${csrfField(csrf)}<button type="submit" id="run-now">Run now</button>
          </form>
        </div>
        <p>
          ${list.length} failed
          entr${list.length === 1 ? 'y' : 'ies'}${list.length === LIST_LIMIT ? ` (the first ${LIST_LIMIT})` : ''}. A
          retried record is written again by the next run.
        </p>
        <table class="grid" aria-label="Failed records">
          <thead>
            <tr>
              <th scope="col">Object</th>
              <th scope="col">Key</th>
              <th scope="col">Side</th>
              <th scope="col">Status</th>
              <th scope="col">Reason</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last failed</th>
              <th scope="col">Next retry</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            ${list.map(
              (f) =>
                html`<tr data-key="${f.key}">
                  <td>${f.object}</td>
                  <td>
                    <a href="/ui/timeline?q=${encodeURIComponent(f.key)}&amp;object=${encodeURIComponent(f.object)}"
                      >${f.key}</a
                    >
                  </td>
                  <td>${f.system}</td>
                  <td>${f.status}</td>
                  <td>${f.reason}</td>
                  <td>${f.attempts}</td>
                  <td>${stamp(f.lastFailedAt)}</td>
                  <td>${f.skippedAt ? `skipped by ${f.skippedBy ?? '?'}` : stamp(f.nextRetryAt)}</td>
                  <td>
                    <form method="post" action="/ui/failed/retry">
                      ${csrfField(csrf)}<input type="hidden" name="object" value="${f.object}" /><input
                        type="hidden"
                        name="key"
                        value="${f.key}"
                      />
                      <button type="submit" aria-label="Retry ${f.object} ${f.key} now">Retry now</button>
                    </form>
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>`;
      return renderPage(reply, ctx, { title: 'Failed records', active: '/failed', body, notice: noticeOf(request) });
    });

    app.get('/ui/failed.csv', async (request, reply) => {
      const object = queryText(request, 'object');
      const list = await ctx.store.failed.listFailed(ctx.sync, { ...(object ? { object } : {}), limit: CSV_LIMIT });
      const text = stringify(
        list.map((f) => ({ ...f, skippedAt: f.skippedAt ?? '', skippedBy: f.skippedBy ?? '' })),
        {
          header: true,
          columns: [
            'object',
            'key',
            'system',
            'status',
            'reason',
            'attempts',
            'lastFailedAt',
            'nextRetryAt',
            'skippedAt',
            'skippedBy',
          ],
        },
      );
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${ctx.sync}-failed.csv"`)
        .send(text);
    });

    app.post('/ui/failed/retry', async (request, reply) => {
      const body = (request.body ?? {}) as { object?: unknown; key?: unknown };
      const object = typeof body.object === 'string' ? body.object : undefined;
      const key = typeof body.key === 'string' && body.key !== '' ? body.key : undefined;
      if (!object || !ctx.objects.includes(object))
        return redirectWith(reply, '/ui/failed', { kind: 'error', text: 'say which object to retry' });
      const done = await ctx.store.failed.actOnFailed(
        ctx.sync,
        'retry',
        key === undefined ? { object } : { object, key },
        ACTOR,
        ctx.now(),
      );
      return redirectWith(
        reply,
        '/ui/failed',
        done
          ? {
              kind: 'ok',
              text: `due now: ${done.affected} failed entr${done.affected === 1 ? 'y' : 'ies'} (audit #${done.id}); the next run writes them again`,
            }
          : { kind: 'error', text: `no failed record for ${object}${key ? ` ${key}` : ''}` },
      );
    });
  },
};
