import type { OperatorActionView } from '../model/failed-queue.js';
import type { RunSummary } from '../model/run-log.js';
import type { QueueSizes, WatermarkView } from '../model/status-queries.js';
import type { ObjectCounts } from '../pipeline/run-counts.js';

/** A run as `tandem status` shows it: a `running` run whose process is gone is `interrupted` (`holder: 'gone'`). */
export type RunStatusView = Omit<RunSummary, 'status'> & {
  readonly status: RunSummary['status'];
  /** For runs recorded as running: whether the process that holds their lock is alive. */
  readonly holder?: 'alive' | 'gone';
  /** What the run history says when `status` differs from it (a dead run is still `running` there). */
  readonly recordedStatus?: RunSummary['status'];
};

/** Everything `tandem status` prints; its --json output. */
export interface StatusReport {
  readonly sync: string;
  readonly runs: readonly RunStatusView[];
  readonly queues: Readonly<Record<string, QueueSizes>>;
  readonly watermarks: readonly WatermarkView[];
  readonly openJobs: number;
  /** Per object, the latest run that synced it: its id, counts and policy version. */
  readonly lastRunByObject: Readonly<
    Record<
      string,
      { readonly runId: string; readonly counts: ObjectCounts | null; readonly policyVersion: string | null }
    >
  >;
  readonly operatorActions: readonly OperatorActionView[];
}

/** `2026-12-01 01:02:03Z, 3 min ago` (or `in 2 min` for a time ahead of `now`); the text as given when not a time. */
export function formatInstant(text: string, now: Date): string {
  const at = Date.parse(text);
  if (Number.isNaN(at)) return text;
  const stamp = `${new Date(at).toISOString().slice(0, 19).replace('T', ' ')}Z`;
  return `${stamp}, ${formatAge(now.getTime() - at)}`;
}

/** `just now`, `42 s ago`, `3 min ago`, `5 h ago`, `2 d ago` (`in ...` for a negative age). */
export function formatAge(ms: number): string {
  const seconds = Math.round(Math.abs(ms) / 1000);
  if (seconds < 1) return 'just now';
  const [n, unit] =
    seconds < 60
      ? [seconds, 's']
      : seconds < 3600
        ? [Math.floor(seconds / 60), 'min']
        : seconds < 86_400
          ? [Math.floor(seconds / 3600), 'h']
          : [Math.floor(seconds / 86_400), 'd'];
  return ms < 0 ? `in ${n} ${unit}` : `${n} ${unit} ago`;
}

export function isObjectCounts(value: unknown): value is ObjectCounts {
  const v = value as Partial<ObjectCounts> | null;
  return typeof v === 'object' && v !== null && typeof v.erp === 'object' && typeof v.crm === 'object';
}

/** Per object, the latest run of `runs` (newest first) that synced it. */
export function lastRunByObject(runs: readonly RunSummary[]): StatusReport['lastRunByObject'] {
  const out: Record<string, { runId: string; counts: ObjectCounts | null; policyVersion: string | null }> = {};
  for (const run of runs) {
    if (run.dryRun) continue;
    for (const object of run.objects) {
      if (out[object]) continue;
      const counts = (run.counts as Record<string, unknown> | null)?.[object];
      out[object] = {
        runId: run.id,
        counts: isObjectCounts(counts) ? counts : null,
        policyVersion: run.policyVersions[object] ?? null,
      };
    }
  }
  return out;
}
