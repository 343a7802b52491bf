import type { StateStore } from '../state/state-store.js';

/** One event in a record's history, as the Timeline page shows it. */
export interface TimelineEvent {
  readonly at: string;
  /** capture, decision, planned-write, bulk-job, result, conflict, failed... */
  readonly kind: string;
  readonly system: 'erp' | 'crm' | null;
  readonly runId: string | null;
  /** One line a person can read. */
  readonly summary: string;
  /** The event's data (rule, policy version, fields), shown as JSON. */
  readonly detail: unknown;
}

/** A record found by a timeline search: its object, key and events, oldest first. */
export interface RecordTimeline {
  readonly object: string;
  readonly key: string;
  readonly events: readonly TimelineEvent[];
}

/** What the Timeline page reads: the records matching a key or a native id (of either side), with their events. */
export interface RecordTimelineReader {
  find(query: { readonly text: string; readonly object?: string }): Promise<readonly RecordTimeline[]>;
}

/**
 * A timeline from what the state keeps today: the decisions, the conflict and the failed entry of a record found by
 * its sync key (native ids are not indexed here).
 */
export function stateTimelineReader(store: StateStore, sync: string, objects: readonly string[]): RecordTimelineReader {
  return {
    async find({ text, object }) {
      const found: RecordTimeline[] = [];
      for (const name of object ? [object] : objects) {
        const events: TimelineEvent[] = [];
        for (const d of await store.status.decisionsFor(sync, name, text, 200))
          events.push({
            at: d.createdAt,
            kind: `decision (${d.kind})`,
            system: null,
            runId: d.runId,
            summary: `decided by policy ${d.policyVersion ?? '-'}`,
            detail: d.decisions,
          });
        const conflict = await store.conflicts.getConflict(sync, name, text);
        if (conflict) {
          events.push({
            at: conflict.createdAt,
            kind: 'conflict queued',
            system: null,
            runId: null,
            summary: `${conflict.rule}: ${conflict.reason} [policy ${conflict.policyVersion}]`,
            detail: conflict.fields,
          });
          if (conflict.resolution)
            events.push({
              at: conflict.updatedAt,
              kind: 'conflict answered',
              system: null,
              runId: null,
              summary: `answered by ${conflict.resolution.by}`,
              detail: conflict.resolution,
            });
        }
        for (const f of await store.failed.listFailed(sync, { object: name, limit: 10_000 }))
          if (f.key === text)
            events.push({
              at: f.lastFailedAt,
              kind: `write ${f.status}`,
              system: f.system,
              runId: null,
              summary: `${f.reason} (attempt ${f.attempts}, next retry ${f.nextRetryAt})`,
              detail: null,
            });
        if (events.length > 0)
          found.push({ object: name, key: text, events: events.sort((a, b) => a.at.localeCompare(b.at)) });
      }
      return found;
    },
  };
}
