import Table from 'cli-table3';
import { formatInstant, type RunStatusView, type StatusReport } from '../report/status-report.js';
import type { WatermarkView } from '../model/status-queries.js';

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
