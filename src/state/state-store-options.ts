/** How a StateStore records, beyond what a sync needs (tandem.yaml `history:`). */
export interface StateStoreOptions {
  /** Append every record's timeline events to `record_event` (default true; `history.recordEvents`). */
  readonly recordEvents?: boolean;
  /**
   * Plan the one-sided records tandem has never seen set-based in SQL (`StateStore.bulkPlan`). Default false
   * for now: measured 5x slower than the normal planner at 100k rows (bench/bulk-plan.ts; a bad plan of the
   * statement, to be fixed). False sends every record through the normal planner: the two give the same state (test/integration/bulk-plan.test.ts).
   */
  readonly bulkPlan?: boolean;
}
