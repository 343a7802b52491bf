/** What a run was asked for: the object and whether it is a full reconcile. */
export type RunKind = 'increment' | 'full';

/**
 * Starts each object's runs on its schedules and on demand, one run of an object at a time. Two implementations:
 * pg-boss in the state database (several replicas) and node-cron in one process (embedded state store).
 */
export interface RunScheduler {
  /** Creates the schedules and starts taking work. */
  start(): Promise<void>;
  /** Asks for a run of each object now; answers one entry per object (the job id, or null if one is already queued). */
  enqueue(
    objects: readonly string[],
    kind: RunKind,
    trigger: 'api' | RunKind,
  ): Promise<readonly { object: string; jobId: string | null }[]>;
  /** Stops taking new work; resolves once the runs in progress have ended. */
  stop(): Promise<void>;
}

/** A stable, readable name for one object's runs of one kind, e.g. `acme/account/full`. */
export function runQueueName(sync: string, object: string, kind: RunKind): string {
  return `${sync}/${object}/${kind}`;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
