import type { SystemId } from './system.js';

/**
 * A remote bulk job (e.g. a Salesforce Bulk API 2.0 ingest job), recorded in the state store *before* its data is
 * uploaded, so that a process that dies mid-job resumes polling that job on the next run instead of submitting the
 * same records again.
 */
export interface JobLedgerEntry {
  readonly jobId: string;
  readonly system: SystemId;
  /** The mapping name (`account`). */
  readonly object: string;
  /** The remote operation (`upsert`, `delete`...). */
  readonly operation: string;
  /** `open` until its results have been applied; then `done`. `abandoned` when the remote job no longer exists. */
  readonly status: 'open' | 'done' | 'abandoned';
  /** Connector-owned details needed to resume (remote state, API version...). */
  readonly detail: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The part of the state store a Sink uses to make remote jobs resumable. */
export interface JobLedger {
  /** Records a job before any data is uploaded to it. Idempotent on jobId. */
  record(entry: Pick<JobLedgerEntry, 'jobId' | 'system' | 'object' | 'operation' | 'detail'>): Promise<void>;
  /** Updates a job's detail (remote state) while it runs. */
  update(jobId: string, detail: Readonly<Record<string, unknown>>): Promise<void>;
  /** Marks a job whose results were fully applied (`done`) or that cannot be resumed (`abandoned`). */
  finish(jobId: string, status: 'done' | 'abandoned'): Promise<void>;
  /** Jobs still `open` for this system and object, oldest first. */
  listOpen(system: SystemId, object: string): Promise<readonly JobLedgerEntry[]>;
}
