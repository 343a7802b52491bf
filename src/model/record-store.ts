import type { OutboxEntry, RecordState, WriteSet } from './record-rows.js';
import type { SystemId } from './system.js';

/** A side's planned write of one key as its result is applied (see `RecordStore.loadForApply`). */
export interface PlannedWriteView {
  readonly entry: OutboxEntry;
  readonly state: RecordState | undefined;
  /** The other side still has a planned write of this key. */
  readonly otherOutstanding: boolean;
}

/** The run a write set belongs to: its counters are stored in the same transaction. */
export interface RunProgress {
  readonly id: string;
  readonly counts: unknown;
  readonly now: Date;
}

/** The per-record tables the planner's statistics matter for (see `RecordStore.analyze`). */
export type RecordTable = 'record_state' | 'inbox' | 'outbox';

/** What `RecordStore.reclaim` did to one table. */
export interface ReclaimedTable {
  readonly table: RecordTable;
  readonly action: 'truncated' | 'vacuumed';
}

/** What tandem knows of each record (base, both sides, native ids, pending target), and the one way to change it. */
export interface RecordStore {
  loadStates(sync: string, object: string, keys: readonly string[]): Promise<Map<string, RecordState>>;
  /**
   * For write results of `system`: each key's planned write, its record state, and whether the other side still has
   * a planned write. One query instead of three.
   */
  loadForApply(
    sync: string,
    object: string,
    system: SystemId,
    keys: readonly string[],
  ): Promise<Map<string, PlannedWriteView>>;
  /** Every key tandem tracks for an object with the side's native id, for key reconciliation. */
  knownKeys(
    sync: string,
    object: string,
    system: SystemId,
    pageSize?: number,
  ): AsyncIterable<readonly { key: string; nativeId: string | null }[]>;
  /**
   * The keys tandem knows `system`'s native ids under: from the record state, else from a change waiting in the
   * inbox. For tombstones a source reports by native id only (Zoho's deleted-records endpoint). Ids tandem does not
   * know are not in the map.
   */
  keysOfNativeIds(
    sync: string,
    object: string,
    system: SystemId,
    nativeIds: readonly string[],
  ): Promise<Map<string, string>>;
  /**
   * Applies a write set (record states, inbox/outbox/failed entries consumed or added, conflicts, decisions) in one
   * transaction, together with the run's counters when given.
   */
  apply(sync: string, object: string, set: WriteSet, run?: RunProgress): Promise<void>;
  /**
   * Refreshes the planner's statistics of the per-record tables. Called after a stage changed many rows (a first
   * load fills them from nothing): with stale statistics Postgres picks nested loops over sequential scans and a
   * join that takes 100 ms takes minutes. ANALYZE samples, so it costs about the same on any table size.
   */
  analyze(tables: readonly RecordTable[]): Promise<void>;
  /**
   * Gives back the space of the rows a big run deleted from the staging tables (every captured change passes through
   * the inbox, every planned write through the outbox): until autovacuum comes by, the next run would scan them all.
   * A staging table empty for every sync is truncated when no other transaction uses it; otherwise (and for
   * `record_state`) VACUUM (ANALYZE), which runs beside other syncs' writers. Not inside a transaction.
   */
  reclaim(tables: readonly RecordTable[]): Promise<readonly ReclaimedTable[]>;
}
