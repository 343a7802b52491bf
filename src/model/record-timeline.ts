import type { SystemId } from './system.js';

/**
 * What can happen to one record, as its timeline (`record_event`) keeps it:
 * - `captured`: a side's change was staged (detail: modifiedAt, deleted, keyMissing);
 * - `decided`: a conflict was decided (detail: the plan's kind, policyVersion, per field the side taken and the rule);
 * - `planned`: a write was put in a side's outbox (detail: op, the field names it sets);
 * - `written` / `rejected` / `unprocessed`: the side answered the write (detail: status or reason; jobId: the bulk job);
 * - `conflict-queued` / `conflict-resolved`: fields wait for a person (detail: rule, policyVersion, fields), or stopped;
 * - `operator-action`: a person acted on the record's queue entry (detail: action, actor).
 * Details name fields, rules and versions, never field values.
 */
export const RECORD_EVENT_KINDS = [
  'captured',
  'decided',
  'planned',
  'written',
  'rejected',
  'unprocessed',
  'conflict-queued',
  'conflict-resolved',
  'operator-action',
] as const;
export type RecordEventKind = (typeof RECORD_EVENT_KINDS)[number];

/** One event to record for a record of the object being applied. */
export interface NewRecordEvent {
  readonly key: string;
  readonly kind: RecordEventKind;
  readonly system?: SystemId | null;
  readonly nativeId?: string | null;
  readonly jobId?: string | null;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** Which records' timelines to read: by key, by native id on either side, or both (object optional). */
export interface TimelineQuery {
  readonly sync: string;
  readonly object?: string;
  readonly key?: string;
  readonly nativeId?: string;
  /** At most this many entries per record, the newest kept (default 500). */
  readonly limit?: number;
}

/** The bulk job an entry went through, as the job ledger knows it. */
export interface TimelineJob {
  readonly jobId: string;
  readonly operation: string;
  readonly status: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** One entry of a record's timeline, oldest first. */
export interface TimelineEntry {
  /** Order within the timeline (the event's sequence number; decisions stored before the history existed follow by time). */
  readonly seq: string;
  readonly at: string;
  readonly kind: RecordEventKind;
  readonly system: SystemId | null;
  readonly nativeId: string | null;
  readonly runId: string | null;
  readonly jobId: string | null;
  readonly detail: Readonly<Record<string, unknown>>;
  /** For a written/rejected/unprocessed entry that went through a bulk job still in the ledger. */
  readonly job?: TimelineJob;
  /** True for a decision read from the `decision` table with no event (made before the history was kept). */
  readonly fromDecisionTable?: boolean;
}

/** What waits for the record now: an open conflict, failed writes. */
export interface TimelineNow {
  readonly openConflict: {
    readonly rule: string;
    readonly policyVersion: string;
    readonly fields: readonly string[];
    readonly answered: boolean;
    readonly since: string;
  } | null;
  readonly failed: readonly {
    readonly system: SystemId;
    readonly status: string;
    readonly reason: string;
    readonly attempts: number;
    readonly nextRetryAt: string;
    readonly skipped: boolean;
  }[];
  /** Writes of the record are in flight (planned, not yet confirmed by both sides). */
  readonly pending: boolean;
}

/** One record's timeline. */
export interface RecordTimeline {
  readonly object: string;
  readonly key: string;
  readonly erpId: string | null;
  readonly crmId: string | null;
  readonly entries: readonly TimelineEntry[];
  readonly now: TimelineNow;
}

/** Reads records' timelines (`tandem history`, the console's Record timeline page). */
export interface RecordTimelineReader {
  /**
   * The timelines of the records matching the query (a key names one record per object; a native id may match
   * records of several objects), each oldest entry first. Empty when nothing matches.
   */
  timeline(query: TimelineQuery): Promise<readonly RecordTimeline[]>;
}
