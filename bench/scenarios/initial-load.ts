import { runSync } from '../../src/pipeline/run-sync.js';
import { dropStateSchema, openBenchEngine, type BenchEngineOptions } from '../harness/bench-engine.js';
import { runInChild } from '../harness/child-process.js';
import { startEmulatorProcess, type EmulatorProcess } from '../harness/emulator-process.js';
import type { BenchSettings } from '../harness/bench-settings.js';
import { measureRun, runApplicationName, type RunCpu } from '../harness/measured-run.js';

export interface InitialLoadInput extends BenchEngineOptions {
  readonly rows: number;
}

export interface InitialLoadResult {
  readonly syncMs: number;
  /** Opening the engine (config, state migration, connector init) before `runSync`. */
  readonly openMs: number;
  readonly status: string;
  readonly created: number;
  /** ms spent in each stage, from the pipeline's checkpoint and progress hooks. */
  readonly stages: Readonly<Record<string, number>>;
}

/**
 * Child side: one `runSync` over an empty state store (the first run of a new sync: every ERP row is read, planned
 * and upserted to the CRM). Stage times come from `checkpoint` (end of capture per side, of planning, of the write)
 * and `onProgress` (first write result applied = CSV built, uploaded and the job finished).
 */
export async function initialLoadChild(input: InitialLoadInput): Promise<InitialLoadResult> {
  const opened = performance.now();
  const engine = await openBenchEngine(input);
  try {
    const started = performance.now();
    const marks: Record<string, number> = {};
    const result = await runSync(engine.context, {
      checkpoint: (step) => {
        marks[step.split(':').slice(0, 1).concat(step.split(':').slice(2)).join(':')] = performance.now();
      },
      onProgress: (e) => {
        const name = `first-${e.stage}:${e.system ?? ''}`;
        marks[name] ??= performance.now();
      },
    });
    const end = performance.now();
    const at = (name: string, fallback: number) => marks[name] ?? fallback;
    const capturedErp = at('captured:erp', started);
    const capturedCrm = at('captured:crm', capturedErp);
    const planned = at('planned', capturedCrm);
    const firstResult = at('first-write:crm', planned);
    const stages = {
      'capture ERP (read + inbox)': capturedErp - started,
      'capture CRM (query)': capturedCrm - capturedErp,
      'plan (diff + record_state + outbox)': planned - capturedCrm,
      'write: outbox -> CSV -> upload -> job done': firstResult - planned,
      'write: apply results': end - firstResult,
    };
    return {
      syncMs: end - started,
      openMs: started - opened,
      status: result.status,
      created: result.counts['account']?.crm.created ?? 0,
      stages: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, Math.round(v)])),
    };
  } finally {
    await engine.close();
  }
}

export interface InitialLoadRun extends InitialLoadResult {
  readonly maxRssMb: number;
  readonly httpCalls: number;
  /** The child process from spawn to exit: Node start-up, module loading, engine open, runSync, close. */
  readonly wallMs: number;
  readonly cpuMs: RunCpu;
  /** The emulator's own processing time of the run's ingest jobs, ms. */
  readonly remoteMs: number;
}

/**
 * One initial load in a child process with a fresh state schema and a fresh emulator (or `keep.emulator`, which the
 * caller closes). With `keep`, the state schema is left for the caller (an increment after a real first load) and
 * its name is `keep.stateSchema`. With `profile`, the child also writes a V8 CPU profile to `profile.dir` and
 * per-statement Postgres round-trip times to `profile.pgTimingFile`.
 */
export async function initialLoadOnce(
  settings: BenchSettings,
  table: string,
  rows: number,
  tag: string,
  options: {
    readonly profile?: { dir: string; pgTimingFile: string };
    readonly keep?: { readonly emulator: EmulatorProcess; readonly stateSchema: string };
  } = {},
): Promise<InitialLoadRun> {
  const { profile, keep } = options;
  const sf = keep?.emulator ?? (await startEmulatorProcess());
  const stateSchema = keep?.stateSchema ?? `bench_state_${process.pid}_${tag}`;
  let kept = false;
  try {
    const applicationName = runApplicationName(tag);
    const run = await measureRun(sf, settings.databaseUrl, applicationName, () =>
      runInChild<InitialLoadResult>(
        new URL(import.meta.url),
        'initialLoadChild',
        {
          databaseUrl: settings.databaseUrl,
          table,
          stateSchema,
          emulatorUrl: sf.url,
          clientId: sf.clientId,
          clientSecret: sf.clientSecret,
          applicationName,
          rows,
        } satisfies InitialLoadInput,
        profile
          ? {
              nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profile.dir],
              imports: [new URL('../harness/pg-statement-timing.ts', import.meta.url)],
              env: { BENCH_PG_TIMING_FILE: profile.pgTimingFile },
            }
          : {},
      ),
    );
    const child = run.child;
    if (child.result.created !== rows)
      throw new Error(
        `initial load created ${child.result.created} of ${rows} records (status ${child.result.status})`,
      );
    console.error(
      `  initial load ${tag}: runSync ${(child.result.syncMs / 1000).toFixed(1)} s, process ${(child.wallMs / 1000).toFixed(1)} s, ${child.maxRssMb} MB, ${run.httpCalls} HTTP calls, CPU s tandem ${(run.cpuMs.client / 1000).toFixed(1)} postgres ${(run.cpuMs.postgres / 1000).toFixed(1)} emulator ${(run.cpuMs.emulator / 1000).toFixed(1)}`,
    );
    kept = keep !== undefined;
    return {
      ...child.result,
      maxRssMb: child.maxRssMb,
      httpCalls: run.httpCalls,
      wallMs: child.wallMs,
      cpuMs: run.cpuMs,
      remoteMs: run.remoteMs,
    };
  } finally {
    if (!keep) await sf.close();
    if (!kept) await dropStateSchema(settings.databaseUrl, stateSchema);
  }
}
