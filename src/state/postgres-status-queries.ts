import type { Kysely } from 'kysely';
import type { DecisionView, QueueSizes, StatusQueries, WatermarkView } from '../model/status-queries.js';
import type { StateDatabase } from './state-database.js';
import type { StateTables } from './state-tables.js';

/** StatusQueries over the state tables (read only). */
export class PostgresStatusQueries implements StatusQueries {
  readonly #db: Kysely<StateTables>;

  constructor(database: StateDatabase) {
    this.#db = database.db;
  }

  /** Queue sizes per object, for `tandem status`. */
  async queueSizes(sync: string): Promise<Record<string, QueueSizes>> {
    const sizes: Record<string, QueueSizes> = {};
    const bump = (object: string, what: keyof QueueSizes, n: number) => {
      sizes[object] ??= { inbox: 0, outbox: 0, conflicts: 0, failed: 0, skipped: 0, records: 0 };
      sizes[object][what] += n;
    };
    const count = async (
      table: 'inbox' | 'outbox' | 'failed_record' | 'record_state',
      what: 'inbox' | 'outbox' | 'failed' | 'records',
    ) => {
      const rows = await this.#db
        .selectFrom(table)
        .select(['object', (eb) => eb.fn.countAll<string>().as('n')])
        .where('sync_name', '=', sync)
        .groupBy('object')
        .execute();
      for (const r of rows) bump(r.object, what, Number(r.n));
    };
    await count('inbox', 'inbox');
    await count('outbox', 'outbox');
    await count('failed_record', 'failed');
    await count('record_state', 'records');
    const conflicts = await this.#db
      .selectFrom('conflict')
      .select(['object', (eb) => eb.fn.countAll<string>().as('n')])
      .where('sync_name', '=', sync)
      .where('status', '=', 'open')
      .groupBy('object')
      .execute();
    for (const r of conflicts) bump(r.object, 'conflicts', Number(r.n));
    const skipped = await this.#db
      .selectFrom('failed_record')
      .select(['object', (eb) => eb.fn.countAll<string>().as('n')])
      .where('sync_name', '=', sync)
      .where('skipped_at', 'is not', null)
      .groupBy('object')
      .execute();
    for (const r of skipped) bump(r.object, 'skipped', Number(r.n));
    return sizes;
  }

  async listWatermarks(sync: string): Promise<readonly WatermarkView[]> {
    const rows = await this.#db
      .selectFrom('watermark')
      .selectAll()
      .where('sync_name', '=', sync)
      .orderBy('object')
      .orderBy('system')
      .execute();
    return rows.map((r) => ({
      object: r.object,
      system: r.system,
      value: r.value,
      version: r.version,
      updatedAt: new Date(r.updated_at).toISOString(),
    }));
  }

  async openJobCount(sync: string): Promise<number> {
    const row = await this.#db
      .selectFrom('bulk_job')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('sync_name', '=', sync)
      .where('status', '=', 'open')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The decision timeline of one record, newest first. */
  async decisionsFor(sync: string, object: string, key: string, limit = 20): Promise<readonly DecisionView[]> {
    const rows = await this.#db
      .selectFrom('decision')
      .selectAll()
      .where('sync_name', '=', sync)
      .where('object', '=', object)
      .where('key', '=', key)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      runId: r.run_id,
      kind: r.kind,
      decisions: r.decisions,
      policyVersion: r.policy_version,
      createdAt: new Date(r.created_at).toISOString(),
    }));
  }

  /** Recent conflict decisions of an object (for `tandem policy diff`). */
  async recentDecisions(
    sync: string,
    object: string,
    limit = 200,
  ): Promise<readonly { key: string; kind: string; decisions: unknown; policyVersion: string | null }[]> {
    const rows = await this.#db
      .selectFrom('decision')
      .select(['key', 'kind', 'decisions', 'policy_version'])
      .where('sync_name', '=', sync)
      .where('object', '=', object)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ key: r.key, kind: r.kind, decisions: r.decisions, policyVersion: r.policy_version }));
  }
}
