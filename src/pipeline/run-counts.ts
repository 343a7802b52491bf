import type { SystemId } from '../model/system.js';
import type { RecordChangeKind } from '../diff/plan-record.js';
import type { WriteResult } from '../connectors/connector.js';

/** Per-side write outcomes. */
export interface SideCounts {
  captured: number;
  created: number;
  updated: number;
  deleted: number;
  rejected: number;
  unprocessed: number;
}

/** What one object's run did; stored in the run record and printed by the CLI. */
export interface ObjectCounts {
  erp: SideCounts;
  crm: SideCounts;
  /** Planned records by kind (`unchanged` counts echoes and re-reads). */
  plan: Partial<Record<RecordChangeKind, number>>;
  /** Conflicting fields decided by a rule, and records queued for a person. */
  conflicts: { decided: number; queued: number };
  /** Rejected records with their reasons (the first few, for the summary). */
  rejections: { system: SystemId; key: string; reason: string }[];
}

export function emptySideCounts(): SideCounts {
  return { captured: 0, created: 0, updated: 0, deleted: 0, rejected: 0, unprocessed: 0 };
}

export function emptyObjectCounts(): ObjectCounts {
  return {
    erp: emptySideCounts(),
    crm: emptySideCounts(),
    plan: {},
    conflicts: { decided: 0, queued: 0 },
    rejections: [],
  };
}

export function countResult(counts: ObjectCounts, system: SystemId, result: WriteResult): void {
  const side = counts[system];
  side[result.status] += 1;
  if (result.status === 'rejected' && counts.rejections.length < 20) {
    counts.rejections.push({ system, key: result.key, reason: result.reason ?? 'no reason given' });
  }
}

/** Number of records written to either side (what a quiet re-run must keep at 0). */
export function writesOf(counts: ObjectCounts): number {
  return (
    counts.erp.created +
    counts.erp.updated +
    counts.erp.deleted +
    counts.crm.created +
    counts.crm.updated +
    counts.crm.deleted
  );
}

/** The run being executed: its id and the counters of every object, persisted with each state transaction. */
export interface RunHandle {
  readonly id: string;
  readonly counts: Record<string, ObjectCounts>;
}
