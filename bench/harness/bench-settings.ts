/** How big and how often: read once from the environment, documented in docs/benchmarks.md. */
export interface BenchSettings {
  /** Multiplies every record count (BENCH_SCALE, default 1: 1M-row loads, 1M and 10M-row tables). */
  readonly scale: number;
  /** Measured runs per scenario (BENCH_RUNS, default 3). */
  readonly runs: number;
  /** Postgres server for the ERP tables and tandem's state (BENCH_DATABASE_URL). */
  readonly databaseUrl: string;
  /** Scenarios to run (BENCH_ONLY or `--scenario a,b`, comma-separated ids; default all). */
  readonly only: ReadonlySet<string> | null;
  /** Records of the HubSpot and Zoho loads (BENCH_CRM_ROWS or `--rows N`; default 100,000 × scale, at least 10,000). */
  readonly crmRows: number;
  /** An extra profiled initial-load run (V8 CPU profile + Postgres statement times); BENCH_PROFILE=0 skips it. */
  readonly profile: boolean;
}

/**
 * Reads the settings from the environment, with command-line flags (`npm run bench -- --scenario hubspot --rows
 * 20000`) taking precedence: `--scenario` (= BENCH_ONLY), `--rows` (= BENCH_CRM_ROWS), `--runs` (= BENCH_RUNS),
 * `--scale` (= BENCH_SCALE).
 */
export function readBenchSettings(
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = process.argv.slice(2),
): BenchSettings {
  const flags = parseFlags(argv);
  env = {
    ...env,
    ...(flags['scenario'] !== undefined ? { BENCH_ONLY: flags['scenario'] } : {}),
    ...(flags['rows'] !== undefined ? { BENCH_CRM_ROWS: flags['rows'] } : {}),
    ...(flags['runs'] !== undefined ? { BENCH_RUNS: flags['runs'] } : {}),
    ...(flags['scale'] !== undefined ? { BENCH_SCALE: flags['scale'] } : {}),
  };
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
  const crmRows = env['BENCH_CRM_ROWS'] === undefined ? scaled(100_000, scale, 10_000) : Number(env['BENCH_CRM_ROWS']);
  if (!(Number.isInteger(crmRows) && crmRows >= 10_000 && crmRows <= 1_000_000))
    throw new Error(
      `BENCH_CRM_ROWS (--rows) must be an integer from 10000 to 1000000 (the incremental rounds edit 2,000 records each), got '${env['BENCH_CRM_ROWS']}'`,
    );
  return {
    scale,
    runs,
    crmRows,
    databaseUrl:
      env['BENCH_DATABASE_URL'] ?? env['TANDEM_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test',
    only,
    profile: env['BENCH_PROFILE'] !== '0',
  };
}

const FLAGS = ['scenario', 'rows', 'runs', 'scale'] as const;

/** `--name value` or `--name=value` for the known flags; anything else is refused with the list. */
function parseFlags(argv: readonly string[]): Partial<Record<(typeof FLAGS)[number], string>> {
  const out: Partial<Record<(typeof FLAGS)[number], string>> = {};
  for (let i = 0; i < argv.length; i += 1) {
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(argv[i]!);
    const name = m?.[1] as (typeof FLAGS)[number] | undefined;
    if (!m || !name || !FLAGS.includes(name))
      throw new Error(`unknown bench argument '${argv[i]}'; use ${FLAGS.map((f) => `--${f} <value>`).join(', ')}`);
    const value = m[2] ?? argv[(i += 1)];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    out[name] = value;
  }
  return out;
}

/** `n * scale`, at least `floor`, rounded. */
export function scaled(n: number, scale: number, floor = 1000): number {
  return Math.max(floor, Math.round(n * scale));
}
