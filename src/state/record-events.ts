import type { Kysely } from 'kysely';
import type { NewRecordEvent } from '../model/record-timeline.js';
import type {
  DecisionRow,
  FailedEntry,
  OutboxEntry,
  QueuedConflictRow,
  RecordState,
  WriteSet,
} from '../model/record-rows.js';
import { appendRows, type CopyColumn } from './copy-rows.js';
import { toJsonOrNull } from './json.js';
import type { StateTables } from './state-tables.js';

/** Longest reason kept in an event's detail (the failed-record entry keeps the whole one). */
const REASON_CHARS = 300;

/** Where events are recorded: the transaction of the stage that caused them. */
export interface EventScope {
  readonly trx: Kysely<StateTables>;
  readonly sync: string;
  readonly object: string;
  readonly runId: string | null;
}

const RECORD_EVENT_COLUMNS: readonly CopyColumn[] = [
  { name: 'sync_name', type: 'text' },
  { name: 'object', type: 'text' },
  { name: 'run_id', type: 'bigint' },
  { name: 'key', type: 'text' },
  { name: 'kind', type: 'text' },
  { name: 'system', type: 'text' },
  { name: 'native_id', type: 'text' },
  { name: 'job_id', type: 'text' },
  { name: 'detail', type: 'jsonb' },
];

/**
 * Appends events to `record_event` inside the caller's transaction, never a statement per record: one COPY when they
 * are many, one `insert ... select from unnest(arrays)` when they are few (copy-rows.ts).
 */
export async function insertRecordEvents(at: EventScope, events: readonly NewRecordEvent[]): Promise<void> {
  await appendRows(
    at.trx,
    'record_event',
    RECORD_EVENT_COLUMNS,
    events.map((e) => [
      at.sync,
      at.object,
      at.runId,
      e.key,
      e.kind,
      e.system ?? null,
      e.nativeId || null,
      e.jobId ?? null,
      toJsonOrNull(e.detail ?? null),
    ]),
  );
}

/**
 * The events a write set stands for, in the order they happened: decisions, conflicts queued or resolved, planned
 * writes, failures; then the set's own `events` (a side's confirmations). Native ids come from the set's record states.
 */
export function eventsOfWriteSet(set: WriteSet): NewRecordEvent[] {
  const states = new Map<string, RecordState>();
  for (const s of set.states ?? []) states.set(s.key, s);
  const idOn = (key: string, system: 'erp' | 'crm'): string | null => {
    const s = states.get(key);
    return (system === 'erp' ? s?.erpId : s?.crmId) ?? null;
  };
  const events: NewRecordEvent[] = [];
  for (const d of set.decisions ?? []) events.push(decidedEvent(d));
  for (const c of set.conflicts ?? []) events.push(conflictEvent(c));
  for (const key of set.resolveConflicts ?? []) events.push({ key, kind: 'conflict-resolved' });
  for (const o of set.outbox ?? []) events.push(plannedEvent(o, o.nativeId ?? idOn(o.key, o.system)));
  for (const f of set.failed ?? []) events.push(failedEvent(f, f.nativeId ?? idOn(f.key, f.system)));
  events.push(...(set.events ?? []));
  return events;
}

function decidedEvent(d: DecisionRow): NewRecordEvent {
  const raw: unknown = (d.decisions as { decisions?: unknown } | null)?.decisions;
  const list = Array.isArray(raw) ? (raw as readonly Record<string, unknown>[]) : [];
  return {
    key: d.key,
    kind: 'decided',
    detail: {
      kind: d.kind,
      policyVersion: d.policyVersion,
      decisions: list.map((x) => ({
        ...(typeof x['field'] === 'string' ? { field: x['field'] } : { existence: true }),
        take: x['take'],
        rule: x['rule'],
      })),
    },
  };
}

function conflictEvent(c: QueuedConflictRow): NewRecordEvent {
  return {
    key: c.key,
    kind: 'conflict-queued',
    detail: {
      rule: c.rule,
      policyVersion: c.policyVersion,
      fields: c.fields.map((f) => f.field),
      ...(c.existence ? { existence: c.existence } : {}),
    },
  };
}

function plannedEvent(o: OutboxEntry, nativeId: string | null): NewRecordEvent {
  return {
    key: o.key,
    kind: 'planned',
    system: o.system,
    nativeId,
    detail: { op: o.op, fields: Object.keys(o.payload).sort(), ...(o.setKey ? { setKey: true } : {}) },
  };
}

function failedEvent(f: FailedEntry, nativeId: string | null): NewRecordEvent {
  return {
    key: f.key,
    kind: f.status,
    system: f.system,
    nativeId,
    jobId: f.jobId ?? null,
    detail: { reason: f.reason.length > REASON_CHARS ? `${f.reason.slice(0, REASON_CHARS)}…` : f.reason },
  };
}
