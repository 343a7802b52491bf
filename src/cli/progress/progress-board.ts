import type { ProgressEvent } from '../../pipeline/sync-object.js';

/** One stage of one object (and side) as a display shows it. */
export interface StageRow {
  /** `account capture erp`, `contact plan`. */
  readonly label: string;
  readonly object: string;
  readonly stage: ProgressEvent['stage'];
  readonly system: ProgressEvent['system'];
  done: number;
  total: number | undefined;
  readonly startedAt: number;
  finishedAt: number | undefined;
  /** Remote bulk jobs of this object and side, by id: their last known state. */
  readonly jobs: Map<string, string>;
}

/** What an event changed: a stage started, moved on or finished, or a bulk job changed state. */
export type BoardChange =
  | { readonly kind: 'started' | 'updated' | 'finished'; readonly row: StageRow }
  | { readonly kind: 'job'; readonly row: StageRow; readonly job: { readonly id: string; readonly state: string } };

/** Figures a display prints for a row at a moment. */
export interface RowFigures {
  readonly elapsedMs: number;
  /** Records per second since the stage started (undefined before a second's worth of work). */
  readonly perSecond: number | undefined;
  /** Seconds left, only where the total is known and a rate is measured. */
  readonly etaSeconds: number | undefined;
}

function labelOf(object: string, stage: string, system: string | undefined): string {
  return system ? `${object} ${stage} ${system}` : `${object} ${stage}`;
}

/**
 * The state every progress display shares: the stages seen so far with their counts and timings, fed with the
 * pipeline's events. Pure bookkeeping (the clock is passed in); the displays decide how to draw it.
 */
export class ProgressBoard {
  readonly #rows = new Map<string, StageRow>();

  apply(event: ProgressEvent, now: number): BoardChange {
    // A bulk job belongs to its side's write (or resume) row.
    if (event.stage === 'bulk-job') {
      const row =
        this.#rows.get(labelOf(event.object, 'write', event.system)) ??
        this.#rows.get(labelOf(event.object, 'resume', event.system)) ??
        this.#row(event.object, 'write', event.system, now);
      const job = event.job ?? { id: '?', state: 'unknown' };
      row.jobs.set(job.id, job.state);
      return { kind: 'job', row, job };
    }
    const label = labelOf(event.object, event.stage, event.system);
    const existing = this.#rows.get(label);
    // A stage run again (the next run of a schedule, the demo's next sync) starts a fresh row.
    const row =
      existing && !(event.phase === 'started' && existing.finishedAt !== undefined)
        ? existing
        : this.#row(event.object, event.stage, event.system, now);
    row.done = Math.max(row.done, event.done);
    if (event.total !== undefined) row.total = Math.max(event.total, row.done);
    if (event.phase === 'finished') {
      row.finishedAt = now;
      return { kind: 'finished', row };
    }
    return { kind: row === existing ? 'updated' : 'started', row };
  }

  /** Stages started and not finished, in the order they started. */
  active(): StageRow[] {
    return [...this.#rows.values()].filter((row) => row.finishedAt === undefined);
  }

  /** Forgets every row (a new run starts). */
  clear(): void {
    this.#rows.clear();
  }

  #row(object: string, stage: ProgressEvent['stage'], system: ProgressEvent['system'], now: number): StageRow {
    const row: StageRow = {
      label: labelOf(object, stage, system),
      object,
      stage,
      system,
      done: 0,
      total: undefined,
      startedAt: now,
      finishedAt: undefined,
      jobs: new Map(),
    };
    this.#rows.set(row.label, row);
    return row;
  }
}

/** Elapsed time, rate and estimate of a row at `now` (or at its end, once finished). */
export function figuresOf(row: StageRow, now: number): RowFigures {
  const elapsedMs = Math.max(0, (row.finishedAt ?? now) - row.startedAt);
  const perSecond =
    elapsedMs >= 1000 || (row.finishedAt !== undefined && elapsedMs > 0) ? (row.done * 1000) / elapsedMs : undefined;
  const etaSeconds =
    row.total !== undefined && perSecond !== undefined && perSecond > 0 && row.finishedAt === undefined
      ? Math.max(0, row.total - row.done) / perSecond
      : undefined;
  return { elapsedMs, perSecond, etaSeconds };
}

/** `1.2s`, `2m05s`, `1h02m`. */
export function formatDuration(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const whole = Math.round(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(whole / 3600)}h${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
}

/** The one-line text of a row: `account write crm: 1200/5000 records, 850/s, 1.4s, about 4.5s left, jobs: 750a UploadComplete`. */
export function describeRow(row: StageRow, now: number): string {
  const f = figuresOf(row, now);
  const parts = [`${row.done}${row.total !== undefined ? `/${row.total}` : ''} records`];
  if (f.perSecond !== undefined) parts.push(`${Math.round(f.perSecond)}/s`);
  parts.push(formatDuration(f.elapsedMs));
  if (f.etaSeconds !== undefined) parts.push(`about ${formatDuration(f.etaSeconds * 1000)} left`);
  if (row.jobs.size > 0)
    parts.push(
      `bulk jobs: ${[...row.jobs]
        .slice(-3)
        .map(([id, state]) => `${id} ${state}`)
        .join(', ')}`,
    );
  return `${row.label}: ${parts.join(', ')}`;
}
