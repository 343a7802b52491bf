import type { ChildRun } from './child-process.js';
import type { EmulatorProcess } from './emulator-process.js';
import { startBackendCpuSampler } from './pg-backend-cpu.js';

/** CPU time of each process of one measured run, ms. */
export interface RunCpu {
  /** The measured child (tandem or the baseline script): user + system, `process.resourceUsage()` at its end. */
  readonly client: number;
  /** The Postgres backends the child opened (sampled from /proc; see pg-backend-cpu.ts). */
  readonly postgres: number;
  /** The emulator process over the run (/proc/<pid>/stat before and after). */
  readonly emulator: number;
}

export interface MeasuredRun<T> {
  readonly child: ChildRun<T>;
  readonly cpuMs: RunCpu;
  /** HTTP requests the emulator answered during the run (the counter reads themselves subtracted). */
  readonly httpCalls: number;
  /** The emulator's own processing time of the run's ingest jobs (`totalProcessingTime`, summed), ms; NaN with `remote: false`. */
  readonly remoteMs: number;
}

let sequence = 0;

/** A Postgres application_name unique to one measured run. */
export function runApplicationName(tag: string): string {
  sequence += 1;
  return `tandem_bench_${process.pid}_${sequence}_${tag}`.slice(0, 63);
}

/**
 * Runs `start` (a child process whose Postgres connections carry `applicationName`) against a fresh `emulator`, and
 * measures beside it what the child cannot see: its Postgres backends' CPU, the emulator's CPU, HTTP calls and the
 * emulator's processing time of the ingest jobs.
 */
export async function measureRun<T>(
  emulator: EmulatorProcess,
  databaseUrl: string,
  applicationName: string,
  start: () => Promise<ChildRun<T>>,
  options: { readonly remote?: boolean } = {},
): Promise<MeasuredRun<T>> {
  const before = await emulator.httpRequests();
  const emulatorCpu = emulator.cpuMs();
  const sampler = await startBackendCpuSampler(databaseUrl, applicationName);
  let child: ChildRun<T>;
  try {
    child = await start();
  } catch (error) {
    await sampler.stop().catch(() => undefined);
    throw error;
  }
  const backends = await sampler.stop();
  const emulatorCpuMs = emulator.cpuMs() - emulatorCpu;
  const httpCalls = (await emulator.httpRequests()) - before - 1;
  // The jobs' processing times are summed over the emulator's life: only for an emulator fresh for this run.
  const remoteMs = options.remote === false ? Number.NaN : await emulator.ingestProcessingMs();
  return {
    child,
    cpuMs: { client: child.cpuMs, postgres: backends.cpuMs, emulator: emulatorCpuMs },
    httpCalls,
    remoteMs,
  };
}
