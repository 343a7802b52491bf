import { runSync } from '../../src/pipeline/run-sync.js';
import { dropStateSchema, openBenchEngine, type BenchEngineOptions } from '../harness/bench-engine.js';
import { runInChild } from '../harness/child-process.js';
import { startEmulatorProcess } from '../harness/emulator-process.js';
import type { BenchSettings } from '../harness/bench-settings.js';

export interface InitialLoadInput extends BenchEngineOptions {
  readonly rows: number;
}

export interface InitialLoadResult {
  readonly syncMs: number;
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
  readonly wallMs: number;
}

/** Parent side: N runs, each with a fresh emulator process and a fresh state schema. */
export async function benchInitialLoad(
  settings: BenchSettings,
  table: string,
  rows: number,
): Promise<InitialLoadRun[]> {
  const runs: InitialLoadRun[] = [];
  for (let i = 0; i < settings.runs; i += 1) runs.push(await initialLoadOnce(settings, table, rows, `load${i}`));
  return runs;
}

/**
 * One initial load in a child process with a fresh emulator and state schema. With `profile`, the child also writes a
 * V8 CPU profile to `profile.dir` and per-statement Postgres round-trip times to `profile.pgTimingFile`.
 */
export async function initialLoadOnce(
  settings: BenchSettings,
  table: string,
  rows: number,
  tag: string,
  profile?: { dir: string; pgTimingFile: string },
): Promise<InitialLoadRun> {
  const sf = await startEmulatorProcess();
  const stateSchema = `bench_state_${process.pid}_${tag}`;
  try {
    const before = await sf.httpRequests();
    const child = await runInChild<InitialLoadResult>(
      new URL(import.meta.url),
      'initialLoadChild',
      {
        databaseUrl: settings.databaseUrl,
        table,
        stateSchema,
        emulatorUrl: sf.url,
        clientId: sf.clientId,
        clientSecret: sf.clientSecret,
        rows,
      } satisfies InitialLoadInput,
      profile
        ? {
            nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profile.dir],
            imports: [new URL('../harness/pg-statement-timing.ts', import.meta.url)],
            env: { BENCH_PG_TIMING_FILE: profile.pgTimingFile },
          }
        : {},
    );
    const httpCalls = (await sf.httpRequests()) - before - 1;
    if (child.result.created !== rows)
      throw new Error(
        `initial load created ${child.result.created} of ${rows} records (status ${child.result.status})`,
      );
    console.error(
      `  initial load ${tag}: ${(child.result.syncMs / 1000).toFixed(1)} s, ${child.maxRssMb} MB, ${httpCalls} HTTP calls`,
    );
    return { ...child.result, maxRssMb: child.maxRssMb, httpCalls, wallMs: child.wallMs };
  } finally {
    await sf.close();
    await dropStateSchema(settings.databaseUrl, stateSchema);
  }
}
