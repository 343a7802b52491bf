import type { SystemId } from './system.js';

/** Per object: records tracked and what waits in each queue. */
export interface QueueSizes {
  inbox: number;
  outbox: number;
  conflicts: number;
  /** Failed entries (skipped ones included). */
  failed: number;
  /** Of those, set aside by `tandem failed skip`. */
  skipped: number;
  records: number;
}

export interface WatermarkView {
  readonly object: string;
  readonly system: SystemId;
  readonly value: unknown;
  readonly version: number;
  readonly updatedAt: string;
}

export interface DecisionView {
  readonly runId: string | null;
  readonly kind: string;
  readonly decisions: unknown;
  readonly policyVersion: string | null;
  readonly createdAt: string;
}

/** Read-only views of the state for `tandem status`, a record's timeline and `tandem policy diff`. */
export interface StatusQueries {
  /** Queue sizes per object, for `tandem status`. */
  queueSizes(sync: string): Promise<Record<string, QueueSizes>>;
  listWatermarks(sync: string): Promise<readonly WatermarkView[]>;
  /** Remote bulk jobs still open (the next run resumes them). */
  openJobCount(sync: string): Promise<number>;
  /** The decision timeline of one record, newest first. */
  decisionsFor(sync: string, object: string, key: string, limit?: number): Promise<readonly DecisionView[]>;
  /** Recent conflict decisions of an object (for `tandem policy diff`). */
  recentDecisions(
    sync: string,
    object: string,
    limit?: number,
  ): Promise<readonly { key: string; kind: string; decisions: unknown; policyVersion: string | null }[]>;
}
