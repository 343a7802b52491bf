import type { FieldValue, Fields } from './record.js';

/** One side's version of a record in a conflict. `modifiedAt` is that system's own clock. */
export interface SideVersion {
  readonly fields: Fields;
  readonly modifiedAt: string;
  readonly deleted: boolean;
}

/**
 * A real conflict: both sides changed the same record since the base, in ways that do not merge by themselves.
 * - `fields`: both sides changed the listed fields to different values.
 * - `erp-deleted` / `crm-deleted`: one side deleted the record while the other changed it.
 */
export interface Conflict {
  readonly kind: 'fields' | 'erp-deleted' | 'crm-deleted';
  /** The mapping name, e.g. `account`. */
  readonly object: string;
  readonly key: string;
  /** The last state both sides agreed on; null when the record was never synced (created on both sides). */
  readonly base: Fields | null;
  readonly erp: SideVersion;
  readonly crm: SideVersion;
  /** For `fields`: the conflicting canonical field names, sorted. Empty for existence conflicts. */
  readonly fields: readonly string[];
}

/**
 * How one conflicting field is decided.
 * - `erp` / `crm`: that side's value wins.
 * - `value`: a computed value (max, union of picklists, a custom resolver's merge) is written to both sides.
 * - `manual`: a person decides; the field waits in the conflict queue and both sides keep their values meanwhile.
 */
export interface FieldDecision {
  readonly kind: 'field';
  readonly field: string;
  readonly take: 'erp' | 'crm' | 'value' | 'manual';
  /** Present when `take` is `value`. */
  readonly value?: FieldValue;
  /** Which rule decided, e.g. `conflict-rules/account.yaml: fields.credit_limit (source-of-truth: erp)`. */
  readonly rule: string;
  /** Why, in one sentence a person can read, e.g. `crm edit at 10:02:11Z is later than erp edit at 10:01:07Z`. */
  readonly reason: string;
}

/**
 * How a delete-versus-change conflict is decided.
 * - `delete`: the delete wins; the record is deleted on the other side too.
 * - `keep`: the change wins; the record is recreated on the side that deleted it.
 * - `manual`: a person decides.
 */
export interface ExistenceDecision {
  readonly kind: 'existence';
  readonly take: 'delete' | 'keep' | 'manual';
  readonly rule: string;
  readonly reason: string;
}

export type Decision = FieldDecision | ExistenceDecision;

/**
 * A resolver's answer: one FieldDecision per conflicting field (kind `fields`), or one ExistenceDecision
 * (kinds `erp-deleted` and `crm-deleted`). `policyVersion` is recorded with every decision.
 */
export interface Resolution {
  readonly decisions: readonly Decision[];
  readonly policyVersion: string;
}

/**
 * A person's answer to a queued conflict (`tandem conflicts resolve`), fed back into planning on the next run:
 * take one side's values, or set values per field (fields not set keep waiting).
 */
export type ConflictAnswer =
  { readonly take: 'erp' | 'crm'; readonly by: string } | { readonly set: Fields; readonly by: string };
