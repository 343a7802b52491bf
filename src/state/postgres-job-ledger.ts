import type { Kysely } from 'kysely';
import type { JobLedger, JobLedgerEntry } from '../model/job-ledger.js';
import type { SystemId } from '../model/system.js';
import { toJson } from './json.js';
import type { StateTables } from './state-tables.js';

/** The job ledger of one sync over the `bulk_job` table, handed to sinks. */
export class PostgresJobLedger implements JobLedger {
  readonly #db: Kysely<StateTables>;
  readonly #sync: string;

  constructor(db: Kysely<StateTables>, sync: string) {
    this.#db = db;
    this.#sync = sync;
  }

  async record(entry: Pick<JobLedgerEntry, 'jobId' | 'system' | 'object' | 'operation' | 'detail'>): Promise<void> {
    await this.#db
      .insertInto('bulk_job')
      .values({
        job_id: entry.jobId,
        sync_name: this.#sync,
        system: entry.system,
        object: entry.object,
        operation: entry.operation,
        status: 'open',
        detail: toJson(entry.detail),
      })
      .onConflict((oc) => oc.columns(['sync_name', 'job_id']).doNothing())
      .execute();
  }

  async update(jobId: string, detail: Readonly<Record<string, unknown>>): Promise<void> {
    await this.#db
      .updateTable('bulk_job')
      .set({ detail: toJson(detail), updated_at: new Date() })
      .where('sync_name', '=', this.#sync)
      .where('job_id', '=', jobId)
      .execute();
  }

  async finish(jobId: string, status: 'done' | 'abandoned'): Promise<void> {
    await this.#db
      .updateTable('bulk_job')
      .set({ status, updated_at: new Date() })
      .where('sync_name', '=', this.#sync)
      .where('job_id', '=', jobId)
      .execute();
  }

  async listOpen(system: SystemId, object: string): Promise<readonly JobLedgerEntry[]> {
    const rows = await this.#db
      .selectFrom('bulk_job')
      .selectAll()
      .where('sync_name', '=', this.#sync)
      .where('system', '=', system)
      .where('object', '=', object)
      .where('status', '=', 'open')
      .orderBy('created_at')
      .execute();
    return rows.map((r) => ({
      jobId: r.job_id,
      system: r.system,
      object: r.object,
      operation: r.operation,
      status: r.status,
      detail: (typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail) as Record<string, unknown>,
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
    }));
  }
}
