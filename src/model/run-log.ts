/** One sync run as `tandem status` lists it. */
export interface RunSummary {
  readonly id: string;
  readonly sync: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly status: 'running' | 'succeeded' | 'partial' | 'failed' | 'interrupted';
  readonly dryRun: boolean;
  readonly objects: readonly string[];
  readonly counts: unknown;
  readonly policyVersions: Readonly<Record<string, string>>;
  readonly error: unknown;
}

/**
 * The run history: one entry per run with its status, counts and policy versions, and the lock that lets one run of
 * a sync at a time. (A run's counts are also stored with every write set it applies, see `RecordStore.apply`.)
 */
export interface RunLog {
  /**
   * Takes the lock of one object of the sync; resolves to its release, or to null when another process holds it. Runs
   * of different objects (in several replicas) may go together; two runs of one object never do.
   */
  tryLock(sync: string, object: string): Promise<(() => Promise<void>) | null>;
  /**
   * Whether a live process holds the lock of this object now, read without taking it (`tandem status` tells a run
   * that is going on from one whose process died: the lock dies with its holder).
   */
  isLocked(sync: string, object: string): Promise<boolean>;
  startRun(
    sync: string,
    objects: readonly string[],
    dryRun: boolean,
    policyVersions: Readonly<Record<string, string>>,
  ): Promise<string>;
  finishRun(runId: string, status: RunSummary['status'], counts: unknown, error?: unknown): Promise<void>;
  /**
   * Marks as `interrupted` the runs of these objects that a dead process left `running`. Only runs sharing an object
   * with the new one: another object's run may be going on right now in another replica.
   */
  markInterruptedRuns(sync: string, objects: readonly string[]): Promise<number>;
  listRuns(sync: string, limit?: number): Promise<readonly RunSummary[]>;
}
