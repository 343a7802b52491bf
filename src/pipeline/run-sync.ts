import { coerceError, QuotaExceededError, TandemError } from '../util/errors.js';
import { SYSTEMS } from '../model/system.js';
import { captureSide } from './capture-stage.js';
import { planObject } from './plan-stage.js';
import { reconcileSide } from './reconcile-stage.js';
import { emptyObjectCounts, writesOf, type ObjectCounts, type RunHandle } from './run-counts.js';
import type { SyncContext, SyncObject, SyncOptions } from './sync-object.js';
import { resumeSide, writeSide } from './write-stage.js';

/** A stage that changed at least this many rows refreshes the planner's statistics before the next one. */
const ANALYZE_AFTER_ROWS = 20_000;
/** A run that passed at least this many rows through the inbox or the outbox reclaims their space at its end. */
const RECLAIM_AFTER_ROWS = 20_000;

export interface SyncRunResult {
  readonly runId: string;
  readonly status: 'succeeded' | 'partial' | 'failed' | 'interrupted';
  readonly counts: Readonly<Record<string, ObjectCounts>>;
  /** Records written to either side, all objects together. */
  readonly writes: number;
  readonly error?: TandemError | Error;
  readonly durationMs: number;
}

export class UnknownObjectError extends TandemError {
  constructor(name: string, known: readonly string[]) {
    super(
      `unknown object '${name}'; the config maps: ${known.join(', ') || '(none)'}. Fix: pass one of those to --object, or add a mapping under objects: in tandem.yaml`,
      {
        code: 'UNKNOWN_OBJECT',
        context: { object: name, known },
        exitCode: 2,
      },
    );
  }
}

/** Another run of the same sync holds its lock: two runs at once would write the same records twice. */
export class SyncAlreadyRunningError extends TandemError {
  constructor(sync: string) {
    super(
      `another tandem run of sync '${sync}' is in progress (it holds the sync's lock in the state store); this run did nothing. Fix: wait for it to finish (tandem status shows it), or stop the other process`,
      {
        code: 'SYNC_ALREADY_RUNNING',
        context: { sync },
        exitCode: 4,
      },
    );
  }
}

export function selectObjects(ctx: SyncContext, names: readonly string[] | undefined): readonly SyncObject[] {
  if (!names || names.length === 0) return ctx.objects;
  return names.map((name) => {
    const found = ctx.objects.find((o) => o.name === name);
    if (!found)
      throw new UnknownObjectError(
        name,
        ctx.objects.map((o) => o.name),
      );
    return found;
  });
}

/**
 * One sync run over the selected objects: resume remote jobs left open, capture both sides into the inbox, reconcile
 * keys (with `full`), plan, write each side's outbox and apply the results. Every step's effect on the state store
 * is transactional, so a crash anywhere leaves a state the next run continues from: nothing is lost, nothing is
 * written twice (writes are keyed on the sync key).
 *
 * Expected failures (rejected records, queued conflicts) make the run `partial`; a quota stop or an infrastructure
 * failure ends it `failed` with the error, after recording what was done.
 */
export async function runSync(ctx: SyncContext, options: SyncOptions = {}): Promise<SyncRunResult> {
  const started = Date.now();
  await ctx.refreshPolicies?.();
  const objects = selectObjects(ctx, options.objects);
  const policyVersions = Object.fromEntries(objects.map((o) => [o.name, o.policyVersion]));
  const unlock = await lockObjects(ctx, objects);
  try {
    return await runLocked(ctx, options, objects, policyVersions, started);
  } finally {
    await unlock();
  }
}

/**
 * Takes the lock of each object (in name order, so two runs never wait on each other crosswise): two runs of one
 * object would write the same records twice, while runs of different objects (in several replicas) may go together.
 */
async function lockObjects(ctx: SyncContext, objects: readonly SyncObject[]): Promise<() => Promise<void>> {
  const held: (() => Promise<void>)[] = [];
  const releaseAll = async () => {
    for (const release of held.reverse()) await release();
  };
  for (const name of objects.map((o) => o.name).sort()) {
    const unlock = await ctx.store.runs.tryLock(ctx.sync, name);
    if (!unlock) {
      await releaseAll();
      throw new SyncAlreadyRunningError(ctx.sync);
    }
    held.push(unlock);
  }
  return releaseAll;
}

async function runLocked(
  ctx: SyncContext,
  options: SyncOptions,
  objects: readonly SyncObject[],
  policyVersions: Record<string, string>,
  started: number,
): Promise<SyncRunResult> {
  await ctx.store.runs.markInterruptedRuns(
    ctx.sync,
    objects.map((o) => o.name),
  );
  const runId = await ctx.store.runs.startRun(
    ctx.sync,
    objects.map((o) => o.name),
    false,
    policyVersions,
  );
  const run: RunHandle = { id: runId, counts: Object.fromEntries(objects.map((o) => [o.name, emptyObjectCounts()])) };
  const log = ctx.logger.child({ runId, sync: ctx.sync });
  log.info({ objects: objects.map((o) => o.name), full: options.full ?? false }, 'sync started');
  try {
    for (const object of objects) {
      for (const system of SYSTEMS) await resumeSide(ctx, object, system, run, options);
      for (const system of SYSTEMS) await captureSide(ctx, object, system, run, options);
      if (options.full)
        for (const system of SYSTEMS)
          await reconcileSide(ctx, object, system, run.counts[object.name]!, options, run.id);
      const captured = run.counts[object.name]!.erp.captured + run.counts[object.name]!.crm.captured;
      if (captured >= ANALYZE_AFTER_ROWS) await ctx.store.records.analyze(['inbox', 'record_state']);
      await planObject(ctx, object, run, options);
      if (captured >= ANALYZE_AFTER_ROWS) await ctx.store.records.analyze(['outbox', 'record_state']);
      for (const system of SYSTEMS) await writeSide(ctx, object, system, run, options);
      log.info({ object: object.name, counts: summarize(run.counts[object.name]!) }, 'object synced');
    }
    await reclaimStaging(ctx, run.counts, log);
  } catch (thrown) {
    const error = coerceError(thrown);
    // A quota stop or a shutdown (the signal) ends the run at a safe point: the next run resumes from there.
    const status = error instanceof QuotaExceededError || options.signal?.aborted ? 'interrupted' : 'failed';
    await ctx.store.runs
      .finishRun(runId, status, run.counts, {
        name: error.name,
        message: error.message,
        ...(error instanceof TandemError ? { code: error.code, context: error.context } : {}),
      })
      .catch((e: unknown) => log.error({ err: coerceError(e) }, 'could not record the failed run'));
    log.error(
      { err: error },
      status === 'interrupted'
        ? options.signal?.aborted
          ? 'sync stopped at a safe point (shutdown); the next run resumes'
          : 'sync stopped: quota exhausted; the next run resumes'
        : 'sync failed; the next run resumes from the stored state',
    );
    return {
      runId,
      status,
      counts: run.counts,
      writes: totalWrites(run.counts),
      error,
      durationMs: Date.now() - started,
    };
  }
  const partial = Object.values(run.counts).some(
    (c) => c.erp.rejected + c.crm.rejected + c.erp.unprocessed + c.crm.unprocessed + c.conflicts.queued > 0,
  );
  const status = partial ? 'partial' : 'succeeded';
  await ctx.store.runs.finishRun(runId, status, run.counts);
  log.info({ status, writes: totalWrites(run.counts), ms: Date.now() - started }, 'sync finished');
  return { runId, status, counts: run.counts, writes: totalWrites(run.counts), durationMs: Date.now() - started };
}

/**
 * After a big run (a first load passes a million rows through the inbox and the outbox, and deletes them all again),
 * reclaims the staging tables outside any transaction, so the next increment does not scan the dead rows until
 * autovacuum comes by. A failure here costs only speed: it is logged, the run's outcome stands.
 */
async function reclaimStaging(
  ctx: SyncContext,
  counts: Readonly<Record<string, ObjectCounts>>,
  log: SyncContext['logger'],
): Promise<void> {
  const all = Object.values(counts);
  const inbox = all.reduce((n, c) => n + c.erp.captured + c.crm.captured, 0);
  const outbox = all.reduce((n, c) => n + outboxRowsOf(c), 0);
  const tables = [
    ...(inbox >= RECLAIM_AFTER_ROWS ? (['inbox'] as const) : []),
    ...(outbox >= RECLAIM_AFTER_ROWS ? (['outbox'] as const) : []),
  ];
  if (tables.length === 0) return;
  const started = Date.now();
  try {
    const reclaimed = await ctx.store.records.reclaim(tables);
    log.debug({ inbox, outbox, reclaimed, ms: Date.now() - started }, 'staging tables reclaimed');
  } catch (error) {
    log.warn({ err: coerceError(error), tables }, 'could not reclaim the staging tables; autovacuum will');
  }
}

/** Planned writes a run consumed from the outbox: every outcome, written or not. */
function outboxRowsOf(c: ObjectCounts): number {
  const side = (s: ObjectCounts['erp']) => s.created + s.updated + s.deleted + s.rejected + s.unprocessed;
  return side(c.erp) + side(c.crm);
}

function totalWrites(counts: Readonly<Record<string, ObjectCounts>>): number {
  return Object.values(counts).reduce((sum, c) => sum + writesOf(c), 0);
}

function summarize(c: ObjectCounts): Record<string, unknown> {
  return { erp: c.erp, crm: c.crm, plan: c.plan, conflicts: c.conflicts };
}
