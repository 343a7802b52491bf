import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { NotifyTarget } from '../../src/config/service-config.js';
import { WebhookNotifier, type DeliveryResult, type WebhookPayload } from '../../src/notify/webhook-notifier.js';
import { verifyWebhook } from '../../src/notify/webhook-signature.js';
import { RunExecutor } from '../../src/serve/run-executor.js';
import { silentLogger } from '../../src/util/logger.js';
import { testBackends } from '../support/test-databases.js';
import { createHarness, type Harness } from '../support/sync-harness.js';

const SECRET = 'webhook-secret-0123456789';

interface Received {
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A real receiver over a socket; `answer` decides each response (or never answers). */
async function receiver(answer: (n: number, res: ServerResponse) => void): Promise<{
  url: string;
  received: Received[];
  close(): Promise<void>;
}> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      answer(received.length, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/tandem?token=query-secret`,
    received,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const target = (url: string, over: Partial<NotifyTarget> = {}): NotifyTarget => ({
  url,
  events: ['run.succeeded', 'run.partial', 'run.failed', 'quota.exhausted', 'conflict.queued', 'record.rejected'],
  secret: SECRET,
  timeoutMs: 2000,
  retries: 2,
  ...over,
});

async function deliveries(h: Harness): Promise<{ event: string; status: string; attempts: number; target: string }[]> {
  const db = h.store.database;
  const result = await sql<{ event: string; status: string; attempts: number; target: string }>`
    select event, status, attempts, target from ${sql.id(db.schema, 'notify_delivery')} order by id`.execute(db.db);
  return result.rows;
}

for (const backend of testBackends()) {
  describe(`${backend.name}: webhook notifications`, { timeout: 300_000 }, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    async function setup(answer: (n: number, res: ServerResponse) => void, over: Partial<NotifyTarget> = {}) {
      const h = await createHarness(backend, {
        rejectCrm: (key) => (key === 'K2' ? 'REQUIRED_FIELD_MISSING: Name' : undefined),
      });
      cleanups.push(() => h.close());
      const r = await receiver(answer);
      cleanups.push(() => r.close());
      const notifier = new WebhookNotifier({
        targets: [target(r.url, over)],
        sync: h.ctx.sync,
        database: h.store.database,
        logger: silentLogger(),
        backoffMs: 50,
      });
      const executor = new RunExecutor({
        ctx: h.ctx,
        database: h.store.database,
        replica: 'test',
        logger: silentLogger(),
        signal: new AbortController().signal,
      });
      const delivered: Promise<DeliveryResult[]>[] = [];
      executor.onFinished((o) => {
        const p = notifier.notifyRun(o.result, o.request.objects, `http://127.0.0.1/runs/${o.result.runId}`);
        delivered.push(p);
        return p.then(() => {});
      });
      h.erp.insert('customers', 'K1', { name: 'Acme', phone: '111', city: 'Oslo' });
      h.erp.insert('customers', 'K2', { name: 'Bad', phone: '222', city: 'Rome' });
      return { h, r, executor, delivered };
    }

    it('a receiver gets run.partial and the record.rejected digest, signed; the log records each delivery', async () => {
      const { h, r, executor, delivered } = await setup((_n, res) => res.writeHead(204).end());
      const result = await executor.execute({ objects: ['account'], full: false, trigger: 'api', jobId: null });
      expect(result.status).toBe('partial');
      const outcomes = (await Promise.all(delivered)).flat();
      expect(outcomes.map((o) => [o.event, o.status, o.attempts]).sort()).toEqual([
        ['record.rejected', 'delivered', 1],
        ['run.partial', 'delivered', 1],
      ]);
      expect(r.received).toHaveLength(2);
      for (const message of r.received) {
        const headers = {
          signature: message.headers['x-tandem-signature'] as string | undefined,
          timestamp: message.headers['x-tandem-timestamp'] as string | undefined,
        };
        expect(verifyWebhook(SECRET, headers, message.body)).toBe(true);
        expect(verifyWebhook('another-secret-0123456789', headers, message.body)).toBe(false);
        expect(verifyWebhook(SECRET, headers, message.body.replace('"account"', '"accounT"'))).toBe(false);
        const payload = JSON.parse(message.body) as WebhookPayload;
        expect(message.headers['x-tandem-event']).toBe(payload.event);
        expect(payload.run.id).toBe(result.runId);
        expect(payload.run.counts['account']!.crm).toEqual(result.counts['account']!.crm);
        expect(payload.run.link).toBe(`http://127.0.0.1/runs/${result.runId}`);
        if (payload.event === 'record.rejected')
          expect(payload.records).toEqual([
            expect.objectContaining({
              object: 'account',
              system: 'crm',
              key: 'K2',
              reason: 'REQUIRED_FIELD_MISSING: Name',
            }),
          ]);
      }
      const log = await deliveries(h);
      expect(log.map((d) => d.status)).toEqual(['delivered', 'delivered']);
      // The query string of the URL (which may carry a token) is never stored.
      for (const d of log) expect(d.target).not.toContain('query-secret');
    });

    it('a receiver answering 500 gets retries with backoff; one that never recovers is logged as failed', async () => {
      const { h, r, executor, delivered } = await setup((n, res) => res.writeHead(n <= 2 ? 500 : 200).end(), {
        events: ['run.partial'],
      });
      await executor.execute({ objects: ['account'], full: false, trigger: 'api', jobId: null });
      const [first] = (await Promise.all(delivered)).flat();
      expect(first).toEqual(expect.objectContaining({ status: 'delivered', attempts: 3, lastStatus: 200 }));
      expect(r.received).toHaveLength(3);
      // Every retry is signed again, with its own timestamp, over the same body.
      for (const m of r.received) expect(m.body).toBe(r.received[0]!.body);

      const down = await receiver((_n, res) => res.writeHead(503).end());
      cleanups.push(() => down.close());
      const notifier = new WebhookNotifier({
        targets: [target(down.url, { retries: 3 })],
        sync: h.ctx.sync,
        database: h.store.database,
        logger: silentLogger(),
        backoffMs: 20,
      });
      const [run] = await h.store.runs.listRuns(h.ctx.sync, 1);
      const failed = await notifier.deliver(
        target(down.url, { retries: 3 }),
        JSON.parse(r.received[0]!.body) as WebhookPayload,
        run!.id,
      );
      expect(failed).toEqual(expect.objectContaining({ status: 'failed', attempts: 4, lastStatus: 503 }));
      expect(down.received).toHaveLength(4);
      expect((await deliveries(h)).map((d) => d.status)).toEqual(['delivered', 'failed']);
    });

    it('a receiver that hangs does not hold the sync: the run returns first, each attempt ends at the timeout', async () => {
      const { h, r, executor, delivered } = await setup(() => {}, {
        timeoutMs: 300,
        retries: 1,
        events: ['run.partial'],
      });
      let deliveryDone = false;
      const result = await executor.execute({ objects: ['account'], full: false, trigger: 'api', jobId: null });
      void delivered[0]!.then(() => (deliveryDone = true));
      expect(result.status).toBe('partial');
      expect(deliveryDone).toBe(false);
      const [outcome] = (await Promise.all(delivered)).flat();
      expect(outcome).toEqual(
        expect.objectContaining({ status: 'failed', attempts: 2, lastError: 'no answer within 300 ms' }),
      );
      // Both attempts were made (attempts: 2 above); whether the receiver saw the second request before the sender
      // gave up at 300 ms depends on how busy the machine is, so only the first is certain to have arrived.
      expect(r.received.length).toBeGreaterThanOrEqual(1);
      expect(r.received.length).toBeLessThanOrEqual(2);
      // The next run is not held up either.
      h.erp.insert('customers', 'K3', { name: 'Next', phone: '333', city: 'Oslo' });
      const next = await executor.execute({ objects: ['account'], full: false, trigger: 'api', jobId: null });
      expect(next.counts['account']!.crm.created).toBe(1);
      await executor.drain(5000);
    });
  });
}
