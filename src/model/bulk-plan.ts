/** Records planned by one chunk of set-based planning, by the side they exist on. */
export interface OneSidedCounts {
  /** Records only the ERP holds, each planned as a create in the CRM (plan kind `erp-created`). */
  readonly erp: number;
  /** Records only the CRM holds, each planned as a create in the ERP (plan kind `crm-created`). */
  readonly crm: number;
}

/** A key range of the inbox: the keys after `afterKey` (null: from the first) up to and including `lastKey`. */
export interface InboxKeyRange {
  readonly afterKey: string | null;
  readonly lastKey: string;
}

/** The run a chunk belongs to: its counters, brought up to date by `counts`, are stored in the chunk's transaction. */
export interface OneSidedRun {
  readonly id: string;
  readonly now: Date;
  /** Called once inside the chunk's transaction with what it planned; returns the run's counters to store. */
  counts(planned: OneSidedCounts): unknown;
}

/**
 * Set-based planning of the records tandem has never seen that exist on one side only (issue 16): their plan is
 * always the same, a create on the other side, so the state store plans them in SQL straight from the inbox, without
 * a round trip of each record through the pipeline. Every other key stays in the inbox for the normal planner.
 */
export interface BulkPlanner {
  /**
   * The key range of the next `limit` inbox entries after `afterKey` (null: from the first); null when the inbox
   * holds no key after it. Ranges read one after another cover the inbox without overlap, so they may be planned
   * side by side.
   */
  nextRange(sync: string, object: string, afterKey: string | null, limit: number): Promise<InboxKeyRange | null>;
  /**
   * Plans, in one transaction, the one-sided new records among the inbox keys of `range`: the record states, planned
   * writes and timeline events the normal planner would store for them, the inbox entries consumed, and the run's
   * counters. `fields`: the object's canonical field names (the plan's target has exactly these).
   */
  planOneSidedRange(
    sync: string,
    object: string,
    range: InboxKeyRange,
    fields: readonly string[],
    run?: OneSidedRun,
  ): Promise<OneSidedCounts>;
}
