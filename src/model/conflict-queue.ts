import type { ConflictAnswer } from './conflict.js';
import type { QueuedConflict } from './queued-conflict.js';

/** The manual conflict queue. A resolved conflict flows out on the next run. */
export interface ConflictQueue {
  listConflicts(
    sync: string,
    filter?: { readonly object?: string; readonly status?: 'open' | 'resolved'; readonly limit?: number },
  ): Promise<readonly QueuedConflict[]>;
  /** The objects that have a conflict (open, or any status with `anyStatus`) for `key`, to find it by key alone. */
  objectsWithConflictKey(sync: string, key: string, anyStatus?: boolean): Promise<readonly string[]>;
  getConflict(sync: string, object: string, key: string): Promise<QueuedConflict | undefined>;
  /** Records a person's answer; returns false when there is no open conflict for that key. */
  answerConflict(sync: string, object: string, key: string, answer: ConflictAnswer): Promise<boolean>;
}
