import type { SystemId } from './system.js';

/** One side's answer to one planned write, as the set-based confirmation stages it: short text columns only. */
export interface StagedWriteResult {
  readonly key: string;
  readonly status: 'created' | 'updated';
  readonly nativeId: string | null;
  readonly jobId: string | null;
  readonly reason: string | null;
}

/** The run a confirmation belongs to: its counters are stored in the same transaction. */
export interface ConfirmationRun {
  readonly id: string;
  readonly now: Date;
  /**
   * Called inside the transaction with the keys confirmed there, before it commits: counts them and returns the run's
   * counters to store.
   */
  readonly countsAfter: (confirmed: ReadonlySet<string>) => unknown;
}

export interface ConfirmationOptions {
  /** Failed-record entries may exist for these keys: a confirmed write clears its own. */
  readonly clearFailed: boolean;
  /** Test hook, called inside the transaction after the results are staged and before any is confirmed. */
  readonly afterStaging?: () => void | Promise<void>;
}

/**
 * Confirms a side's successful writes set-based, in one transaction, for the records whose transition is plain: a
 * create or update of a record with a pending target, no outstanding write on the other side, and fields SQL can
 * store and hash exactly as the record-by-record path (`confirmWrite` + `RecordStore.apply`) would. Returns the keys
 * confirmed; every other result is left for the record-by-record path, untouched. A key with no planned write of
 * `system` is never confirmed, so applying the same results again confirms nothing.
 */
export interface ResultConfirmer {
  confirmPlainWrites(
    sync: string,
    object: string,
    system: SystemId,
    results: readonly StagedWriteResult[],
    options: ConfirmationOptions,
    run: ConfirmationRun,
  ): Promise<ReadonlySet<string>>;
}
