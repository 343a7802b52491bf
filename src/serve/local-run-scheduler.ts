import { randomUUID } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import { objectSchedules, type ScheduleConfig } from '../config/service-config.js';
import { coerceError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import type { RunExecutor } from './run-executor.js';
import type { RunKind, RunScheduler } from './run-scheduler.js';

interface Pending {
  readonly kind: RunKind;
  readonly trigger: 'api' | RunKind;
  readonly jobId: string;
}

interface Slot {
  running: Promise<void> | null;
  /** A run asked for while one was going: at most one waits (a full one absorbs an increment). */
  pending: Pending | null;
}

/**
 * The scheduler of the embedded state store: one process (the data directory cannot be shared), node-cron for the
 * schedules, one run of an object at a time; a tick that finds the object's run still going queues one more run
 * (not more), like pg-boss's stately queues.
 */
export class LocalRunScheduler implements RunScheduler {
  readonly #executor: RunExecutor;
  readonly #objects: readonly string[];
  readonly #schedule: ScheduleConfig | null;
  readonly #logger: Logger;
  readonly #maintenance: readonly { cron: string; task: () => Promise<void> }[];
  readonly #tasks: ScheduledTask[] = [];
  readonly #slots = new Map<string, Slot>();
  #stopped = false;

  constructor(options: {
    executor: RunExecutor;
    objects: readonly string[];
    schedule: ScheduleConfig | null;
    logger: Logger;
    /** Housekeeping on its own cron (the daily prune). */
    maintenance?: readonly { cron: string; task: () => Promise<void> }[];
  }) {
    this.#executor = options.executor;
    this.#objects = options.objects;
    this.#schedule = options.schedule;
    this.#logger = options.logger;
    this.#maintenance = options.maintenance ?? [];
    for (const object of this.#objects) this.#slots.set(object, { running: null, pending: null });
  }

  start(): Promise<void> {
    for (const object of this.#objects) {
      const crons = objectSchedules(this.#schedule, object);
      for (const kind of ['increment', 'full'] as const) {
        const expression = crons[kind];
        if (!expression) continue;
        this.#tasks.push(cron.schedule(expression, () => void this.enqueue([object], kind)));
        this.#logger.info({ object, kind, cron: expression }, 'scheduled');
      }
    }
    for (const { cron: expression, task } of this.#maintenance) {
      this.#tasks.push(
        cron.schedule(expression, () => {
          if (this.#stopped) return;
          task().catch((error: unknown) => this.#logger.error({ err: coerceError(error) }, 'maintenance failed'));
        }),
      );
    }
    return Promise.resolve();
  }

  enqueue(
    objects: readonly string[],
    kind: RunKind,
    trigger: 'api' | RunKind = kind,
  ): Promise<readonly { object: string; jobId: string | null }[]> {
    return Promise.resolve(
      objects.map((object) => {
        const slot = this.#slots.get(object);
        if (!slot || this.#stopped) return { object, jobId: null };
        const jobId = randomUUID();
        if (slot.running) {
          if (slot.pending && slot.pending.kind === 'full') return { object, jobId: null };
          slot.pending = { kind, trigger, jobId };
          return { object, jobId };
        }
        slot.running = this.#drive(object, slot, { kind, trigger, jobId });
        return { object, jobId };
      }),
    );
  }

  async #drive(object: string, slot: Slot, first: Pending): Promise<void> {
    let next: Pending | null = first;
    while (next && !this.#stopped) {
      const { kind, trigger, jobId } = next;
      try {
        await this.#executor.execute({ objects: [object], full: kind === 'full', trigger, jobId });
      } catch (error) {
        this.#logger.error({ err: coerceError(error), object }, 'run could not start');
      }
      next = slot.pending;
      slot.pending = null;
    }
    slot.running = null;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const task of this.#tasks) await task.stop();
    await Promise.all([...this.#slots.values()].flatMap((s) => (s.running ? [s.running] : [])));
  }
}
