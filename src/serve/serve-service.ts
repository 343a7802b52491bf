import { hostname } from 'node:os';
import type { TandemConfig } from '../config/tandem-config.js';
import type { Connector } from '../connectors/connector.js';
import { openEngine, type Engine } from '../engine/open-engine.js';
import { TandemError, EXIT, coerceError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { WebhookNotifier } from '../notify/webhook-notifier.js';
import { startHttpApi, type ReadinessCheck, type RunningHttpApi } from './http-api.js';
import { LocalRunScheduler } from './local-run-scheduler.js';
import { PgBossRunScheduler } from './pg-boss-run-scheduler.js';
import { RunExecutor, type RunListener } from './run-executor.js';
import type { RunScheduler } from './run-scheduler.js';
import { serveRunsOf } from './serve-run-log.js';
import { ServiceMetrics, type ApiBudget } from './service-metrics.js';
import { serviceStateOf } from './service-state.js';

export interface ServeOptions {
  readonly config: TandemConfig;
  readonly logger: Logger;
  /** The API bearer token (the CLI reads it from the variable named in serve.tokenEnv). */
  readonly token: string;
  /** Overrides of serve.host / serve.port (the CLI's --host, --port). */
  readonly host?: string;
  readonly port?: number;
  /** This process's name in the run log; default `<hostname>:<pid>`. */
  readonly replica?: string;
  /** More listeners of finished runs (notifications). */
  readonly listeners?: readonly RunListener[];
  /** Housekeeping on a cron (the daily prune), run by one replica. */
  readonly maintenance?: { readonly cron: string; task(engine: Engine): Promise<void> };
}

export interface RunningServe {
  readonly url: string;
  readonly replica: string;
  readonly engine: Engine;
  readonly executor: RunExecutor;
  readonly scheduler: RunScheduler;
  /**
   * Stops taking work, stops the running stage at its next safe point, waits up to serve.graceSeconds, releases
   * everything. Resolves `true` when everything ended within the grace period.
   */
  stop(): Promise<boolean>;
}

export class MissingApiTokenError extends TandemError {
  constructor(variable: string) {
    super(
      `tandem serve needs an API token: the environment variable ${variable} (serve.tokenEnv) is empty. Fix: set it to a long random value, e.g. ${variable}=$(openssl rand -hex 32), and send it as 'Authorization: Bearer <token>'`,
      { code: 'USAGE', context: { variable }, exitCode: EXIT.usage },
    );
  }
}

/** The connector's API budget, when it keeps one (the Salesforce connector's `limits`). */
function budgetOf(connector: Connector): ApiBudget | undefined {
  const limits = (connector as Partial<{ limits: unknown }>).limits;
  if (typeof limits !== 'object' || limits === null || !('calls' in limits) || !('usage' in limits)) return undefined;
  const tracked = limits as { readonly calls: number; readonly usage: { used: number; max: number } | undefined };
  return {
    system: connector.system,
    calls: () => tracked.calls,
    remaining: () => (tracked.usage ? tracked.usage.max - tracked.usage.used : undefined),
  };
}

/**
 * `tandem serve`: opens the engine, starts the scheduler (pg-boss with a Postgres state store, node-cron with the
 * embedded one), the HTTP endpoint and the metrics.
 */
export async function startServe(options: ServeOptions): Promise<RunningServe> {
  const { config, logger } = options;
  const replica = options.replica ?? `${hostname()}:${process.pid}`;
  const log = logger.child({ replica });
  const engine = await openEngine(config, { logger: log });
  const shutdown = new AbortController();
  let accepting = true;
  let http: RunningHttpApi | undefined;
  let scheduler: RunScheduler | undefined;
  try {
    const executor = new RunExecutor({
      ctx: engine.context,
      database: engine.store.database,
      replica,
      logger: log,
      signal: shutdown.signal,
    });
    const state = serviceStateOf(engine.store, config.sync);
    const budgets = [budgetOf(engine.erp), budgetOf(engine.crm)].filter((b): b is ApiBudget => b !== undefined);
    const metrics = new ServiceMetrics({ sync: config.sync, state, budgets });
    executor.onFinished((outcome) => metrics.recordRun(outcome, state));
    for (const listener of options.listeners ?? []) executor.onFinished(listener);

    const objects = engine.context.objects.map((o) => o.name);
    const maintenance = options.maintenance
      ? { cron: options.maintenance.cron, task: () => options.maintenance!.task(engine) }
      : undefined;
    scheduler = config.state.url
      ? new PgBossRunScheduler({
          url: config.state.url,
          schema: `${config.state.schema}_jobs`,
          executor,
          objects,
          schedule: config.schedule,
          serve: config.serve,
          logger: log,
          ...(maintenance ? { maintenance } : {}),
        })
      : new LocalRunScheduler({
          executor,
          objects,
          schedule: config.schedule,
          logger: log,
          ...(maintenance ? { maintenance: [maintenance] } : {}),
        });
    await scheduler.start();

    const streams = (system: 'erp' | 'crm') => engine.context.objects.map((o) => o.streams[system]);
    const checks: ReadinessCheck[] = [
      { name: 'state', check: () => state.ping() },
      { name: 'erp', check: (signal) => engine.erp.init(streams('erp'), { signal }) },
      // The CRM's check costs API calls (token, limits, describe): a success is reused for 30 s.
      { name: 'crm', cacheMs: 30_000, check: (signal) => engine.crm.init(streams('crm'), { signal }) },
    ];
    const running = scheduler;
    http = await startHttpApi({
      host: options.host ?? config.serve.host,
      port: options.port ?? config.serve.port,
      token: options.token,
      sync: config.sync,
      objects,
      state,
      metrics,
      checks,
      enqueue: (names, kind) => running.enqueue(names, kind, 'api'),
      serveRuns: (ids) => serveRunsOf(engine.store.database, config.sync, ids),
      accepting: () => accepting,
      console: {
        sync: config.sync,
        config,
        objects,
        store: engine.store,
        run: (id) => state.run(id),
        serveRuns: (ids) => serveRunsOf(engine.store.database, config.sync, ids),
        captureTimes: () => state.captureTimes(),
        enqueue: (names, kind) => running.enqueue(names, kind, 'api'),
        now: () => new Date(),
      },
    });
    const api = http;
    if (config.notify.length > 0) {
      const notifier = new WebhookNotifier({
        targets: config.notify,
        sync: config.sync,
        database: engine.store.database,
        logger: log,
      });
      executor.onFinished(async (outcome) => {
        await notifier.notifyRun(outcome.result, outcome.request.objects, `${api.url}/runs/${outcome.result.runId}`);
      });
    }
    log.info({ url: api.url, objects, queue: config.state.url ? 'pg-boss' : 'local' }, 'tandem serve is running');

    let stopping: Promise<boolean> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        accepting = false;
        log.info(
          { graceSeconds: config.serve.graceSeconds },
          'stopping: no new runs; the running stage stops at its next safe point',
        );
        shutdown.abort(new TandemError('tandem serve is shutting down', { code: 'SHUTDOWN', exitCode: EXIT.ok }));
        let timer: NodeJS.Timeout | undefined;
        const inTime = await Promise.race([
          running.stop().then(() => true),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), config.serve.graceSeconds * 1000);
          }),
        ]);
        clearTimeout(timer);
        if (!inTime) log.warn('the grace period ended before the running stage reached a safe point');
        await executor.drain(Math.min(5000, config.serve.graceSeconds * 1000));
        await api.close().catch(() => {});
        await engine.close();
        return inTime;
      })());
    return { url: api.url, replica, engine, executor, scheduler, stop };
  } catch (error) {
    await http?.close().catch(() => {});
    await scheduler?.stop().catch(() => {});
    await engine.close();
    throw coerceError(error);
  }
}
