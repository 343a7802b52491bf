import type { Connector } from '../connectors/connector.js';
import type { Fields } from '../model/record.js';
import type { StreamRef } from '../model/stream.js';
import type { SystemId } from '../model/system.js';
import type { Direction } from '../model/direction.js';
import type { ConflictResolver } from '../model/conflict-resolver.js';
import type { BulkPlanner } from '../model/bulk-plan.js';
import type { ChangeStaging } from '../model/change-staging.js';
import type { JobLedger } from '../model/job-ledger.js';
import type { RecordStore } from '../model/record-store.js';
import type { ResultConfirmer } from '../model/result-confirmer.js';
import type { RunLog } from '../model/run-log.js';
import type { WatermarkStore } from '../model/watermark-store.js';
import type { Logger } from '../util/logger.js';

/**
 * Converts one object's records between native and canonical field names (transforms included). Implemented by
 * `src/mapping` from tandem.yaml; the pipeline only needs this much.
 */
export interface FieldMapper {
  /** Canonical field names, sorted. */
  readonly fieldNames: readonly string[];
  readonly directions: Readonly<Record<string, Direction>>;
  toCanonical(system: SystemId, native: Fields): Fields;
  toNative(system: SystemId, canonical: Fields): Fields;
}

/** One mapped object, ready to sync: its streams on each side, its mapper and its conflict policy. */
export interface SyncObject {
  readonly name: string;
  readonly streams: { readonly erp: StreamRef; readonly crm: StreamRef };
  readonly mapper: FieldMapper;
  readonly resolver: ConflictResolver;
  /** The policy version recorded in the run (decisions carry their own). */
  readonly policyVersion: string;
}

export interface SyncOptions {
  /** Print the plan, write nothing to either side and change no state. */
  readonly dryRun?: boolean;
  /** Re-read everything (ignore watermarks) and reconcile keys to find deletes. */
  readonly full?: boolean;
  /** Only these objects (default: all). */
  readonly objects?: readonly string[];
  /** Records per capture page and per planning chunk. */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  /** Progress callback for long work (the CLI draws it). */
  readonly onProgress?: (event: ProgressEvent) => void;
  /**
   * Test hook: called between steps with the step's name; throwing from it simulates a crash at that point.
   * Steps: `captured-page:<object>:<side>`, `captured:<object>:<side>`, `bulk-planned-chunk:<object>` (a chunk of
   * one-sided new records planned set-based, see plan-stage.ts), `planned:<object>`, `before-apply:<object>:<side>`
   * (the side confirmed writes that are not yet recorded), `bulk-confirm:<object>:<side>` (a chunk's results are
   * staged for the set-based confirmation, inside its transaction: nothing of the chunk is recorded yet),
   * `write-batch:<object>:<side>`, `written:<object>:<side>`.
   */
  readonly checkpoint?: (step: string) => void | Promise<void>;
  /**
   * Confirm plain successful writes set-based in the state store (default true; see write-stage.ts `applyResults`).
   * False applies every result record by record; the state is the same either way.
   */
  readonly bulkConfirm?: boolean;
}

/** The stages a run reports progress for; `bulk-job` is a remote bulk job changing state during `write`/`resume`. */
export type ProgressStage = 'capture' | 'reconcile' | 'plan' | 'write' | 'resume' | 'bulk-job';

/**
 * What the pipeline tells about long work, for a display to draw (the pipeline draws nothing). A stage sends
 * `phase: 'started'`, then updates (no phase) as pages and chunks are done, then `phase: 'finished'`.
 */
export interface ProgressEvent {
  readonly object: string;
  readonly stage: ProgressStage;
  readonly system?: SystemId;
  /** 'started' when a stage begins, 'finished' when it ends; absent on the updates in between. */
  readonly phase?: 'started' | 'finished';
  /** Records done so far in this stage (0 for `bulk-job`). */
  readonly done: number;
  /** Records the stage will handle, when known beforehand (write: the outbox). */
  readonly total?: number;
  /** For `bulk-job`: the remote job and its state (`Open`, `UploadComplete`, `done`, `abandoned`...). */
  readonly job?: { readonly id: string; readonly state: string };
}

/**
 * The parts of the state store a sync run uses, each a small interface (src/model; Postgres implementations in
 * src/state, assembled by `StateStore`).
 */
export interface SyncStores {
  readonly runs: RunLog;
  readonly watermarks: WatermarkStore;
  readonly staging: ChangeStaging;
  /** Set-based planning of one-sided new records; without it every record goes through the normal planner. */
  readonly bulkPlan?: BulkPlanner | undefined;
  readonly records: RecordStore;
  /**
   * Confirms plain successful writes set-based (write-stage.ts); without one, every result is applied record by
   * record (`confirmWrite`), which gives the same state.
   */
  readonly confirmer?: ResultConfirmer;
  /**
   * How many of the run's transactions on disjoint records may usefully run side by side (write results are applied
   * in that many lanes): 2 on a Postgres server (one backend per core of a small machine), 1 on embedded PGlite (one
   * connection). Default 1.
   */
  readonly parallelTransactions?: number;
  /** The bulk-job ledger of a sync, handed to sinks. */
  ledger(sync: string): JobLedger;
}

export interface SyncContext {
  readonly sync: string;
  readonly store: SyncStores;
  readonly connectors: { readonly erp: Connector; readonly crm: Connector };
  readonly objects: readonly SyncObject[];
  readonly logger: Logger;
  /**
   * Brings `objects`' policies up to date with their files (openEngine's re-reads them; see reloadPolicies): called as
   * a run starts, so the run's decisions carry the policy version of the file as it is then.
   */
  readonly refreshPolicies?: () => Promise<void>;
  /** The clock used for retry schedules (not for conflict decisions, which use each side's own clock). */
  readonly now?: () => Date;
}
