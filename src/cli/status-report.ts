import Table from 'cli-table3';
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

/** A borderless table with a plain header row (no colours: it goes to files and logs too). */
function table(head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const t = new Table({
    head: [...head],
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '  ',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const row of rows) t.push(row.map(String));
  return t
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

function runTook(run: RunStatusView): string {
  if (run.finishedAt) return `${((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000).toFixed(1)} s`;
  return run.status === 'running' ? 'running' : '-';
}

function runNote(run: RunStatusView): string {
  if (run.holder === 'gone') return 'its process is gone (killed or crashed); the next run continues from its state';
  const message = (run.error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : '';
}

function watermarkPosition(w: WatermarkView, now: Date): string {
  const value = w.value as { kind?: unknown; modifiedAt?: unknown; position?: unknown } | null;
  if (value && value.kind === 'cursor' && typeof value.modifiedAt === 'string')
    return `changes up to ${formatInstant(value.modifiedAt, now)}`;
  if (value && value.kind === 'log' && (typeof value.position === 'string' || typeof value.position === 'number'))
    return `log position ${value.position}`;
  return JSON.stringify(w.value);
}

function isObjectCounts(value: unknown): value is ObjectCounts {
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

/** The text of `tandem status`: tables of runs, counts, queues, policy versions, watermarks and operator actions. */
export function formatStatus(report: StatusReport, now: Date): string {
  const out: string[] = [`sync ${report.sync}`, ''];
  out.push('Recent runs');
  if (report.runs.length === 0) out.push('  (none yet: run tandem sync)');
  else
    out.push(
      table(
        ['RUN', 'STARTED', 'STATUS', 'TOOK', 'OBJECTS', 'NOTE'],
        report.runs.map((r) => [
          `#${r.id}`,
          formatInstant(r.startedAt, now),
          `${r.status}${r.dryRun ? ' (dry run)' : ''}`,
          runTook(r),
          r.objects.join(', '),
          runNote(r),
        ]),
      ),
    );

  const last = Object.entries(report.lastRunByObject);
  if (last.length > 0) {
    out.push('', 'Last run per object: records per side and outcome');
    const rows: (string | number)[][] = [];
    for (const [object, { runId, counts }] of last) {
      if (!counts) continue;
      for (const side of ['erp', 'crm'] as const) {
        const c = counts[side];
        rows.push([object, `#${runId}`, side, c.captured, c.created, c.updated, c.deleted, c.rejected, c.unprocessed]);
      }
    }
    out.push(
      table(['OBJECT', 'RUN', 'SIDE', 'CAPTURED', 'CREATED', 'UPDATED', 'DELETED', 'REJECTED', 'UNPROCESSED'], rows),
    );
    const conflicts = last
      .filter(([, l]) => l.counts)
      .map(
        ([object, l]) =>
          `  ${object}: ${l.counts!.conflicts.decided} conflicting field(s) decided by policy, ${l.counts!.conflicts.queued} record(s) queued for a person`,
      );
    out.push(...conflicts);
  }

  out.push('', 'Queues');
  const queues = Object.entries(report.queues);
  if (queues.length === 0) out.push('  (empty)');
  else
    out.push(
      table(
        ['OBJECT', 'RECORDS', 'CAPTURED WAITING', 'WRITES WAITING', 'CONFLICTS OPEN', 'FAILED', 'OF THEM SKIPPED'],
        queues.map(([object, q]) => [object, q.records, q.inbox, q.outbox, q.conflicts, q.failed, q.skipped]),
      ),
    );
  if (report.openJobs > 0) out.push(`  ${report.openJobs} remote bulk job(s) in flight (the next run resumes them)`);
  if (queues.some(([, q]) => q.conflicts > 0)) out.push('  tandem conflicts list shows the open conflicts');
  if (queues.some(([, q]) => q.failed > 0)) out.push('  tandem failed list shows the failed records');

  const versions = last.filter(([, l]) => l.policyVersion);
  if (versions.length > 0) {
    out.push('', 'Policy versions (of the last run per object)');
    out.push(
      table(
        ['OBJECT', 'POLICY VERSION', 'RUN'],
        versions.map(([object, l]) => [object, l.policyVersion!, `#${l.runId}`]),
      ),
    );
  }

  out.push('', 'Watermarks (how far each side has been captured)');
  if (report.watermarks.length === 0) out.push('  (none yet)');
  else
    out.push(
      table(
        ['OBJECT', 'SIDE', 'CAPTURED', 'LAST MOVED'],
        report.watermarks.map((w) => [w.object, w.system, watermarkPosition(w, now), formatInstant(w.updatedAt, now)]),
      ),
    );

  if (report.operatorActions.length > 0) {
    out.push('', 'Operator actions on failed records (tandem failed history shows more)');
    out.push(
      table(
        ['ACTION', 'AT', 'WHAT', 'ENTRIES', 'BY'],
        report.operatorActions.map((a) => [
          `#${a.id} ${a.action}`,
          formatInstant(a.at, now),
          a.selector.key ? `${a.selector.object} ${a.selector.key}` : (a.selector.object ?? 'all'),
          a.affected,
          a.actor,
        ]),
      ),
    );
  }
  return out.join('\n');
}
