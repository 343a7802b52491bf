/** How a StateStore records, beyond what a sync needs (tandem.yaml `history:`). */
export interface StateStoreOptions {
  /** Append every record's timeline events to `record_event` (default true; `history.recordEvents`). */
  readonly recordEvents?: boolean;
}
