import type { Fields } from './record.js';
import type { OutboxEntry, PlanningInput, StagedChange } from './record-rows.js';
import type { SystemId } from './system.js';
import type { Watermark } from './watermark.js';
import type { WatermarkKey } from './watermark-store.js';

/** Which per-record tables hold rows for an object. */
export interface Presence {
  readonly states: boolean;
  readonly inbox: boolean;
  readonly conflicts: boolean;
  readonly failed: boolean;
  readonly outbox: boolean;
}

/** What tandem knows of one captured key on one side (see `ChangeStaging.knownSides`). */
export interface KnownSide {
  /** What tandem knows the side holds; null: absent there. */
  readonly known: Fields | null;
  /** The native id tandem knows there (from a waiting inbox entry, else the record state). */
  readonly knownId: string | null;
  readonly hasState: boolean;
  /** Writes of the record are in flight. */
  readonly pending: boolean;
  /** A captured change of this side already waits in the inbox. */
  readonly waiting: boolean;
}

/**
 * The staging areas between the stages of a run: captured changes waiting to be planned (the inbox, staged together
 * with the watermark) and planned writes waiting for their side (the outbox), with what planning reads about them.
 */
export interface ChangeStaging {
  /**
   * Stages captured changes in the inbox and advances the side's watermark, in one transaction: a capture is
   * either durable together with its watermark, or neither happened. A newer capture of a key replaces an older one.
   * Returns whether the watermark moved (it does not when `next` is not ahead of the stored one). The changes are
   * `captured` events of their records' timelines, of run `runId`.
   */
  stageChanges(
    key: WatermarkKey,
    changes: readonly StagedChange[],
    next: Watermark | null,
    runId?: string | null,
  ): Promise<{ advanced: boolean }>;
  countInbox(sync: string, object: string): Promise<number>;
  /**
   * The next keys to plan, in key order after `afterKey`: keys with captured changes, failed records whose retry
   * is due, and conflicts a person has answered.
   */
  nextPlanKeys(
    sync: string,
    object: string,
    afterKey: string | null,
    limit: number,
    now: Date,
  ): Promise<readonly string[]>;
  /**
   * Everything planning needs about `keys`. `parts` skips the lookups of tables known to hold nothing for this
   * object (see `presence`): on a first load that saves three index lookups per record.
   */
  loadForPlanning(
    sync: string,
    object: string,
    keys: readonly string[],
    parts?: Partial<Presence>,
  ): Promise<PlanningInput>;
  /** Which per-record tables hold anything for this object now (one cheap query; lets stages skip lookups). */
  presence(sync: string, object: string): Promise<Presence>;
  /** For captured keys of `system`: what tandem knows of them. Keys tandem has never seen are not in the map. */
  knownSides(sync: string, object: string, system: SystemId, keys: readonly string[]): Promise<Map<string, KnownSide>>;
  /** Pages through a side's planned writes in key order. */
  readOutbox(
    sync: string,
    object: string,
    system: SystemId,
    afterKey: string | null,
    limit: number,
  ): Promise<readonly OutboxEntry[]>;
  countOutbox(sync: string, object: string, system: SystemId): Promise<number>;
}
