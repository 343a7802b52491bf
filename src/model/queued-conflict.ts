import type { ConflictAnswer } from './conflict.js';
import type { FieldValue } from './record.js';

/**
 * A record waiting for a person: fields both sides changed, whose policy says `manual`. The planner queues the
 * conflict part (`NewQueuedConflict`); the state store adds the object, the status, a person's answer and the times.
 */
export interface QueuedConflict {
  readonly object: string;
  readonly key: string;
  /** The conflicting fields with both sides' values and the base. */
  readonly fields: readonly {
    readonly field: string;
    readonly base: FieldValue | undefined;
    readonly erp: FieldValue | undefined;
    readonly crm: FieldValue | undefined;
  }[];
  /** For delete-versus-change conflicts: which side deleted. */
  readonly existence: 'erp-deleted' | 'crm-deleted' | null;
  readonly erpModifiedAt: string | null;
  readonly crmModifiedAt: string | null;
  /** The rule that queued it and the policy version. */
  readonly rule: string;
  readonly reason: string;
  readonly policyVersion: string;
  readonly status: 'open' | 'resolved';
  /** A person's answer: take one side, or set values per field. */
  readonly resolution: ConflictAnswer | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What the planner queues for one record of one object: a QueuedConflict before the store keeps it. */
export type NewQueuedConflict = Omit<QueuedConflict, 'object' | 'status' | 'resolution' | 'createdAt' | 'updatedAt'>;
