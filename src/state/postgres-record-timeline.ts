import { sql, type Kysely } from 'kysely';
import type {
  RecordTimeline,
  RecordTimelineReader,
  TimelineEntry,
  TimelineJob,
  TimelineNow,
  TimelineQuery,
} from '../model/record-timeline.js';
import type { SystemId } from '../model/system.js';
import { TandemError, EXIT } from '../util/errors.js';
import type { StateDatabase } from './state-database.js';
import type { StateTables } from './state-tables.js';

const DEFAULT_LIMIT = 500;

/** A timeline query that names no record. */
export class TimelineQueryError extends TandemError {
  constructor(query: TimelineQuery) {
    super('a record timeline needs a key or a native id. Fix: give KEY, or --native-id ID', {
      code: 'TIMELINE_QUERY',
      context: { sync: query.sync, ...(query.object ? { object: query.object } : {}) },
      exitCode: EXIT.usage,
    });
  }
}

/**
 * RecordTimelineReader over `record_event`, merged with what the other tables know of the record: the decision rows
 * (their reasons, and decisions made before the history was kept), the bulk jobs in the ledger, and what waits now
 * (an open conflict, failed writes, writes in flight). Read only.
 */
export class PostgresRecordTimeline implements RecordTimelineReader {
  readonly #db: Kysely<StateTables>;
  readonly #schema: string;

  constructor(database: StateDatabase) {
    this.#db = database.db;
    this.#schema = database.schema;
  }

  async timeline(query: TimelineQuery): Promise<readonly RecordTimeline[]> {
    const records = await this.#records(query);
    const out: RecordTimeline[] = [];
    for (const { object, key } of records) out.push(await this.#timelineOf(query.sync, object, key, query.limit));
    return out;
  }

  /** The (object, key) pairs the query names, in object then key order. */
  async #records(query: TimelineQuery): Promise<{ object: string; key: string }[]> {
    const t = (table: string) => sql.id(this.#schema, table);
    const { sync } = query;
    const objectFilter = (alias: string) =>
      query.object !== undefined ? sql`and ${sql.ref(`${alias}.object`)} = ${query.object}` : sql``;
    const found = new Map<string, { object: string; key: string }>();
    const add = (rows: readonly { object: string; key: string }[]) => {
      for (const r of rows) {
        if (query.key !== undefined && r.key !== query.key) continue;
        found.set(`${r.object}\u0000${r.key}`, { object: r.object, key: r.key });
      }
    };
    if (query.nativeId !== undefined) {
      const byEvent = await sql<{ object: string; key: string }>`
        select distinct e.object, e.key from ${t('record_event')} e
        where e.sync_name = ${sync} and e.native_id = ${query.nativeId} ${objectFilter('e')}`.execute(this.#db);
      add(byEvent.rows);
      // Records from before the history was kept (or whose events were pruned): the record state links the ids.
      const byState = await sql<{ object: string; key: string }>`
        select rs.object, rs.key from ${t('record_state')} rs
        where rs.sync_name = ${sync} and (rs.erp_id = ${query.nativeId} or rs.crm_id = ${query.nativeId}) ${objectFilter('rs')}`.execute(
        this.#db,
      );
      add(byState.rows);
    } else if (query.key !== undefined) {
      const key = query.key;
      const objects =
        query.object !== undefined
          ? [query.object]
          : (
              await sql<{ object: string }>`
                select object from ${t('watermark')} where sync_name = ${sync}
                union select object from ${t('sync_run')} r, unnest(r.objects) as object
                 where r.sync_name = ${sync} and r.id = (select max(id) from ${t('sync_run')} where sync_name = ${sync})`.execute(
                this.#db,
              )
            ).rows.map((r) => r.object);
      for (const object of objects) {
        const hit = await sql<{ n: number }>`
          select 1 as n where exists (select 1 from ${t('record_event')} where sync_name = ${sync} and object = ${object} and key = ${key})
             or exists (select 1 from ${t('record_state')} where sync_name = ${sync} and object = ${object} and key = ${key})
             or exists (select 1 from ${t('decision')} where sync_name = ${sync} and object = ${object} and key = ${key})
             or exists (select 1 from ${t('inbox')} where sync_name = ${sync} and object = ${object} and key = ${key})`.execute(
          this.#db,
        );
        if (hit.rows.length > 0) add([{ object, key }]);
      }
    } else {
      throw new TimelineQueryError(query);
    }
    return [...found.values()].sort((a, b) =>
      a.object === b.object ? (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) : a.object < b.object ? -1 : 1,
    );
  }

  async #timelineOf(sync: string, object: string, key: string, limit = DEFAULT_LIMIT): Promise<RecordTimeline> {
    const db = this.#db;
    const [events, decisions, state, conflict, failed] = await Promise.all([
      db
        .selectFrom('record_event')
        .select([
          sql<string>`id::text`.as('seq'),
          sql<string | null>`run_id::text`.as('run'),
          'kind',
          'system',
          'native_id',
          'job_id',
          'detail',
          'at',
        ])
        .where('sync_name', '=', sync)
        .where('object', '=', object)
        .where('key', '=', key)
        .orderBy('id', 'desc')
        .limit(limit)
        .execute(),
      db
        .selectFrom('decision')
        .select([
          sql<string>`id::text`.as('seq'),
          sql<string | null>`run_id::text`.as('run'),
          'kind',
          'decisions',
          'policy_version',
          'created_at',
        ])
        .where('sync_name', '=', sync)
        .where('object', '=', object)
        .where('key', '=', key)
        .orderBy('id', 'desc')
        .limit(limit)
        .execute(),
      db
        .selectFrom('record_state')
        .select(['erp_id', 'crm_id', 'pending', 'pending_delete'])
        .where('sync_name', '=', sync)
        .where('object', '=', object)
        .where('key', '=', key)
        .executeTakeFirst(),
      db
        .selectFrom('conflict')
        .select(['rule', 'policy_version', 'fields', 'resolution', 'created_at'])
        .where('sync_name', '=', sync)
        .where('object', '=', object)
        .where('key', '=', key)
        .where('status', '=', 'open')
        .executeTakeFirst(),
      db
        .selectFrom('failed_record')
        .select(['system', 'status', 'reason', 'attempts', 'next_retry_at', 'skipped_at'])
        .where('sync_name', '=', sync)
        .where('object', '=', object)
        .where('key', '=', key)
        .orderBy('system')
        .execute(),
    ]);
    events.reverse();
    decisions.reverse();

    const jobIds = [...new Set(events.flatMap((e) => (e.job_id ? [e.job_id] : [])))];
    const jobs = new Map<string, TimelineJob>();
    if (jobIds.length > 0) {
      const rows = await db
        .selectFrom('bulk_job')
        .select(['job_id', 'operation', 'status', 'created_at', 'updated_at'])
        .where('sync_name', '=', sync)
        .where('job_id', 'in', jobIds)
        .execute();
      for (const r of rows)
        jobs.set(r.job_id, {
          jobId: r.job_id,
          operation: r.operation,
          status: r.status,
          createdAt: iso(r.created_at),
          updatedAt: iso(r.updated_at),
        });
    }

    // Decision rows by run: a `decided` event takes its run's next decision row (for the reasons); the rows left
    // over were made before the history was kept (or with it switched off) and join the timeline by time.
    const rowsByRun = new Map<string, (typeof decisions)[number][]>();
    for (const d of decisions) {
      const list = rowsByRun.get(d.run ?? '') ?? [];
      list.push(d);
      rowsByRun.set(d.run ?? '', list);
    }
    const entries: TimelineEntry[] = [];
    for (const e of events) {
      const detail = asObject(e.detail);
      let enriched = detail;
      if (e.kind === 'decided' && e.run !== null) {
        const row = rowsByRun.get(e.run)?.shift();
        if (row) enriched = { ...detail, reasons: reasonsOf(row.decisions) };
      }
      const job = e.job_id ? jobs.get(e.job_id) : undefined;
      entries.push({
        seq: e.seq,
        at: iso(e.at),
        kind: e.kind,
        system: e.system,
        nativeId: e.native_id,
        runId: e.run,
        jobId: e.job_id,
        detail: enriched,
        ...(job ? { job } : {}),
      });
    }
    const legacy: TimelineEntry[] = [...rowsByRun.values()].flat().map((d) => ({
      seq: `decision:${d.seq}`,
      at: iso(d.created_at),
      kind: 'decided',
      system: null,
      nativeId: null,
      runId: d.run,
      jobId: null,
      detail: {
        kind: d.kind,
        policyVersion: d.policy_version,
        decisions: decisionsOf(d.decisions),
        reasons: reasonsOf(d.decisions),
      },
      fromDecisionTable: true,
    }));
    const merged = mergeByTime(
      entries,
      legacy.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)),
    );

    const now: TimelineNow = {
      openConflict: conflict
        ? {
            rule: conflict.rule,
            policyVersion: conflict.policy_version,
            fields: fieldNamesOf(conflict.fields),
            answered: conflict.resolution !== null,
            since: iso(conflict.created_at),
          }
        : null,
      failed: failed.map((f) => ({
        system: f.system,
        status: f.status,
        reason: f.reason,
        attempts: f.attempts,
        nextRetryAt: iso(f.next_retry_at),
        skipped: f.skipped_at !== null,
      })),
      pending: state ? state.pending !== null || state.pending_delete : false,
    };
    return {
      object,
      key,
      erpId: state?.erp_id ?? lastNativeId(events, 'erp'),
      crmId: state?.crm_id ?? lastNativeId(events, 'crm'),
      entries: merged,
      now,
    };
  }
}

/** Merges two lists each in order: events keep their sequence; a legacy entry goes before the first later event. */
function mergeByTime(events: readonly TimelineEntry[], legacy: readonly TimelineEntry[]): TimelineEntry[] {
  if (legacy.length === 0) return [...events];
  const out: TimelineEntry[] = [];
  let j = 0;
  for (const e of events) {
    while (j < legacy.length && legacy[j]!.at < e.at) out.push(legacy[j++]!);
    out.push(e);
  }
  while (j < legacy.length) out.push(legacy[j++]!);
  return out;
}

function lastNativeId(events: readonly { system: SystemId | null; native_id: string | null }[], system: SystemId) {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const e = events[i]!;
    if (e.system === system && e.native_id) return e.native_id;
  }
  return null;
}

function iso(value: Date | string): string {
  return new Date(value).toISOString();
}

function asObject(value: unknown): Readonly<Record<string, unknown>> {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : {};
}

/** The stored decisions of a decision row (`{ decisions: [...], base, erp, crm, ... }`). */
function storedDecisions(value: unknown): readonly Record<string, unknown>[] {
  const list = asObject(value)['decisions'];
  return Array.isArray(list) ? (list as Record<string, unknown>[]) : [];
}

function decisionsOf(value: unknown): readonly Record<string, unknown>[] {
  return storedDecisions(value).map((d) => ({
    ...(typeof d['field'] === 'string' ? { field: d['field'] } : { existence: true }),
    take: d['take'],
    rule: d['rule'],
  }));
}

function reasonsOf(value: unknown): readonly string[] {
  return storedDecisions(value).flatMap((d) => (typeof d['reason'] === 'string' ? [d['reason']] : []));
}

function fieldNamesOf(value: unknown): readonly string[] {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  if (!Array.isArray(parsed)) return [];
  return (parsed as unknown[]).flatMap((f) => {
    const field = f !== null && typeof f === 'object' ? (f as { field?: unknown }).field : undefined;
    return typeof field === 'string' ? [field] : [];
  });
}
