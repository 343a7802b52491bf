import { formatAge, lastRunByObject } from '../../report/status-report.js';
import type { ConsolePage } from '../console-page.js';
import { noticeOf, renderPage, stamp } from '../console-page.js';
import { html, jsonForScript } from '../html.js';
import { recordsWritten, runSeconds, statusBadge } from '../run-view.js';

/** Runs the charts show (the newest). */
const CHART_RUNS = 100;

/**
 * Overview: per object, the last run and its outcome, how long ago each side was captured up to date (watermark lag)
 * and the queue sizes; charts (uPlot) of records written per run and run duration.
 */
export const overviewPage: ConsolePage = {
  path: '/',
  title: 'Overview',
  register(app, ctx) {
    app.get('/ui/', async (request, reply) => {
      const [runs, queues, captures] = await Promise.all([
        ctx.store.runs.listRuns(ctx.sync, CHART_RUNS),
        ctx.store.status.queueSizes(ctx.sync),
        ctx.captureTimes(),
      ]);
      const now = ctx.now();
      const byId = new Map(runs.map((r) => [r.id, r]));
      const last = lastRunByObject(runs);
      const lag = (object: string, system: 'erp' | 'crm') => {
        const at = captures.find((c) => c.object === object && c.system === system)?.at;
        return at ? formatAge(now.getTime() - at.getTime()) : 'never captured';
      };
      const rows = ctx.objects.map((object) => {
        const l = last[object];
        const run = l ? byId.get(l.runId) : undefined;
        const q = queues[object];
        return html`<tr>
          <th scope="row">${object}</th>
          <td>${run ? html`<a href="/ui/runs/${run.id}">#${run.id}</a> ${stamp(run.startedAt)}` : 'no run yet'}</td>
          <td>${run ? statusBadge(run.status) : '-'}</td>
          <td>${l?.policyVersion ?? '-'}</td>
          <td>${lag(object, 'erp')}</td>
          <td>${lag(object, 'crm')}</td>
          <td>${q?.inbox ?? 0} / ${q?.outbox ?? 0}</td>
          <td><a href="/ui/conflicts?object=${encodeURIComponent(object)}">${q?.conflicts ?? 0}</a></td>
          <td>
            <a href="/ui/failed?object=${encodeURIComponent(object)}">${q?.failed ?? 0}</a
            >${q?.skipped ? ` (${q.skipped} skipped)` : ''}
          </td>
        </tr>`;
      });
      const chartRuns = runs.filter((r) => !r.dryRun && r.finishedAt).reverse();
      const chart = {
        at: chartRuns.map((r) => Date.parse(r.startedAt) / 1000),
        ids: chartRuns.map((r) => r.id),
        written: chartRuns.map(recordsWritten),
        seconds: chartRuns.map((r) => runSeconds(r) ?? 0),
      };
      const body = html`<section aria-labelledby="objects-h">
          <h2 id="objects-h">Objects</h2>
          <table class="grid">
            <thead>
              <tr>
                <th scope="col">Object</th>
                <th scope="col">Last run</th>
                <th scope="col">Outcome</th>
                <th scope="col">Policy version</th>
                <th scope="col">ERP captured</th>
                <th scope="col">CRM captured</th>
                <th scope="col">Captured / writes waiting</th>
                <th scope="col">Conflicts open</th>
                <th scope="col">Failed</th>
              </tr>
            </thead>
            <tbody>
              ${rows}
            </tbody>
          </table>
        </section>
        <section aria-labelledby="charts-h">
          <h2 id="charts-h">Recent runs</h2>
          <p>${chartRuns.length} finished run(s) of the last ${CHART_RUNS}.</p>
          <div class="charts">
            <figure>
              <figcaption id="chart-written-h">Records written per run (both sides)</figcaption>
              <div id="chart-written" class="chart" role="img" aria-labelledby="chart-written-h"></div>
            </figure>
            <figure>
              <figcaption id="chart-seconds-h">Run duration (seconds)</figcaption>
              <div id="chart-seconds" class="chart" role="img" aria-labelledby="chart-seconds-h"></div>
            </figure>
          </div>
          <script type="application/json" id="overview-chart-data">
            ${jsonForScript(chart)}
          </script>
        </section>`;
      return renderPage(reply, ctx, {
        title: 'Overview',
        active: '/',
        body,
        notice: noticeOf(request),
        scripts: ['/ui/assets/uplot/uPlot.iife.min.js', '/ui/assets/overview-charts.js'],
        styles: ['/ui/assets/uplot/uPlot.min.css'],
      });
    });
  },
};
