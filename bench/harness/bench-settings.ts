/** How big and how often: read once from the environment, documented in docs/benchmarks.md. */
export interface BenchSettings {
  /** Multiplies every record count (BENCH_SCALE, default 1: 1M-row loads, 1M and 10M-row tables). */
  readonly scale: number;
  /** Measured runs per scenario (BENCH_RUNS, default 3). */
  readonly runs: number;
  /** Postgres server for the ERP tables and tandem's state (BENCH_DATABASE_URL). */
  readonly databaseUrl: string;
  /** Scenarios to run (BENCH_ONLY, comma-separated ids; default all). */
  readonly only: ReadonlySet<string> | null;
  /** An extra profiled initial-load run (V8 CPU profile + Postgres statement times); BENCH_PROFILE=0 skips it. */
  readonly profile: boolean;
}

export function readBenchSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const scale = Number(env['BENCH_SCALE'] ?? '1');
  const runs = Number(env['BENCH_RUNS'] ?? '3');
  if (!(scale > 0 && scale <= 10))
    throw new Error(`BENCH_SCALE must be a number in (0, 10], got '${env['BENCH_SCALE']}'`);
  if (!(Number.isInteger(runs) && runs >= 1 && runs <= 20))
    throw new Error(`BENCH_RUNS must be an integer from 1 to 20, got '${env['BENCH_RUNS']}'`);
  const only = env['BENCH_ONLY']
    ? new Set(
        env['BENCH_ONLY']
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
    : null;
  return {
    scale,
    runs,
    databaseUrl:
      env['BENCH_DATABASE_URL'] ?? env['TANDEM_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test',
    only,
    profile: env['BENCH_PROFILE'] !== '0',
  };
}

/** `n * scale`, at least `floor`, rounded. */
export function scaled(n: number, scale: number, floor = 1000): number {
  return Math.max(floor, Math.round(n * scale));
}
