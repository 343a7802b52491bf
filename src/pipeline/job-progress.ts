import type { JobLedger } from '../model/job-ledger.js';
import type { SystemId } from '../model/system.js';
import type { SyncObject, SyncOptions } from './sync-object.js';

/**
 * The job ledger a sink writes to, reporting each remote bulk job's state changes as `bulk-job` progress events:
 * the ledger is where a sink records a job's state anyway, so no connector needs to know about progress.
 */
export function reportingLedger(
  ledger: JobLedger,
  object: SyncObject,
  system: SystemId,
  options: SyncOptions,
): JobLedger {
  const onProgress = options.onProgress;
  if (!onProgress) return ledger;
  const emit = (id: string, state: unknown) => {
    if (typeof state === 'string' && state !== '')
      onProgress({ object: object.name, stage: 'bulk-job', system, done: 0, job: { id, state } });
  };
  return {
    async record(entry) {
      await ledger.record(entry);
      emit(entry.jobId, entry.detail['state'] ?? 'Open');
    },
    async update(jobId, detail) {
      await ledger.update(jobId, detail);
      emit(jobId, detail['state']);
    },
    async finish(jobId, status) {
      await ledger.finish(jobId, status);
      emit(jobId, status);
    },
    listOpen: (side, name) => ledger.listOpen(side, name),
  };
}
