/** How a StateStore records, beyond what a sync needs (tandem.yaml `history:`). */
export interface StateStoreOptions {
  /** Append every record's timeline events to `record_event` (default true; `history.recordEvents`). */
  readonly recordEvents?: boolean;
  /**
   * Plan the one-sided records tandem has never seen set-based in SQL (`StateStore.bulkPlan`; default true).
   * bench/bulk-plan.ts at 100,000 records: plan stage ~34 µs a record against ~62 through the normal planner.
   * False sends every record through the normal planner: the two store the same state
   * (test/integration/bulk-plan.test.ts).
   */
  readonly bulkPlan?: boolean;
}
