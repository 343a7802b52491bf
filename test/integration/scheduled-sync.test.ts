import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { runOnSchedule } from '../../src/cli/scheduled-sync.js';
import type { Connector } from '../../src/connectors/connector.js';
import { runSync, type SyncRunResult } from '../../src/pipeline/run-sync.js';
import type { SyncContext } from '../../src/pipeline/sync-object.js';
import { createLogger } from '../../src/util/logger.js';
import { EXIT, TandemError } from '../../src/util/errors.js';
import { createHarness, snapshot, type Harness } from '../support/sync-harness.js';
import { testBackends } from '../support/test-databases.js';
import { scaled } from '../support/timeouts.js';

/** Once a year: no tick comes during a test, so every run seen is the one at start. */
const YEARLY = '0 0 1 1 *';

interface LogLine {
  readonly msg: string;
  readonly next?: string | null;
  readonly [field: string]: unknown;
}

/** A JSON logger at info whose lines the test reads. */
function capturedLogger() {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

for (const backend of testBackends()) {
  describe(`${backend.name}: sync --schedule`, () => {
    let h: Harness;
    afterEach(async () => {
      await h?.close();
    });

    it(
      'runs once at start, then logs when the next run is',
      async () => {
        h = await createHarness(backend);
        h.erp.insert('customers', 'K1', { name: 'Acme', phone: '1', city: 'Oslo' });
        const { logger, lines } = capturedLogger();
        const stop = deferred<string>();
        const results: SyncRunResult[] = [];
        const outcome = await runOnSchedule({
          expression: YEARLY,
          runAtStart: true,
          logger,
          stopRequested: stop.promise,
          run: async (signal) => {
            const result = await runSync(h.ctx, { signal });
            results.push(result);
            setImmediate(() => stop.resolve('SIGTERM'));
            return result;
          },
        });
        expect(outcome.runs).toBe(1);
        expect(outcome.exitCode).toBe(EXIT.ok);
        expect(results.map((r) => r.status)).toEqual(['succeeded']);
        expect(h.crm.findByKey('Account', 'K1')?.fields['name']).toBe('Acme');
        const next = lines.find((l) => l.msg.startsWith('sync succeeded; next run at '));
        expect(next?.next).toBeTypeOf('string');
        const when = new Date(next!.next!);
        // The next 1 January, 00:00 (node-cron's local time), after now.
        expect(when.getTime()).toBeGreaterThan(Date.now());
        expect([when.getMonth(), when.getDate(), when.getHours(), when.getMinutes()]).toEqual([0, 1, 0, 0]);
        expect(next!.msg).toBe(`sync succeeded; next run at ${when.toISOString()}`);
      },
      scaled(30_000),
    );

    it(
      'with --no-run-at-start waits for the first tick and says when it is',
      async () => {
        h = await createHarness(backend);
        const { logger, lines } = capturedLogger();
        let runs = 0;
        const outcome = await runOnSchedule({
          expression: YEARLY,
          runAtStart: false,
          logger,
          stopRequested: new Promise((resolve) => setTimeout(() => resolve('SIGINT'), 50)),
          run: (signal) => {
            runs += 1;
            return runSync(h.ctx, { signal });
          },
        });
        expect(runs).toBe(0);
        expect(outcome).toEqual({ runs: 0, last: null, exitCode: EXIT.ok });
        expect(lines.some((l) => l.msg.startsWith('waiting for the schedule; Ctrl-C stops; next run at '))).toBe(true);
      },
      scaled(30_000),
    );

    it(
      'exits with the failed run’s code when stopped after a failed run',
      async () => {
        h = await createHarness(backend);
        h.erp.insert('customers', 'K1', { name: 'Acme', phone: '1', city: 'Oslo' });
        // The CRM cannot be reached: its source fails as a real unreachable host does (exit code 4).
        const unreachable = new Proxy(h.crmConnector, {
          get(target, property) {
            if (property === 'createSource')
              return () => {
                throw new TandemError('the CRM is unreachable (test)', {
                  code: 'UNAVAILABLE',
                  exitCode: EXIT.unavailable,
                });
              };
            const value: unknown = Reflect.get(target, property, target);
            return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
          },
        }) as Connector;
        const ctx: SyncContext = { ...h.ctx, connectors: { erp: h.erpConnector, crm: unreachable } };
        const { logger } = capturedLogger();
        const stop = deferred<string>();
        const outcome = await runOnSchedule({
          expression: YEARLY,
          runAtStart: true,
          logger,
          stopRequested: stop.promise,
          run: async (signal) => {
            const result = await runSync(ctx, { signal });
            setImmediate(() => stop.resolve('SIGTERM'));
            return result;
          },
        });
        expect(outcome.last?.status).toBe('failed');
        expect(outcome.exitCode).toBe(EXIT.unavailable);
      },
      scaled(30_000),
    );

    it(
      'SIGINT during a run stops it at a safe point (saying it waits for one) and the next run resumes cleanly',
      async () => {
        h = await createHarness(backend);
        for (let i = 0; i < 600; i++)
          h.erp.insert('customers', `K${String(i).padStart(4, '0')}`, { name: `N${i}`, phone: String(i), city: 'X' });
        const { logger, lines } = capturedLogger();
        const stop = deferred<string>();
        const results: SyncRunResult[] = [];
        const outcome = await runOnSchedule({
          expression: YEARLY,
          runAtStart: true,
          logger,
          stopRequested: stop.promise,
          run: async (signal) => {
            const result = await runSync(h.ctx, {
              signal,
              batchSize: 100,
              // The signal arrives while the ERP is being captured, page 2 of 6.
              checkpoint: (step) => {
                if (step === 'captured-page:account:erp' && !signal.aborted) stop.resolve('SIGINT');
              },
            });
            results.push(result);
            return result;
          },
        });
        expect(results.map((r) => r.status)).toEqual(['interrupted']);
        expect(outcome.exitCode).toBe(EXIT.ok); // stopped on request, nothing failed
        expect(
          lines.some((l) => l.msg.startsWith('stopping: waiting for the running sync to reach a safe point')),
        ).toBe(true);
        expect(h.crm.live('Account')).toHaveLength(0); // it stopped before writing anything

        const next = await runSync(h.ctx);
        expect(next.status).toBe('succeeded');
        expect(next.counts['account']!.crm.created).toBe(600);
        expect(snapshot(h.crm, 'Account')).toEqual(snapshot(h.erp, 'customers'));
        expect((await runSync(h.ctx)).writes).toBe(0);
      },
      scaled(60_000),
    );
  });
}
