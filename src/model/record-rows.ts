import type { Fields } from './record.js';
import type { SystemId } from './system.js';
import type { ConflictAnswer } from './conflict.js';
import type { NewQueuedConflict } from './queued-conflict.js';
import type { NewRecordEvent } from './record-timeline.js';

/**
 * What tandem knows of one record, as the pipeline sees it (full states resolved: a side's fields are never
 * "same as base" here, they are the fields).
 */
export interface RecordState {
  readonly key: string;
  /** The last state both sides agreed on; null when never agreed or deleted on both. */
  readonly base: Fields | null;
  /** What the ERP holds, as far as tandem knows; null when the record does not exist there. */
  readonly erp: Fields | null;
  readonly crm: Fields | null;
  readonly erpId: string | null;
  readonly crmId: string | null;
  readonly erpModifiedAt: string | null;
  readonly crmModifiedAt: string | null;
  /** The plan's target while writes are in flight (becomes the base once all are confirmed). */
  readonly pending: Fields | null;
  readonly pendingDelete: boolean;
}

/** A captured change waiting in the inbox (canonical fields). */
export interface StagedChange {
  readonly key: string;
  readonly nativeId: string;
  readonly fields: Fields;
  readonly modifiedAt: string;
  readonly deleted: boolean;
  /** The side holds the record without the key; tandem will write the key back. */
  readonly keyMissing: boolean;
}

/** A planned write waiting for its side's confirmation (canonical fields). */
export interface OutboxEntry {
  readonly system: SystemId;
  readonly key: string;
  readonly op: 'upsert' | 'delete';
  /** The canonical fields to set. */
  readonly payload: Fields;
  /** The side's full state once the write lands; null for a delete. */
  readonly after: Fields | null;
  /** Set for deletes, and for upserts that must address the record by native id to write its key. */
  readonly nativeId: string | null;
  readonly setKey: boolean;
}

export interface FailedEntry {
  readonly system: SystemId;
  readonly key: string;
  readonly status: 'rejected' | 'unprocessed';
  readonly reason: string;
  readonly payload: Fields | null;
  /** The record's id on that side, when the side named it (for the record's timeline). */
  readonly nativeId?: string | null;
  /** The remote bulk job the write went through, when the sink used one. */
  readonly jobId?: string | null;
}

/** One home: model/queued-conflict.ts. */
export type QueuedConflictRow = NewQueuedConflict;

export interface DecisionRow {
  readonly key: string;
  readonly kind: string;
  readonly decisions: unknown;
  readonly policyVersion: string | null;
}

/**
 * Everything one planning chunk or one batch of write results changes in the state store, applied in one
 * transaction (together with the run's counters).
 */
export interface WriteSet {
  readonly states?: readonly RecordState[];
  readonly deleteInbox?: readonly string[];
  readonly outbox?: readonly OutboxEntry[];
  readonly deleteOutbox?: readonly { readonly system: SystemId; readonly key: string }[];
  readonly failed?: readonly FailedEntry[];
  readonly deleteFailed?: readonly { readonly system: SystemId; readonly key: string }[];
  readonly conflicts?: readonly QueuedConflictRow[];
  readonly resolveConflicts?: readonly string[];
  readonly decisions?: readonly DecisionRow[];
  /**
   * Events for the records' timelines beyond those the parts above stand for (decisions, conflicts, planned writes
   * and failures are recorded from them): a side's confirmations.
   */
  readonly events?: readonly NewRecordEvent[];
}

export interface PlanningInput {
  readonly states: ReadonlyMap<string, RecordState>;
  readonly inbox: ReadonlyMap<string, { readonly erp?: StagedChange; readonly crm?: StagedChange }>;
  readonly answers: ReadonlyMap<string, ConflictAnswer>;
  /** Keys with an open conflict (answered or not). */
  readonly openConflicts: ReadonlySet<string>;
  /** Planned writes still waiting for a confirmation, per key. */
  readonly outbox: ReadonlyMap<string, { readonly erp?: OutboxEntry; readonly crm?: OutboxEntry }>;
  /** Sides with a failed-record entry, per key. */
  readonly failed: ReadonlyMap<string, ReadonlySet<SystemId>>;
}
