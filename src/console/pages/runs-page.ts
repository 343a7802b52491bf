import type { RunSummary } from '../../model/run-log.js';
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
import { countsByObject, recordsWritten, runError, runSeconds, statusBadge } from '../run-view.js';

const STATUSES: readonly RunSummary['status'][] = ['running', 'succeeded', 'partial', 'failed', 'interrupted'];
/** Runs read for the list (filters apply to these). */
const LIST_RUNS = 200;

/** Runs: the history, filterable by status and object; a run's detail; "run now" (queues runs like POST /runs). */
export const runsPage: ConsolePage = {
  path: '/runs',
  title: 'Runs',
  register(app, ctx) {
    app.get('/ui/runs', async (request, reply) => {
      const status = queryText(request, 'status');
      const object = queryText(request, 'object');
      const all = await ctx.store.runs.listRuns(ctx.sync, LIST_RUNS);
      const runs = all.filter((r) => (!status || r.status === status) && (!object || r.objects.includes(object)));
      const served = await ctx.serveRuns(runs.map((r) => r.id));
      const csrf = csrfToken(reply);
      const body = html`<form method="get" action="/ui/runs" class="filters" aria-label="Filter runs">
          ${objectSelect(ctx, object)}
          <label for="status">Status</label>
          <select id="status" name="status">
            <option value="">all</option>
            ${STATUSES.map((s) => html`<option value="${s}" ${s === status ? html` selected` : ''}>${s}</option>`)}
          </select>
          <button type="submit">Filter</button>
        </form>
        <form method="post" action="/ui/runs/now" class="actions">
          ${csrfField(csrf)}<button type="submit" id="run-now">Run now</button>
          <span class="hint">queues an incremental run of every object, like POST /runs</span>
        </form>
        <table class="grid" aria-label="Runs">
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Started</th>
              <th scope="col">Status</th>
              <th scope="col">Took</th>
              <th scope="col">Objects</th>
              <th scope="col">Records written</th>
              <th scope="col">Trigger</th>
              <th scope="col">Note</th>
            </tr>
          </thead>
          <tbody>
            ${runs.map((r) => {
              const s = runSeconds(r);
              const serve = served.get(r.id);
              return html`<tr>
                <td><a href="/ui/runs/${r.id}">#${r.id}</a></td>
                <td>${stamp(r.startedAt)}</td>
                <td>${statusBadge(r.status)}${r.dryRun ? ' (dry run)' : ''}</td>
                <td>${s === null ? '-' : `${s.toFixed(1)} s`}</td>
                <td>${r.objects.join(', ')}</td>
                <td>${recordsWritten(r)}</td>
                <td>${serve ? `${serve.trigger} (${serve.replica})` : '-'}</td>
                <td>${runError(r)}</td>
              </tr>`;
            })}
          </tbody>
        </table>
        ${runs.length === 0 ? html`<p>No runs match.</p>` : ''}`;
      return renderPage(reply, ctx, { title: 'Runs', active: '/runs', body, notice: noticeOf(request) });
    });

    app.post('/ui/runs/now', async (_request, reply) => {
      const jobs = await ctx.enqueue(ctx.objects, 'increment');
      const queued = jobs.filter((j) => j.jobId !== null).map((j) => j.object);
      const busy = jobs.filter((j) => j.jobId === null).map((j) => j.object);
      const text = [
        queued.length ? `queued a run of ${queued.join(', ')}` : '',
        busy.length ? `${busy.join(', ')} already queued or running` : '',
      ]
        .filter(Boolean)
        .join('; ');
      return redirectWith(reply, '/ui/runs', { kind: 'ok', text });
    });

    app.get('/ui/runs/:id', async (request, reply) => {
      const { id } = request.params as { id: string };
      const run = await ctx.run(id);
      if (!run)
        return renderPage(
          reply,
          ctx,
          { title: `Run ${id}`, active: '/runs', body: html`<p>No run ${id} in sync ${ctx.sync}.</p>` },
          404,
        );
      const serve = (await ctx.serveRuns([run.id])).get(run.id);
      const counts = countsByObject(run);
      const s = runSeconds(run);
      const sides = Object.entries(counts).flatMap(([object, c]) =>
        (['erp', 'crm'] as const).map(
          (side) =>
            html`<tr>
              <th scope="row">${object}</th>
              <td>${side}</td>
              <td>${c[side].captured}</td>
              <td>${c[side].created}</td>
              <td>${c[side].updated}</td>
              <td>${c[side].deleted}</td>
              <td>${c[side].rejected}</td>
              <td>${c[side].unprocessed}</td>
            </tr>`,
        ),
      );
      const rejections = Object.entries(counts).flatMap(([object, c]) =>
        c.rejections.map(
          (r) =>
            html`<tr>
              <td>${object}</td>
              <td>${r.system}</td>
              <td>
                <a href="/ui/timeline?q=${encodeURIComponent(r.key)}&amp;object=${encodeURIComponent(object)}"
                  >${r.key}</a
                >
              </td>
              <td>${r.reason}</td>
            </tr>`,
        ),
      );
      const body = html`<dl class="facts">
          <dt>Status</dt>
          <dd>${statusBadge(run.status)}${run.dryRun ? ' (dry run)' : ''}</dd>
          <dt>Started</dt>
          <dd>${stamp(run.startedAt)}</dd>
          <dt>Finished</dt>
          <dd>${stamp(run.finishedAt)}</dd>
          <dt>Took</dt>
          <dd>${s === null ? '-' : `${s.toFixed(1)} s`}</dd>
          <dt>Objects</dt>
          <dd>${run.objects.join(', ')}</dd>
          <dt>Policy versions</dt>
          <dd>
            ${
              Object.entries(run.policyVersions)
                .map(([o, v]) => `${o}: ${v}`)
                .join('; ') || '-'
            }
          </dd>
          <dt>Started by</dt>
          <dd>
            ${serve ? `${serve.trigger}${serve.full ? ' (full)' : ''} on ${serve.replica}` : 'the CLI or not recorded'}
          </dd>
          ${
            runError(run)
              ? html`<dt>Error</dt>
                  <dd>${runError(run)}</dd>`
              : ''
          }
        </dl>
        <h2>Records per object and side</h2>
        <table class="grid" aria-label="Counts per object and side">
          <thead>
            <tr>
              <th scope="col">Object</th>
              <th scope="col">Side</th>
              <th scope="col">Captured</th>
              <th scope="col">Created</th>
              <th scope="col">Updated</th>
              <th scope="col">Deleted</th>
              <th scope="col">Rejected</th>
              <th scope="col">Unprocessed</th>
            </tr>
          </thead>
          <tbody>
            ${sides}
          </tbody>
        </table>
        <p>
          ${Object.entries(counts).map(([o, c]) => `${o}: ${c.conflicts.decided} conflicting field(s) decided by policy, ${c.conflicts.queued} record(s) queued for a person. `)}
        </p>
        <h2>Rejected records</h2>
        ${
          rejections.length
            ? html`<table class="grid" aria-label="Rejected records">
                <thead>
                  <tr>
                    <th scope="col">Object</th>
                    <th scope="col">Side</th>
                    <th scope="col">Key</th>
                    <th scope="col">Reason</th>
                  </tr>
                </thead>
                <tbody>
                  ${rejections}
                </tbody>
              </table>`
            : html`<p>None.</p>`
        }`;
      return renderPage(reply, ctx, { title: `Run #${run.id}`, active: '/runs', body, notice: noticeOf(request) });
    });
  },
};
