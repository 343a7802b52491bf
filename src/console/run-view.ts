import type { RunSummary } from '../model/run-log.js';
import type { ObjectCounts } from '../pipeline/run-counts.js';
import { html, type SafeHtml } from './html.js';

/** A run's counts per object (objects whose counts are missing or malformed are left out). */
export function countsByObject(run: RunSummary): Readonly<Record<string, ObjectCounts>> {
  const out: Record<string, ObjectCounts> = {};
  const counts = run.counts as Record<string, Partial<ObjectCounts> | null> | null;
  if (typeof counts !== 'object' || counts === null) return out;
  for (const [object, c] of Object.entries(counts))
    if (c && typeof c.erp === 'object' && typeof c.crm === 'object') out[object] = c as ObjectCounts;
  return out;
}

/** Records created, updated or deleted on both sides by a run. */
export function recordsWritten(run: RunSummary): number {
  let total = 0;
  for (const c of Object.values(countsByObject(run)))
    for (const side of [c.erp, c.crm]) total += side.created + side.updated + side.deleted;
  return total;
}

/** Seconds from start to finish, or null while running. */
export function runSeconds(run: RunSummary): number | null {
  return run.finishedAt ? (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000 : null;
}

/** The run's error message, if it has one. */
export function runError(run: RunSummary): string {
  const message = (run.error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : '';
}

/** A run's status as a labelled badge. */
export function statusBadge(status: string): SafeHtml {
  return html`<span class="badge ${status}">${status}</span>`;
}
