import type { FieldValue, Fields } from './record.js';

/** A record waiting for a person: fields both sides changed, whose policy says `manual`. */
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

export type ConflictAnswer =
  { readonly take: 'erp' | 'crm'; readonly by: string } | { readonly set: Fields; readonly by: string };

/** The manual conflict queue. A resolved conflict flows out on the next run. */
export interface ConflictQueue {
  listConflicts(
    sync: string,
    filter?: { readonly object?: string; readonly status?: 'open' | 'resolved'; readonly limit?: number },
  ): Promise<readonly QueuedConflict[]>;
  getConflict(sync: string, object: string, key: string): Promise<QueuedConflict | undefined>;
  /** Records a person's answer; returns false when there is no open conflict for that key. */
  answerConflict(sync: string, object: string, key: string, answer: ConflictAnswer): Promise<boolean>;
}
