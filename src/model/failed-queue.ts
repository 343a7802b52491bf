import type { SystemId } from './system.js';

/** A record a side rejected or did not process, as `tandem failed list` shows it. */
export interface FailedRecordView {
  readonly object: string;
  readonly system: SystemId;
  readonly key: string;
  readonly status: 'rejected' | 'unprocessed';
  readonly reason: string;
  readonly attempts: number;
  readonly nextRetryAt: string;
  readonly lastFailedAt: string;
  /** When `tandem failed skip` set it aside (not retried until the record fails anew), else null. */
  readonly skippedAt: string | null;
  readonly skippedBy: string | null;
}

/** Retry backoff for a rejected record: 1 min, 2, 4... capped at 6 hours. Unprocessed records retry next run. */
export function nextRetryDelayMs(status: 'rejected' | 'unprocessed', attempts: number): number {
  if (status === 'unprocessed') return 0;
  return Math.min(60_000 * 2 ** Math.max(0, attempts - 1), 6 * 3600_000);
}

/**
 * What an operator does to failed records:
 * - `retry`: due now, so the next run plans and writes it again (a skip is lifted);
 * - `skip`: not retried until the record changes again (a new capture of it is planned as usual; a write that fails
 *   again puts it back in the retry cycle); it stays listed, as skipped;
 * - `discard`: removed from the queue for good (the record is written again only when it changes).
 */
export type FailedAction = 'retry' | 'skip' | 'discard';

/** Which failed records an action takes: one key of an object, every one of an object, or all (`{}`). */
export interface FailedSelector {
  readonly object?: string;
  readonly key?: string;
}

/** One operator action as the audit trail keeps it (`tandem status`, `tandem failed history`). */
export interface OperatorActionView {
  readonly id: string;
  readonly action: `failed-${FailedAction}`;
  readonly selector: FailedSelector;
  /** How many failed entries (one per record and side) it took. */
  readonly affected: number;
  readonly actor: string;
  readonly at: string;
  /** The entries it took (the first 100). */
  readonly records: readonly {
    readonly object: string;
    readonly system: SystemId;
    readonly key: string;
    readonly status: string;
    readonly reason: string | null;
    readonly attempts: number;
  }[];
}

/** The failed-record queue (filled and cleared by `RecordStore.apply`; retried by the plan stage when due). */
export interface FailedQueue {
  listFailed(
    sync: string,
    filter?: { readonly object?: string; readonly limit?: number },
  ): Promise<readonly FailedRecordView[]>;
  /** The objects that hold a failed entry for `key` (to find the object when the operator gives only a key). */
  objectsWithFailedKey(sync: string, key: string): Promise<readonly string[]>;
  /**
   * Retries, skips or discards the selected entries, and records the action in the audit trail with what it took,
   * in one transaction. Null when nothing was selected (then nothing is recorded).
   */
  actOnFailed(
    sync: string,
    action: FailedAction,
    selector: FailedSelector,
    actor: string,
    now: Date,
  ): Promise<OperatorActionView | null>;
  /** The latest operator actions, newest first. */
  listOperatorActions(sync: string, limit?: number): Promise<readonly OperatorActionView[]>;
}
