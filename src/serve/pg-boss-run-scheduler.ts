import PgBoss from 'pg-boss';
import { objectSchedules, type ScheduleConfig, type ServeConfig } from '../config/service-config.js';
import { SyncAlreadyRunningError } from '../pipeline/run-sync.js';
import { coerceError, UnavailableError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import type { RunExecutor } from './run-executor.js';
import { runQueueName, sleep, type RunKind, type RunScheduler } from './run-scheduler.js';

interface RunJobData {
  readonly trigger?: 'api' | RunKind;
}

interface Queue {
  readonly name: string;
  readonly object: string;
  readonly kind: RunKind;
}

/** The queue of housekeeping (daily prune), one per sync. */
export function maintenanceQueueName(sync: string): string {
  return `${sync}/maintenance`;
}

/**
 * Runs, schedules and takeover through pg-boss 10 in tandem's state database (schema `<state schema>_jobs`).
 *
 * - Each (object, kind) is a `stately` queue: at most one run waiting and one active, in every replica together.
 * - pg-boss's cron (one replica sends each tick, deduplicated per minute) puts the scheduled runs in the queues.
 * - Every replica polls the queues and takes a job when it has a free slot (`serve.concurrency`, default 1), so the
 *   objects of a sync spread over the replicas.
 * - A job's expiration is the lease (`serve.leaseSeconds`): a replica that dies mid-run leaves its job active; pg-boss
 *   expires it and another replica retries it. Failed runs are retried with exponential backoff.
 * - The pipeline's per-object advisory lock stays the last guard: a job that finds its object locked fails and is
 *   retried later.
 */
export class PgBossRunScheduler implements RunScheduler {
  readonly #boss: PgBoss;
  readonly #executor: RunExecutor;
  readonly #objects: readonly string[];
  readonly #schedule: ScheduleConfig | null;
  readonly #serve: ServeConfig;
  readonly #logger: Logger;
  readonly #sync: string;
  readonly #maintenance: { cron: string; task: () => Promise<void> } | undefined;
  readonly #stop = new AbortController();
  readonly #running = new Set<Promise<void>>();
  #queues: Queue[] = [];
  #loop: Promise<void> | null = null;

  constructor(options: {
    url: string;
    schema: string;
    executor: RunExecutor;
    objects: readonly string[];
    schedule: ScheduleConfig | null;
    serve: ServeConfig;
    logger: Logger;
    maintenance?: { cron: string; task: () => Promise<void> };
  }) {
    this.#executor = options.executor;
    this.#sync = options.executor.sync;
    this.#objects = options.objects;
    this.#schedule = options.schedule;
    this.#serve = options.serve;
    this.#logger = options.logger;
    this.#maintenance = options.maintenance;
    const lease = options.serve.leaseSeconds;
    this.#boss = new PgBoss({
      connectionString: options.url,
      schema: options.schema,
      application_name: 'tandem-serve',
      max: 4,
      // Expired jobs (a dead replica's runs) are found within this long after their lease ends.
      maintenanceIntervalSeconds: Math.max(1, Math.min(60, Math.floor(lease / 4))),
      cronMonitorIntervalSeconds: 10,
      cronWorkerIntervalSeconds: 2,
    });
    this.#boss.on('error', (error: Error) => this.#logger.warn({ err: error }, 'job queue error (pg-boss)'));
  }

  async start(): Promise<void> {
    try {
      await this.#boss.start();
    } catch (error) {
      throw new UnavailableError(
        `cannot start the job queue (pg-boss) in the state database: ${coerceError(error).message}. Check state.url and that the role may create schemas`,
        { component: 'pg-boss' },
        error,
      );
    }
    const options: PgBoss.Queue = {
      name: '',
      policy: 'stately',
      retryLimit: this.#serve.retryLimit,
      retryDelay: this.#serve.retryDelaySeconds,
      retryBackoff: true,
      expireInSeconds: this.#serve.leaseSeconds,
    };
    for (const object of this.#objects) {
      const crons = objectSchedules(this.#schedule, object);
      for (const kind of ['increment', 'full'] as const) {
        const name = runQueueName(this.#sync, object, kind);
        await this.#ensureQueue(name, { ...options, name });
        const expression = crons[kind];
        if (expression) {
          await this.#boss.schedule(name, expression, { trigger: kind } satisfies RunJobData, { tz: 'UTC' });
          this.#logger.info({ object, kind, cron: expression }, 'scheduled');
        } else await this.#boss.unschedule(name);
        this.#queues.push({ name, object, kind });
      }
    }
    if (this.#maintenance) {
      const name = maintenanceQueueName(this.#sync);
      await this.#ensureQueue(name, { name, policy: 'singleton', retryLimit: 2, expireInSeconds: 3600 });
      await this.#boss.schedule(name, this.#maintenance.cron, {}, { tz: 'UTC' });
      const task = this.#maintenance.task;
      await this.#boss.work(name, { pollingIntervalSeconds: 30 }, async () => {
        await task();
      });
    }
    this.#loop = this.#pollLoop();
  }

  /** createQueue is idempotent, but two replicas creating one queue at the same moment may collide: retry. */
  async #ensureQueue(name: string, options: PgBoss.Queue): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#boss.createQueue(name, options);
        await this.#boss.updateQueue(name, options);
        return;
      } catch (error) {
        if (attempt >= 5) throw error;
        await sleep(200 * attempt);
      }
    }
  }

  async enqueue(
    objects: readonly string[],
    kind: RunKind,
    trigger: 'api' | RunKind = kind,
  ): Promise<readonly { object: string; jobId: string | null }[]> {
    const out: { object: string; jobId: string | null }[] = [];
    for (const object of objects) {
      const jobId = await this.#boss.send(runQueueName(this.#sync, object, kind), { trigger } satisfies RunJobData);
      out.push({ object, jobId });
    }
    return out;
  }

  async #pollLoop(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      let took = false;
      if (this.#running.size < this.#serve.concurrency) {
        // A random order: replicas polling at once reach for different objects first.
        const queues = [...this.#queues].sort(() => Math.random() - 0.5);
        for (const queue of queues) {
          if (signal.aborted || this.#running.size >= this.#serve.concurrency) break;
          let jobs: PgBoss.JobWithMetadata<RunJobData>[];
          try {
            jobs = await this.#boss.fetch<RunJobData>(queue.name, { batchSize: 1, includeMetadata: true });
          } catch (error) {
            this.#logger.warn({ err: coerceError(error) }, 'could not fetch from the job queue');
            break;
          }
          const job = jobs[0];
          if (!job) continue;
          if (signal.aborted) {
            // Taken just as the stop came: hand it back at once (not a failure of the run).
            await this.#boss.fail(queue.name, job.id, { reason: 'replica stopping' }).catch(() => {});
            break;
          }
          took = true;
          const running = this.#runJob(queue, job).finally(() => this.#running.delete(running));
          this.#running.add(running);
        }
      }
      if (!took) await sleep(this.#serve.pollSeconds * 1000, signal);
    }
  }

  async #runJob(queue: Queue, job: PgBoss.JobWithMetadata<RunJobData>): Promise<void> {
    const trigger = job.retryCount > 0 ? 'retry' : (job.data.trigger ?? queue.kind);
    try {
      const result = await this.#executor.execute({
        objects: [queue.object],
        full: queue.kind === 'full',
        trigger,
        jobId: job.id,
      });
      if (result.status === 'failed' || (result.status === 'interrupted' && this.#stop.signal.aborted)) {
        // Failed, or stopped by this replica's shutdown: pg-boss retries it (another replica, or later).
        await this.#boss.fail(queue.name, job.id, { runId: result.runId, status: result.status });
      } else {
        await this.#boss.complete(queue.name, job.id, { runId: result.runId, status: result.status });
      }
    } catch (error) {
      const e = coerceError(error);
      if (e instanceof SyncAlreadyRunningError)
        this.#logger.info({ object: queue.object }, 'object locked by another run; the job is retried later');
      else this.#logger.error({ err: e, object: queue.object }, 'run could not start');
      await this.#boss
        .fail(queue.name, job.id, { error: e.message })
        .catch((failError: unknown) =>
          this.#logger.warn({ err: coerceError(failError) }, 'could not hand the job back'),
        );
    }
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    await Promise.allSettled([...this.#running]);
    await this.#boss.stop({ graceful: true, wait: true, timeout: 5000 }).catch(() => {});
  }
}
