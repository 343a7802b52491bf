import type { BulkPlanner } from '../model/bulk-plan.js';
import type { ChangeStaging } from '../model/change-staging.js';
import type { ConflictQueue } from '../model/conflict-queue.js';
import type { FailedQueue } from '../model/failed-queue.js';
import type { JobLedger } from '../model/job-ledger.js';
import type { RecordStore } from '../model/record-store.js';
import type { ResultConfirmer } from '../model/result-confirmer.js';
import type { RunLog } from '../model/run-log.js';
import type { RecordTimelineReader } from '../model/record-timeline.js';
import type { StatusQueries } from '../model/status-queries.js';
import type { WatermarkStore } from '../model/watermark-store.js';
import { PostgresBulkPlanner } from './postgres-bulk-plan.js';
import { PostgresResultConfirmer } from './postgres-bulk-confirm.js';
import { PostgresChangeStaging } from './postgres-change-staging.js';
import { PostgresConflictQueue } from './postgres-conflict-queue.js';
import { PostgresFailedQueue } from './postgres-failed-queue.js';
import { PostgresJobLedger } from './postgres-job-ledger.js';
import { PostgresRecordStore } from './postgres-record-store.js';
import { PostgresRecordTimeline } from './postgres-record-timeline.js';
import { PostgresRunLog } from './postgres-run-log.js';
import { PostgresStatusQueries } from './postgres-status-queries.js';
import { PostgresWatermarkStore } from './postgres-watermark-store.js';
import { migrateStateDatabase, type StateDatabase } from './state-database.js';
import type { StateStoreOptions } from './state-store-options.js';

/**
 * tandem's state in one Postgres database (real or embedded), as its parts: each part is a small interface of
 * src/model with its Postgres implementation here. The engine opens one and hands its parts to the pipeline
 * (`SyncContext.store`); the CLI reads the queues and the status through it.
 *
 * @example
 * ```ts
 * const store = new StateStore(await openStateDatabase(target))
 * await store.migrate()
 * const open = await store.conflicts.listConflicts('erp-crm', { status: 'open' })
 * ```
 */
export class StateStore {
  readonly database: StateDatabase;
  /** Run history and the one-run-at-a-time lock. */
  readonly runs: RunLog;
  /** How far each side of each object has been captured. */
  readonly watermarks: WatermarkStore;
  /** Captured changes waiting to be planned (inbox) and planned writes waiting for their side (outbox). */
  readonly staging: ChangeStaging;
  /**
   * Set-based planning of one-sided records tandem has never seen (postgres-bulk-plan.ts); undefined when
   * `options.bulkPlan` is false.
   */
  readonly bulkPlan: BulkPlanner | undefined;
  /** Per-record state, and `apply`, the one transaction that changes it. */
  readonly records: RecordStore;
  /** Confirms a side's plain successful writes set-based (the fast path of applying write results). */
  readonly confirmer: ResultConfirmer;
  /** Transactions on disjoint records worth running side by side: 2 on a server, 1 on PGlite (one connection). */
  readonly parallelTransactions: number;
  /** Records waiting for a person. */
  readonly conflicts: ConflictQueue;
  /** Records a side rejected or did not process. */
  readonly failed: FailedQueue;
  /** Read-only views for `tandem status`, record timelines and `tandem policy diff`. */
  readonly status: StatusQueries;
  /** Each record's history: captures, decisions, planned writes, bulk jobs and results (`tandem history`). */
  readonly timeline: RecordTimelineReader;

  /** `options.recordEvents` false: no `record_event` rows are written (tandem.yaml `history.recordEvents`). */
  constructor(database: StateDatabase, options: StateStoreOptions = {}) {
    this.database = database;
    this.runs = new PostgresRunLog(database);
    this.watermarks = new PostgresWatermarkStore(database.db);
    this.staging = new PostgresChangeStaging(database, options);
    this.bulkPlan = options.bulkPlan !== false ? new PostgresBulkPlanner(database, options) : undefined;
    this.records = new PostgresRecordStore(database, options);
    this.confirmer = new PostgresResultConfirmer(database, options);
    this.parallelTransactions = database.kind === 'postgres' ? 2 : 1;
    this.conflicts = new PostgresConflictQueue(database, options);
    this.failed = new PostgresFailedQueue(database, options);
    this.status = new PostgresStatusQueries(database);
    this.timeline = new PostgresRecordTimeline(database);
  }

  /** The bulk-job ledger of one sync, handed to sinks. */
  ledger(sync: string): JobLedger {
    return new PostgresJobLedger(this.database.db, sync);
  }

  /** Creates or upgrades the schema (idempotent). */
  async migrate(): Promise<void> {
    await migrateStateDatabase(this.database);
  }

  async close(): Promise<void> {
    await this.database.close();
  }
}
