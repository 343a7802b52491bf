import type { JobLedger, JobLedgerEntry } from '../../src/model/job-ledger.js';
import type { SystemId } from '../../src/model/system.js';

/**
 * A tiny in-memory JobLedger for tests: what a Sink records, updates and finishes, kept in a Map. `hooks` let a
 * test crash the writer at a chosen step.
 *
 * @example
 * ```ts
 * const ledger = new MemoryJobLedger()
 * for await (const results of sink.write(stream, batches, { ledger })) ...
 * expect(await ledger.listOpen('crm', stream.name)).toEqual([])
 * ```
 */
export class MemoryJobLedger implements JobLedger {
  readonly entries = new Map<string, JobLedgerEntry>();
  hooks: { beforeUpdate?: (jobId: string, detail: Readonly<Record<string, unknown>>) => void } = {};

  async record(entry: Pick<JobLedgerEntry, 'jobId' | 'system' | 'object' | 'operation' | 'detail'>): Promise<void> {
    if (this.entries.has(entry.jobId)) return; // idempotent on jobId, as the interface says
    const now = new Date().toISOString();
    this.entries.set(entry.jobId, Object.freeze({ ...entry, status: 'open', createdAt: now, updatedAt: now }));
  }

  async update(jobId: string, detail: Readonly<Record<string, unknown>>): Promise<void> {
    this.hooks.beforeUpdate?.(jobId, detail);
    const e = this.entries.get(jobId);
    if (e) this.entries.set(jobId, Object.freeze({ ...e, detail, updatedAt: new Date().toISOString() }));
  }

  async finish(jobId: string, status: 'done' | 'abandoned'): Promise<void> {
    const e = this.entries.get(jobId);
    if (e) this.entries.set(jobId, Object.freeze({ ...e, status, updatedAt: new Date().toISOString() }));
  }

  async listOpen(system: SystemId, object: string): Promise<readonly JobLedgerEntry[]> {
    return [...this.entries.values()]
      .filter((e) => e.system === system && e.object === object && e.status === 'open')
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Every entry's status, in the order recorded. */
  statuses(): string[] {
    return [...this.entries.values()].map((e) => e.status);
  }
}
