import { runSync, type SyncRunResult } from '../pipeline/run-sync.js';
import type { SyncContext } from '../pipeline/sync-object.js';
import type { StateDatabase } from '../state/state-database.js';
import { coerceError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { recordServeRun, type RunTrigger } from './serve-run-log.js';

/** A run to execute now. */
export interface RunRequest {
  readonly objects: readonly string[];
  readonly full: boolean;
  readonly trigger: RunTrigger;
  /** The queue job that carries it (pg-boss id), or null (embedded scheduler, direct call). */
  readonly jobId: string | null;
}

/** What listeners (metrics, notifications) hear about each finished run. */
export interface RunOutcome {
  readonly request: RunRequest;
  readonly result: SyncRunResult;
  readonly replica: string;
  readonly startedAt: Date;
}

export type RunListener = (outcome: RunOutcome) => void | Promise<void>;

/**
 * Executes runs for one `tandem serve` process: the pipeline's `runSync` with the process's shutdown signal, then
 * records which replica ran it and tells the listeners. Listeners run in the background: a slow webhook or a failing
 * metric never delays the next run, and `drain` waits for them (bounded) at shutdown.
 */
export class RunExecutor {
  readonly #ctx: SyncContext;
  readonly #database: StateDatabase;
  readonly #replica: string;
  readonly #logger: Logger;
  readonly #signal: AbortSignal;
  readonly #listeners: RunListener[] = [];
  readonly #background = new Set<Promise<void>>();
  #active = 0;

  constructor(options: {
    ctx: SyncContext;
    database: StateDatabase;
    replica: string;
    logger: Logger;
    signal: AbortSignal;
  }) {
    this.#ctx = options.ctx;
    this.#database = options.database;
    this.#replica = options.replica;
    this.#logger = options.logger;
    this.#signal = options.signal;
  }

  get replica(): string {
    return this.#replica;
  }

  get sync(): string {
    return this.#ctx.sync;
  }

  /** Runs executing now in this process. */
  get active(): number {
    return this.#active;
  }

  onFinished(listener: RunListener): void {
    this.#listeners.push(listener);
  }

  /** Runs the sync; throws SyncAlreadyRunningError when another process holds one of the objects. */
  async execute(request: RunRequest): Promise<SyncRunResult> {
    const startedAt = new Date();
    this.#active += 1;
    let result: SyncRunResult;
    try {
      this.#logger.info(
        { objects: request.objects, full: request.full, trigger: request.trigger, jobId: request.jobId },
        'run started',
      );
      result = await runSync(this.#ctx, {
        objects: request.objects,
        ...(request.full ? { full: true } : {}),
        signal: this.#signal,
      });
    } finally {
      this.#active -= 1;
    }
    await recordServeRun(this.#database, this.#ctx.sync, {
      runId: result.runId,
      objects: request.objects,
      full: request.full,
      trigger: request.trigger,
      replica: this.#replica,
      jobId: request.jobId,
    }).catch((error: unknown) => this.#logger.warn({ err: coerceError(error) }, 'could not record the serve run'));
    this.#logger.info(
      { runId: result.runId, objects: request.objects, status: result.status, writes: result.writes },
      'run finished',
    );
    const outcome: RunOutcome = { request, result, replica: this.#replica, startedAt };
    for (const listener of this.#listeners) {
      const pending = Promise.resolve()
        .then(() => listener(outcome))
        .catch((error: unknown) => this.#logger.warn({ err: coerceError(error) }, 'a run listener failed'))
        .finally(() => this.#background.delete(pending));
      this.#background.add(pending);
    }
    return result;
  }

  /** Waits for the listeners still working (webhook deliveries), at most `ms`. */
  async drain(ms: number): Promise<void> {
    if (this.#background.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.#background]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
    clearTimeout(timer);
  }
}
