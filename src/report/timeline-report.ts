import type { RecordTimeline, TimelineEntry } from '../model/record-timeline.js';

/** A detail value as text: strings as they are, anything else as JSON, absent as `fallback`. */
function text(value: unknown, fallback = ''): string {
  if (value === undefined || value === null) return fallback;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** One line of detail per entry kind: field names, rules, versions, reasons, the bulk job. */
export function entrySummary(entry: TimelineEntry): string {
  const d = entry.detail;
  const list = (value: unknown): string => (Array.isArray(value) ? value.join(', ') : '');
  const job = entry.job
    ? ` [job ${entry.job.jobId} ${entry.job.operation} ${entry.job.status}]`
    : entry.jobId
      ? ` [job ${entry.jobId}]`
      : '';
  switch (entry.kind) {
    case 'captured':
      return `${d['deleted'] ? 'deleted' : 'changed'} at ${text(d['modifiedAt'], '?')}${d['keyMissing'] ? ' (without the key)' : ''}`;
    case 'decided': {
      const decisions = Array.isArray(d['decisions']) ? (d['decisions'] as Record<string, unknown>[]) : [];
      const parts = decisions.map(
        (x) =>
          `${typeof x['field'] === 'string' ? x['field'] : 'existence'} -> ${text(x['take'])} by ${text(x['rule'])}`,
      );
      return `${text(d['kind'], '')}: ${parts.join('; ') || 'no decision'} (policy ${text(d['policyVersion'], 'none')})${entry.fromDecisionTable ? ' [from the decision log]' : ''}`;
    }
    case 'planned':
      return `${text(d['op'])} ${list(d['fields']) || (d['setKey'] ? 'the key only' : 'no field')}${d['setKey'] ? ' (+ key)' : ''}`;
    case 'written':
      return `${text(d['status'])}${d['note'] ? ` (${text(d['note'])})` : ''}${job}`;
    case 'rejected':
    case 'unprocessed':
      return `${text(d['reason'], '')}${job}`;
    case 'conflict-queued':
      return `${list(d['fields']) || text(d['existence'], '')} wait for a person: ${text(d['rule'])} (policy ${text(d['policyVersion'])})`;
    case 'conflict-resolved':
      return 'no longer waits for a person';
    case 'operator-action':
      return `${text(d['action'], '')} by ${text(d['actor'], '?')}`;
    default:
      return JSON.stringify(d);
  }
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** A record's timeline as a table, oldest first, then what waits now. */
export function formatTimeline(timeline: RecordTimeline): string {
  const lines = [
    `${timeline.object} ${timeline.key} (erp id ${timeline.erpId ?? '-'}, crm id ${timeline.crmId ?? '-'})`,
  ];
  const rows = timeline.entries.map((e) => [
    e.at.replace('T', ' ').replace('Z', ''),
    e.runId ?? '-',
    e.kind,
    e.system ?? '-',
    e.nativeId ?? '-',
    entrySummary(e),
  ]);
  const head = ['at', 'run', 'event', 'side', 'native id', 'detail'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    '  ' +
    cells
      .map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i]!)))
      .join('  ')
      .trimEnd();
  if (rows.length === 0) lines.push('  no events recorded (history.recordEvents off, or pruned)');
  else {
    lines.push(line(head));
    for (const r of rows) lines.push(line(r));
  }
  const now = timeline.now;
  if (now.openConflict)
    lines.push(
      `  now: conflict open on ${now.openConflict.fields.join(', ') || 'existence'} (${now.openConflict.rule}, policy ${now.openConflict.policyVersion})${now.openConflict.answered ? ', answered: applied on the next run' : ''}`,
    );
  for (const f of now.failed)
    lines.push(
      `  now: ${f.system} ${f.status} (attempt ${f.attempts}, ${f.skipped ? 'skipped' : `next retry ${f.nextRetryAt}`}): ${f.reason}`,
    );
  if (now.pending) lines.push('  now: writes in flight');
  return lines.join('\n');
}

export function formatTimelines(timelines: readonly RecordTimeline[]): string {
  return timelines.map(formatTimeline).join('\n\n');
}
