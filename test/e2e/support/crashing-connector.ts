import type {
  CallOptions,
  Connector,
  OutboundRecord,
  Sink,
  Source,
  WriteOptions,
  WriteResult,
} from '../../../src/connectors/connector.js';
import type { JobLedger } from '../../../src/model/job-ledger.js';
import type { StreamRef } from '../../../src/model/stream.js';

/**
 * Where a sink's write is cut off, as a process that dies there would leave it:
 * - `record`: the job is created and in the ledger, nothing uploaded (the next run aborts it and writes again);
 * - `closing`: the data is uploaded, the job not yet closed (Zoho: the file is uploaded, the job not yet created);
 * - `upload-complete`: the job is closed (Salesforce processes it; Zoho: created) and its results were never read.
 */
export type LedgerCrashPoint = 'record' | 'closing' | 'upload-complete';

export class SimulatedCrash extends Error {
  constructor(where: string) {
    super(`simulated crash: ${where}`);
    this.name = 'SimulatedCrash';
  }
}

/**
 * A Connector that delegates everything and, when armed, makes the next sink write die right after the ledger step
 * `crashAt` (the sink's async generator is abandoned mid bulk job, exactly as if the process had stopped). One shot:
 * disarmed once it fired.
 *
 * @example
 * ```ts
 * const crm = new CrashingConnector(salesforce)
 * crm.arm('upload-complete')
 * await runSync({ ...ctx, connectors: { erp, crm } }) // status 'failed', the job stays open in the ledger
 * ```
 */
export class CrashingConnector implements Connector {
  #armed: LedgerCrashPoint | null = null;
  #fired = 0;

  constructor(readonly inner: Connector) {}

  get system() {
    return this.inner.system;
  }

  get capabilities() {
    return this.inner.capabilities;
  }

  /** Crash the next write at this ledger step (null disarms). */
  arm(point: LedgerCrashPoint | null): void {
    this.#armed = point;
  }

  /** How many crashes fired. */
  get fired(): number {
    return this.#fired;
  }

  init(streams: readonly StreamRef[], options?: CallOptions): Promise<void> {
    return this.inner.init(streams, options);
  }

  createSource(): Source {
    return this.inner.createSource();
  }

  createSink(): Sink {
    const sink = this.inner.createSink();
    return {
      write: (
        stream: StreamRef,
        batches: AsyncIterable<readonly OutboundRecord[]>,
        options: WriteOptions,
      ): AsyncIterable<readonly WriteResult[]> =>
        sink.write(stream, batches, { ...options, ledger: this.#ledger(options.ledger) }),
      resume: (stream: StreamRef, options: WriteOptions) => sink.resume(stream, options),
    };
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  #ledger(ledger: JobLedger): JobLedger {
    const fire = (point: LedgerCrashPoint): void => {
      if (this.#armed !== point) return;
      this.#armed = null;
      this.#fired += 1;
      throw new SimulatedCrash(`after ledger step ${point}`);
    };
    return {
      record: async (entry) => {
        await ledger.record(entry);
        fire('record');
      },
      update: async (jobId, detail) => {
        await ledger.update(jobId, detail);
        // Salesforce's job states; Zoho's phases: 'uploaded' (file up, job not created), 'created' (job running).
        if (detail['state'] === 'Closing' || detail['phase'] === 'uploaded') fire('closing');
        if (detail['state'] === 'UploadComplete' || detail['phase'] === 'created') fire('upload-complete');
      },
      finish: (jobId, status) => ledger.finish(jobId, status),
      listOpen: (system, object) => ledger.listOpen(system, object),
    };
  }
}
