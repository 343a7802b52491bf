import type { ObjectCounts, SideCounts } from '../pipeline/run-counts.js';
import type { SyncRunResult } from '../pipeline/run-sync.js';

function side(name: string, c: SideCounts): string {
  return `${name}: captured ${c.captured}, created ${c.created}, updated ${c.updated}, deleted ${c.deleted}, rejected ${c.rejected}${c.unprocessed ? `, unprocessed ${c.unprocessed}` : ''}`;
}

function planLine(c: ObjectCounts): string {
  const kinds = Object.entries(c.plan)
    .filter(([, n]) => (n ?? 0) > 0)
    .map(([kind, n]) => `${n} ${kind}`);
  return kinds.length ? kinds.join(', ') : 'nothing to plan';
}

/** The per-object summary of a run, as the CLI and the demo print it. */
export function formatCounts(counts: Readonly<Record<string, ObjectCounts>>): string {
  const lines: string[] = [];
  for (const [object, c] of Object.entries(counts)) {
    lines.push(`  ${object}`);
    lines.push(`    ${side('erp', c.erp)}`);
    lines.push(`    ${side('crm', c.crm)}`);
    lines.push(`    plan: ${planLine(c)}`);
    lines.push(
      `    conflicts: ${c.conflicts.decided} field(s) decided by policy, ${c.conflicts.queued} record(s) queued for a person`,
    );
    for (const r of c.rejections.slice(0, 5)) lines.push(`    rejected by ${r.system}: ${r.key}: ${r.reason}`);
    if (c.rejections.length > 5) lines.push(`    ... and ${c.rejections.length - 5} more (tandem failed list)`);
  }
  return lines.join('\n');
}

export function formatRun(sync: string, result: SyncRunResult): string {
  const head = `sync ${sync}, run ${result.runId}: ${result.status} in ${(result.durationMs / 1000).toFixed(1)} s, ${result.writes} record(s) written`;
  const error = result.error ? `\n  stopped: ${result.error.message}` : '';
  return `${head}${error}\n${formatCounts(result.counts)}`;
}
