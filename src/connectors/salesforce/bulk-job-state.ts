/**
 * Bulk API 2.0 ingest job states and what tandem does with a job in each, written as tables so a missing case fails
 * to compile.
 *
 * Open -> UploadComplete -> InProgress -> JobComplete | Failed; Aborted from Open, UploadComplete or InProgress.
 */
export type IngestJobState = 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';

export const INGEST_JOB_STATES: readonly IngestJobState[] = Object.freeze([
  'Open',
  'UploadComplete',
  'InProgress',
  'JobComplete',
  'Failed',
  'Aborted',
] as const);

/** States a job may move to from each state (Salesforce's transitions). */
export const INGEST_TRANSITIONS: Readonly<Record<IngestJobState, readonly IngestJobState[]>> = Object.freeze({
  Open: ['UploadComplete', 'Aborted', 'Failed'],
  UploadComplete: ['InProgress', 'JobComplete', 'Failed', 'Aborted'],
  InProgress: ['JobComplete', 'Failed', 'Aborted'],
  JobComplete: [],
  Failed: [],
  Aborted: [],
});

export function isTerminalState(state: IngestJobState): boolean {
  return INGEST_TRANSITIONS[state].length === 0;
}

export function isIngestJobState(value: unknown): value is IngestJobState {
  return typeof value === 'string' && (INGEST_JOB_STATES as readonly string[]).includes(value);
}

/**
 * What `Sink.resume` does with a job the ledger still lists as open, by the state Salesforce reports:
 * - `abort`: the upload never completed (Open); nothing was processed, so abort it, mark it abandoned and yield
 *   nothing; the engine sends those records again.
 * - `poll`: closed but still running; wait for it, then read its results.
 * - `results`: finished (completely, failed part-way or aborted after closing); read its results.
 * - `abandon`: the job no longer exists (404, deleted after 7 days); mark it abandoned.
 */
export type ResumeAction = 'abort' | 'poll' | 'results' | 'abandon';

export const RESUME_ACTIONS: Readonly<Record<IngestJobState | 'NotFound', ResumeAction>> = Object.freeze({
  Open: 'abort',
  UploadComplete: 'poll',
  InProgress: 'poll',
  JobComplete: 'results',
  Failed: 'results',
  Aborted: 'results',
  NotFound: 'abandon',
});

/** How a wait for a job ended. `unknown`: the client stopped waiting; the job may still finish (never "failed"). */
export type JobWaitOutcome =
  | { readonly kind: 'finished'; readonly state: 'JobComplete' | 'Failed' | 'Aborted'; readonly errorMessage?: string }
  | { readonly kind: 'unknown'; readonly lastState: IngestJobState };

/** Delay before poll number `n` (0-based): grows by half each time from `initialMs` up to `maxMs`. */
export function pollDelay(n: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, Math.round(initialMs * 1.5 ** Math.max(0, n)));
}
