import type { FigureRow, ScenarioReport } from '../harness/scenario-report.js';
import { HUBSPOT_BENCH_TIER } from '../harness/crm-bench-engine.js';
import { CRM_CHANGES_PER_SIDE, type CrmBenchRuns, type CrmSyncRun } from '../scenarios/crm-sync.js';

/** HubSpot's search limit per account (requests a second). */
const HUBSPOT_SEARCHES_PER_SECOND = 5;
/** Zoho credits: a Bulk Write job, and REST upserts per 10 records (docs/zoho-connector.md). */
const ZOHO_BULK_JOB_CREDITS = 500;
const ZOHO_RECORDS_PER_CREDIT = 10;
const ZOHO_RECORDS_PER_BULK_FILE = 25_000;
const ZOHO_RECORDS_PER_REST_CALL = 100;

/**
 * The least time HubSpot's limits allow for a run's requests: the k-th request of the rolling 10-second budget can
 * go no sooner than floor(k / budget) × 10 s after the first, and the k-th search no sooner than floor(k / 5) s; the
 * two budgets run side by side, so the floor is the larger. Zero for a run that fits in one window.
 */
export function hubspotRateLimitFloorSeconds(
  windowRequests: number,
  searches: number,
  per10Seconds: number = HUBSPOT_BENCH_TIER.per10Seconds,
): number {
  const window = windowRequests > 0 ? Math.floor((windowRequests - 1) / per10Seconds) * 10 : 0;
  const search = searches > 0 ? Math.floor((searches - 1) / HUBSPOT_SEARCHES_PER_SECOND) : 0;
  return Math.max(window, search);
}

const floorOf = (r: CrmSyncRun) => hubspotRateLimitFloorSeconds(r.emulator.limitedRequests, r.emulator.searchRequests);
const n = (x: number) => x.toLocaleString('en-US');
type Runs = readonly CrmSyncRun[];
const pick = (runs: Runs, f: (r: CrmSyncRun) => number) => runs.map(f);

function loadRange(runs: Runs): string {
  const all = runs.map((r) => r.loadAverage);
  return all.length === 0 ? 'n/a' : `${Math.min(...all).toFixed(1)}–${Math.max(...all).toFixed(1)}`;
}

/** A figure of every run, with an optional baseline series and target. */
function row(
  name: string,
  unit: string,
  runs: Runs,
  value: (r: CrmSyncRun) => number,
  extra: Pick<FigureRow, 'baseline' | 'target'> = {},
): FigureRow {
  return { name, unit, values: pick(runs, value), ...extra };
}

/** One row builder per measure, shared by both CRMs' reports (`unit` where HubSpot says requests and Zoho calls). */
const measure = {
  wall: (runs: Runs, baseline?: readonly number[]) =>
    row('runSync wall time', 's', runs, (r) => r.syncMs / 1000, baseline ? { baseline } : {}),
  http: (runs: Runs, unit: 'requests' | 'calls', baseline?: readonly number[]) =>
    row('HTTP ' + unit + ' (emulator count)', unit, runs, (r) => r.emulator.httpRequests, baseline ? { baseline } : {}),
  searches: (runs: Runs) => row('search requests', 'requests', runs, (r) => r.emulator.searchRequests),
  batches: (runs: Runs) => row('batch requests', 'requests', runs, (r) => r.emulator.batchRequests),
  rateLimited: (runs: Runs) => row('429 answers', '', runs, (r) => r.emulator.rateLimited),
  recordsPerSecond: (runs: Runs, records: number) =>
    row('records per second', '/s', runs, (r) => records / (r.syncMs / 1000)),
  credits: (runs: Runs, baseline?: readonly number[]) =>
    row('credits spent (emulator count)', 'credits', runs, (r) => r.emulator.credits, baseline ? { baseline } : {}),
  jobs: (runs: Runs, target?: FigureRow['target']) =>
    row('Bulk Write jobs', 'jobs', runs, (r) => r.emulator.writeJobs, target ? { target } : {}),
  restUpserts: (runs: Runs) => row('REST upsert calls', 'calls', runs, (r) => r.emulator.restUpsertCalls),
  writes: (runs: Runs) => row('records written', '', runs, (r) => r.writes, { target: { op: '=', value: 0 } }),
  /** Every report ends with these two. */
  process: (runs: Runs): FigureRow[] => [
    row('process wall time incl. engine open', 's', runs, (r) => r.wallMs / 1000),
    row('peak RSS of the tandem process', 'MB', runs, (r) => r.maxRssMb),
  ],
};

function stagesOf(runs: Runs): Record<string, number[]> {
  return Object.fromEntries(
    Object.keys(runs[0]?.stages ?? {}).map((s) => [s, runs.map((r) => r.stages[s] ?? 0)] as const),
  );
}

/** The write stage's time against the rate-limit floor, e.g. `61.2 s / 50 s = 1.22x`. */
export function writeAgainstFloor(writeMs: number, floorSeconds: number): string {
  const ratio = floorSeconds > 0 ? `${(writeMs / 1000 / floorSeconds).toFixed(2)}x` : 'n/a';
  return `${(writeMs / 1000).toFixed(1)} s / ${floorSeconds} s = ${ratio}`;
}

const LOAD_FACT = '1-min load average at the start of each run';

/** The records captured on each side in the last incremental round, as a fact. */
function capturedFact(runs: Runs): string {
  return `${runs.at(-1)?.captured.erp}/${runs.at(-1)?.captured.crm}`;
}

/**
 * The quiet re-runs' report of either CRM, against the incremental rounds: wall time, writes (must be 0), then the
 * CRM's own measures (`extra`: HTTP count and searches for HubSpot, credits and HTTP count for Zoho).
 */
function quietReport(id: string, title: string, b: CrmBenchRuns, extra: readonly FigureRow[]): ScenarioReport {
  return {
    id,
    title,
    baselineLabel: 'the incremental run with 2,000 changes on the same state',
    rows: [
      measure.wall(
        b.quiet,
        pick(b.increments, (r) => r.syncMs / 1000),
      ),
      measure.writes(b.quiet),
      ...extra,
      ...measure.process(b.quiet),
    ],
    facts: { [LOAD_FACT]: loadRange(b.quiet) },
  };
}

/** The HubSpot scenario's three reports: initial load, incremental rounds, quiet re-runs. */
export function hubspotReports(b: CrmBenchRuns): ScenarioReport[] {
  const tier = `${HUBSPOT_BENCH_TIER.name} tier, ${HUBSPOT_BENCH_TIER.per10Seconds} requests / rolling 10 s, apiReserveShare 0`;
  const floorLabel = `the rate-limit floor at the ${tier}: the least time the budgets allow for the requests the emulator admitted (floor((requests − 1) / ${HUBSPOT_BENCH_TIER.per10Seconds}) × 10 s; searches ${HUBSPOT_SEARCHES_PER_SECOND} a second)`;
  const reports: ScenarioReport[] = [];
  if (b.loads.length > 0) {
    const batchFloor = Math.ceil(b.rows / 100);
    reports.push({
      id: 'hubspot-load',
      title: `HubSpot: initial load of ${n(b.rows)} contacts ERP -> HubSpot emulator`,
      baselineLabel: `for time, ${floorLabel}; for requests, ${n(batchFloor)} (${n(b.rows)} / 100 per batch upsert)`,
      rows: [
        measure.wall(b.loads, pick(b.loads, floorOf)),
        measure.http(
          b.loads,
          'requests',
          b.loads.map(() => batchFloor),
        ),
        measure.batches(b.loads),
        measure.rateLimited(b.loads),
        measure.recordsPerSecond(b.loads, b.rows),
        ...measure.process(b.loads),
      ],
      stages: stagesOf(b.loads),
      facts: {
        'rate-limit floor per run (s)': b.loads.map((r) => floorOf(r)).join(', '),
        'write stage (until written:crm) against the floor, per run': b.loads
          .map((r) => writeAgainstFloor(r.stages['until written:crm'] ?? 0, floorOf(r)))
          .join(', '),
        'requests counted against the 10-second budget / searches, per run': b.loads
          .map((r) => `${r.emulator.limitedRequests}/${r.emulator.searchRequests}`)
          .join(', '),
        [LOAD_FACT]: loadRange(b.loads),
      },
    });
  }
  if (b.increments.length > 0) {
    reports.push({
      id: 'hubspot-incremental',
      title: `HubSpot: incremental sync, ${n(CRM_CHANGES_PER_SIDE)} changes per side, on ${n(b.rows)} synced contacts`,
      baselineLabel: floorLabel,
      rows: [
        measure.wall(b.increments, pick(b.increments, floorOf)),
        measure.http(b.increments, 'requests'),
        measure.searches(b.increments),
        measure.batches(b.increments),
        measure.rateLimited(b.increments),
        ...measure.process(b.increments),
      ],
      stages: stagesOf(b.increments),
      facts: {
        'records captured per run (erp/crm, incl. echoes and the 30 s search lookback), last run': capturedFact(
          b.increments,
        ),
        [LOAD_FACT]: loadRange(b.increments),
      },
    });
  }
  if (b.quiet.length > 0) {
    reports.push(
      quietReport('hubspot-quiet', `HubSpot: quiet re-run (nothing changed) on ${n(b.rows)} synced contacts`, b, [
        measure.http(
          b.quiet,
          'requests',
          pick(b.increments, (r) => r.emulator.httpRequests),
        ),
        measure.searches(b.quiet),
      ]),
    );
  }
  return reports;
}

/** Credits a Bulk Write of `records` would cost: 500 a job (25,000 records a file) plus one per status poll. */
function bulkAlternativeCredits(records: number, pollsPerJob: number): number {
  return Math.ceil(records / ZOHO_RECORDS_PER_BULK_FILE) * (ZOHO_BULK_JOB_CREDITS + pollsPerJob);
}

/** Credits of REST upserts (100 records a call, 1 credit per 10 records). */
function restCredits(records: number): number {
  const calls = Math.ceil(records / ZOHO_RECORDS_PER_REST_CALL);
  return calls === 0 ? 0 : (calls - 1) * 10 + Math.ceil((records - (calls - 1) * 100) / ZOHO_RECORDS_PER_CREDIT);
}

/** The Zoho scenario's reports: initial load through Bulk Write, incremental rounds through REST, quiet re-runs. */
export function zohoReports(b: CrmBenchRuns): ScenarioReport[] {
  const reports: ScenarioReport[] = [];
  if (b.loads.length > 0) {
    reports.push({
      id: 'zoho-load',
      title: `Zoho: initial load of ${n(b.rows)} records ERP -> Zoho emulator through Bulk Write`,
      baselineLabel: `the same ${n(b.rows)} records over REST upsert (computed: ${n(Math.ceil(b.rows / ZOHO_RECORDS_PER_REST_CALL))} calls of 100, 1 credit per 10 records)`,
      rows: [
        measure.wall(b.loads),
        measure.jobs(b.loads),
        measure.http(
          b.loads,
          'calls',
          b.loads.map(() => Math.ceil(b.rows / ZOHO_RECORDS_PER_REST_CALL)),
        ),
        measure.credits(
          b.loads,
          b.loads.map(() => restCredits(b.rows)),
        ),
        measure.recordsPerSecond(b.loads, b.rows),
        ...measure.process(b.loads),
      ],
      stages: stagesOf(b.loads),
      facts: {
        'uploads / REST upsert calls per run': b.loads
          .map((r) => `${r.emulator.uploads}/${r.emulator.restUpsertCalls}`)
          .join(', '),
        [LOAD_FACT]: loadRange(b.loads),
      },
    });
  }
  if (b.increments.length > 0) {
    reports.push({
      id: 'zoho-incremental',
      title: `Zoho: incremental sync, ${n(CRM_CHANGES_PER_SIDE)} changes per side through REST, on ${n(b.rows)} synced records`,
      baselineLabel:
        `the same run with its ${n(CRM_CHANGES_PER_SIDE)} ERP -> Zoho writes as one Bulk Write job instead of REST upserts ` +
        `(computed: the run's credits − ${restCredits(CRM_CHANGES_PER_SIDE)} for the REST upserts + ${ZOHO_BULK_JOB_CREDITS} for the job + 10 status polls, ` +
        "the connector's own estimate)",
      rows: [
        measure.wall(b.increments),
        measure.credits(
          b.increments,
          pick(
            b.increments,
            (r) => r.emulator.credits - restCredits(r.written.crm) + bulkAlternativeCredits(r.written.crm, 10),
          ),
        ),
        measure.restUpserts(b.increments),
        measure.jobs(b.increments, { op: '=', value: 0 }),
        measure.http(b.increments, 'calls'),
        ...measure.process(b.increments),
      ],
      stages: stagesOf(b.increments),
      facts: {
        'records captured per run (erp/crm, incl. echoes), last run': capturedFact(b.increments),
        [LOAD_FACT]: loadRange(b.increments),
      },
    });
  }
  if (b.quiet.length > 0) {
    reports.push(
      quietReport('zoho-quiet', `Zoho: quiet re-run (nothing changed) on ${n(b.rows)} synced records`, b, [
        measure.credits(
          b.quiet,
          pick(b.increments, (r) => r.emulator.credits),
        ),
        measure.http(
          b.quiet,
          'calls',
          pick(b.increments, (r) => r.emulator.httpRequests),
        ),
      ]),
    );
  }
  return reports;
}
