import { sql } from 'kysely';
import { SYSTEMS, type SystemId } from '../model/system.js';
import type { RunSummary } from '../model/run-log.js';
import type { StateStore } from '../state/state-store.js';

/**
 * What `tandem serve` reads from the state store, through the store's own methods (or a query of its own where the
 * store has none). One narrow interface, so the service does not depend on how the store is split up.
 */
export interface ServiceState {
  ping(): Promise<void>;
  recentRuns(limit: number): Promise<readonly RunSummary[]>;
  run(id: string): Promise<RunSummary | undefined>;
  queueSizes(): Promise<Readonly<Record<string, { readonly failed: number; readonly conflicts: number }>>>;
  /** When each side of each object was last captured up to date (the watermark written, or a run finished). */
  captureTimes(): Promise<readonly { object: string; system: SystemId; at: Date }[]>;
  /** Remote bulk jobs that ended since `since`, with how long each took. */
  bulkJobsEndedSince(
    since: Date,
  ): Promise<readonly { object: string; system: SystemId; operation: string; seconds: number }[]>;
}

export function serviceStateOf(store: StateStore, sync: string): ServiceState {
  const database = store.database;
  return {
    async ping() {
      await sql`select 1`.execute(database.db);
    },
    recentRuns: (limit) => store.runs.listRuns(sync, limit),
    async run(id) {
      if (!/^\d{1,18}$/.test(id)) return undefined;
      const result = await sql<{
        id: string;
        sync_name: string;
        started_at: Date | string;
        finished_at: Date | string | null;
        status: RunSummary['status'];
        dry_run: boolean;
        objects: string[];
        counts: unknown;
        policy_versions: Record<string, string> | null;
        error: unknown;
      }>`
        select id::text as id, sync_name, started_at, finished_at, status, dry_run, objects, counts, policy_versions, error
          from ${sql.id(database.schema, 'sync_run')} where sync_name = ${sync} and id = ${id}::bigint`.execute(
        database.db,
      );
      const r = result.rows[0];
      if (!r) return undefined;
      return {
        id: r.id,
        sync: r.sync_name,
        startedAt: new Date(r.started_at).toISOString(),
        finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
        status: r.status,
        dryRun: r.dry_run,
        objects: r.objects,
        counts: r.counts,
        policyVersions: r.policy_versions ?? {},
        error: r.error,
      };
    },
    async queueSizes() {
      const sizes = await store.status.queueSizes(sync);
      return Object.fromEntries(
        Object.entries(sizes).map(([object, s]) => [object, { failed: s.failed, conflicts: s.conflicts }]),
      );
    },
    async captureTimes() {
      const marks = await store.status.listWatermarks(sync);
      const runs = await sql<{ object: string; at: Date | string }>`
        select o.object, max(r.finished_at) as at
          from ${sql.id(database.schema, 'sync_run')} r, unnest(r.objects) as o(object)
         where r.sync_name = ${sync} and r.status in ('succeeded', 'partial') and r.finished_at is not null
         group by o.object`.execute(database.db);
      const lastRun = new Map(runs.rows.map((r) => [r.object, new Date(r.at)]));
      const times = new Map<string, { object: string; system: SystemId; at: Date }>();
      for (const m of marks) {
        const written = new Date(m.updatedAt);
        const ran = lastRun.get(m.object);
        times.set(`${m.object}:${m.system}`, {
          object: m.object,
          system: m.system,
          at: ran && ran > written ? ran : written,
        });
      }
      // A side that never had a change to capture has no watermark yet: it is as fresh as the object's last run.
      for (const [object, at] of lastRun)
        for (const system of SYSTEMS)
          if (!times.has(`${object}:${system}`)) times.set(`${object}:${system}`, { object, system, at });
      return [...times.values()];
    },
    async bulkJobsEndedSince(since) {
      const result = await sql<{ object: string; system: SystemId; operation: string; seconds: string | number }>`
        select object, system, operation, extract(epoch from (updated_at - created_at)) as seconds
          from ${sql.id(database.schema, 'bulk_job')}
         where sync_name = ${sync} and status <> 'open' and updated_at >= ${since}`.execute(database.db);
      return result.rows.map((r) => ({ ...r, seconds: Number(r.seconds) }));
    },
  };
}
