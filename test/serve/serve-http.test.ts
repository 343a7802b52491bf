import { scaled } from '../support/timeouts.js';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import type { ObjectCounts } from '../../src/pipeline/run-counts.js';
import { startServe, type RunningServe } from '../../src/serve/serve-service.js';
import { silentLogger } from '../../src/util/logger.js';
import { API_TOKEN, createServeFixture, eventually, type ServeFixture } from '../support/serve-fixture.js';

interface RunView {
  id: string;
  status: string;
  counts: Record<string, ObjectCounts>;
  serve: { replica: string; trigger: string } | null;
}

describe(
  'tandem serve: the HTTP endpoint (embedded state store, PGlite ERP, emulator over a socket)',
  { timeout: 300_000 },
  () => {
    let fixture: ServeFixture;
    let service: RunningServe;
    const call = (path: string, init: RequestInit & { token?: string | null } = {}) => {
      const { token = API_TOKEN, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token !== null) headers.set('authorization', `Bearer ${token}`);
      return fetch(new URL(path, service.url), { ...rest, headers });
    };

    beforeAll(async () => {
      fixture = await createServeFixture({ customers: 25 });
      const config = await loadConfig(fixture.configFile, fixture.env);
      service = await startServe({ config, logger: silentLogger(), token: API_TOKEN, port: 0 });
    }, scaled(300_000));
    afterAll(async () => {
      await service?.stop();
      await fixture?.close();
    });

    it('binds to 127.0.0.1; /healthz needs no token; every other route refuses a missing or a wrong token', async () => {
      expect(new URL(service.url).hostname).toBe('127.0.0.1');
      const health = await call('/healthz', { token: null });
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      for (const [method, path] of [
        ['GET', '/readyz'],
        ['GET', '/metrics'],
        ['GET', '/runs'],
        ['GET', '/runs/1'],
        ['POST', '/runs'],
      ] as const) {
        for (const token of [null, 'wrong-token', `${API_TOKEN}x`]) {
          const response = await call(path, { method, token });
          expect(response.status, `${method} ${path} with token ${String(token)}`).toBe(401);
          expect(response.headers.get('www-authenticate')).toBe('Bearer');
        }
      }
    });

    it(
      'POST /runs starts a run; GET /runs and /runs/:id show it; /metrics, parsed, has the series with its counts',
      async () => {
        const bad = await call('/runs', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ objects: ['nope'] }),
        });
        expect(bad.status).toBe(400);
        const started = await call('/runs', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ objects: ['account'] }),
        });
        expect(started.status).toBe(202);
        const body = (await started.json()) as { jobs: { object: string; queued: boolean }[] };
        expect(body.jobs).toEqual([expect.objectContaining({ object: 'account', queued: true })]);

        const run = await eventually('the run to finish', async () => {
          const list = (await (await call('/runs')).json()) as { runs: RunView[] };
          const done = list.runs.find((r) => r.status !== 'running' && r.serve !== null);
          return done;
        });
        expect(run.status).toBe('succeeded');
        expect(run.serve).toEqual(expect.objectContaining({ replica: service.replica, trigger: 'api' }));
        const one = (await (await call(`/runs/${run.id}`)).json()) as RunView;
        expect(one.id).toBe(run.id);
        expect((await call('/runs/999999999')).status).toBe(404);
        const counts = one.counts['account']!;
        expect(counts.erp.captured).toBe(25);
        expect(counts.crm.created).toBe(25);

        const families = await eventually('the run in /metrics', async () => {
          const text = await (await call('/metrics')).text();
          const parsed = parsePrometheusTextFormat(text);
          return parsed.some((f) => f.name === 'tandem_runs_total' && f.metrics.length > 0) ? parsed : undefined;
        });
        const value = (name: string, labels: Record<string, string>) => {
          const family = families.find((f) => f.name === name);
          expect(family, name).toBeDefined();
          const sample = family!.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
          expect(sample, `${name} ${JSON.stringify(labels)}`).toBeDefined();
          return Number(sample!.value ?? sample!.count);
        };
        const base = { sync: 'servetest', object: 'account' };
        expect(value('tandem_runs_total', { ...base, outcome: 'succeeded' })).toBe(1);
        for (const side of ['erp', 'crm'] as const) {
          expect(value('tandem_records_captured_total', { ...base, side })).toBe(counts[side].captured);
          for (const operation of ['created', 'updated', 'deleted'] as const)
            expect(value('tandem_records_written_total', { ...base, side, operation })).toBe(counts[side][operation]);
          expect(value('tandem_records_rejected_total', { ...base, side, status: 'rejected' })).toBe(
            counts[side].rejected,
          );
          expect(value('tandem_watermark_lag_seconds', { ...base, side })).toBeGreaterThanOrEqual(0);
        }
        expect(value('tandem_conflicts_decided_total', base)).toBe(counts.conflicts.decided);
        expect(value('tandem_conflicts_queued_total', base)).toBe(counts.conflicts.queued);
        // This parser keeps a histogram's buckets but not its labels: one series each here, read from the +Inf bucket.
        const observations = (name: string) => {
          const family = families.find((f) => f.name === name);
          expect(family?.type, name).toBe('HISTOGRAM');
          return family!.metrics.reduce((sum, m) => sum + Number(m.buckets?.['+Inf'] ?? 0), 0);
        };
        expect(observations('tandem_run_duration_seconds')).toBe(1);
        expect(observations('tandem_bulk_job_duration_seconds')).toBeGreaterThanOrEqual(1);
        expect(value('tandem_remote_api_calls', { sync: 'servetest', side: 'crm' })).toBeGreaterThan(0);
        expect(value('tandem_remote_api_remaining', { sync: 'servetest', side: 'crm' })).toBeGreaterThan(0);
        for (const name of ['tandem_failed_queue_size', 'tandem_conflict_queue_size'])
          expect(families.find((f) => f.name === name)?.type).toBe('GAUGE');
      },
      scaled(300_000),
    );

    it('/readyz is ready while everything answers, and unready once the ERP database is gone', async () => {
      const ready = await call('/readyz');
      expect(ready.status, JSON.stringify(await ready.clone().json())).toBe(200);
      await service.engine.erp.close();
      const unready = await call('/readyz');
      expect(unready.status).toBe(503);
      const body = (await unready.json()) as { ready: boolean; checks: Record<string, { ok: boolean }> };
      expect(body.ready).toBe(false);
      expect(body.checks['erp']!.ok).toBe(false);
      expect(body.checks['state']!.ok).toBe(true);
      expect(body.checks['crm']!.ok).toBe(true);
    });
  },
);
