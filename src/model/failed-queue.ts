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
}

/** Retry backoff for a rejected record: 1 min, 2, 4... capped at 6 hours. Unprocessed records retry next run. */
export function nextRetryDelayMs(status: 'rejected' | 'unprocessed', attempts: number): number {
  if (status === 'unprocessed') return 0;
  return Math.min(60_000 * 2 ** Math.max(0, attempts - 1), 6 * 3600_000);
}

/** The failed-record queue (filled and cleared by `RecordStore.apply`; retried by the plan stage when due). */
export interface FailedQueue {
  listFailed(
    sync: string,
    filter?: { readonly object?: string; readonly limit?: number },
  ): Promise<readonly FailedRecordView[]>;
}
