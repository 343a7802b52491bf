import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ObjectCounts } from '../pipeline/run-counts.js';
import { SYSTEMS } from '../model/system.js';
import type { RunOutcome } from './run-executor.js';
import type { ServiceState } from './service-state.js';

/** A remote system's API budget, when its connector tracks one (Salesforce: the daily API requests). */
export interface ApiBudget {
  readonly system: 'erp' | 'crm';
  /** Calls this process made. */
  calls(): number;
  /** The remaining calls the system last reported, or undefined before the first answer. */
  remaining(): number | undefined;
}

/**
 * The Prometheus metrics of `tandem serve` (docs/operations.md lists them). Counters and histograms are this
 * process's; gauges (queue sizes, watermark lag) are read from the state store at each scrape, so every replica
 * reports the same values for them.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly #runs: Counter<'sync' | 'object' | 'outcome'>;
  readonly #captured: Counter<'sync' | 'object' | 'side'>;
  readonly #written: Counter<'sync' | 'object' | 'side' | 'operation'>;
  readonly #rejected: Counter<'sync' | 'object' | 'side' | 'status'>;
  readonly #decided: Counter<'sync' | 'object'>;
  readonly #queued: Counter<'sync' | 'object'>;
  readonly #runDuration: Histogram<'sync' | 'object' | 'outcome'>;
  readonly #bulkDuration: Histogram<'sync' | 'object' | 'side' | 'operation'>;
  readonly #sync: string;

  constructor(options: { sync: string; state: ServiceState; budgets: readonly ApiBudget[] }) {
    const { sync, state, budgets } = options;
    this.#sync = sync;
    const registers = [this.registry];
    this.#runs = new Counter({
      name: 'tandem_runs_total',
      help: 'Runs finished, by object and outcome (succeeded, partial, failed, interrupted).',
      labelNames: ['sync', 'object', 'outcome'],
      registers,
    });
    this.#captured = new Counter({
      name: 'tandem_records_captured_total',
      help: 'Changed records read from a side.',
      labelNames: ['sync', 'object', 'side'],
      registers,
    });
    this.#written = new Counter({
      name: 'tandem_records_written_total',
      help: 'Records written to a side, by operation (created, updated, deleted).',
      labelNames: ['sync', 'object', 'side', 'operation'],
      registers,
    });
    this.#rejected = new Counter({
      name: 'tandem_records_rejected_total',
      help: 'Records a side refused (rejected) or did not process (unprocessed).',
      labelNames: ['sync', 'object', 'side', 'status'],
      registers,
    });
    this.#decided = new Counter({
      name: 'tandem_conflicts_decided_total',
      help: 'Conflicting fields a policy rule decided.',
      labelNames: ['sync', 'object'],
      registers,
    });
    this.#queued = new Counter({
      name: 'tandem_conflicts_queued_total',
      help: 'Records queued for a person to decide.',
      labelNames: ['sync', 'object'],
      registers,
    });
    this.#runDuration = new Histogram({
      name: 'tandem_run_duration_seconds',
      help: 'How long runs took.',
      labelNames: ['sync', 'object', 'outcome'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
      registers,
    });
    this.#bulkDuration = new Histogram({
      name: 'tandem_bulk_job_duration_seconds',
      help: 'How long remote bulk jobs took, from creation to their last state.',
      labelNames: ['sync', 'object', 'side', 'operation'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800],
      registers,
    });
    new Gauge({
      name: 'tandem_failed_queue_size',
      help: 'Records waiting in the failed queue (rejected or unprocessed, retried with backoff).',
      labelNames: ['sync', 'object'],
      registers,
      async collect() {
        this.reset();
        for (const [object, s] of Object.entries(await state.queueSizes())) this.set({ sync, object }, s.failed);
      },
    });
    new Gauge({
      name: 'tandem_conflict_queue_size',
      help: 'Open conflicts waiting for a person.',
      labelNames: ['sync', 'object'],
      registers,
      async collect() {
        this.reset();
        for (const [object, s] of Object.entries(await state.queueSizes())) this.set({ sync, object }, s.conflicts);
      },
    });
    new Gauge({
      name: 'tandem_watermark_lag_seconds',
      help: 'Seconds since each side of each object was last captured up to date.',
      labelNames: ['sync', 'object', 'side'],
      registers,
      async collect() {
        this.reset();
        const now = Date.now();
        for (const t of await state.captureTimes())
          this.set({ sync, object: t.object, side: t.system }, Math.max(0, (now - t.at.getTime()) / 1000));
      },
    });
    new Gauge({
      name: 'tandem_remote_api_calls',
      help: 'Remote API calls this process made (every attempt counts).',
      labelNames: ['sync', 'side'],
      registers,
      collect() {
        for (const b of budgets) this.set({ sync, side: b.system }, b.calls());
      },
    });
    new Gauge({
      name: 'tandem_remote_api_remaining',
      help: 'Remote API calls left in the current window, as the system last reported.',
      labelNames: ['sync', 'side'],
      registers,
      collect() {
        this.reset();
        for (const b of budgets) {
          const remaining = b.remaining();
          if (remaining !== undefined) this.set({ sync, side: b.system }, remaining);
        }
      },
    });
  }

  /** Counts one finished run (a RunExecutor listener); reads the bulk jobs it ended. */
  async recordRun(outcome: RunOutcome, state: ServiceState): Promise<void> {
    const sync = this.#sync;
    const { result } = outcome;
    for (const [object, counts] of Object.entries<ObjectCounts>(result.counts)) {
      this.#runs.inc({ sync, object, outcome: result.status });
      this.#runDuration.observe({ sync, object, outcome: result.status }, result.durationMs / 1000);
      for (const side of SYSTEMS) {
        const c = counts[side];
        this.#captured.inc({ sync, object, side }, c.captured);
        for (const operation of ['created', 'updated', 'deleted'] as const)
          this.#written.inc({ sync, object, side, operation }, c[operation]);
        for (const status of ['rejected', 'unprocessed'] as const)
          this.#rejected.inc({ sync, object, side, status }, c[status]);
      }
      this.#decided.inc({ sync, object }, counts.conflicts.decided);
      this.#queued.inc({ sync, object }, counts.conflicts.queued);
    }
    for (const job of await state.bulkJobsEndedSince(outcome.startedAt)) {
      if (!outcome.request.objects.includes(job.object)) continue;
      this.#bulkDuration.observe({ sync, object: job.object, side: job.system, operation: job.operation }, job.seconds);
    }
  }
}
