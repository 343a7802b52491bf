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
const pick = (runs: readonly CrmSyncRun[], f: (r: CrmSyncRun) => number) => runs.map(f);

function loadRange(runs: readonly CrmSyncRun[]): string {
  const all = runs.map((r) => r.loadAverage);
  return all.length === 0 ? 'n/a' : `${Math.min(...all).toFixed(1)}–${Math.max(...all).toFixed(1)}`;
}

function commonRows(runs: readonly CrmSyncRun[]): FigureRow[] {
  return [
    { name: 'process wall time incl. engine open', unit: 's', values: pick(runs, (r) => r.wallMs / 1000) },
    { name: 'peak RSS of the tandem process', unit: 'MB', values: pick(runs, (r) => r.maxRssMb) },
  ];
}

function stagesOf(runs: readonly CrmSyncRun[]): Record<string, number[]> {
  return Object.fromEntries(
    Object.keys(runs[0]?.stages ?? {}).map((s) => [s, runs.map((r) => r.stages[s] ?? 0)] as const),
  );
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
        {
          name: 'runSync wall time',
          unit: 's',
          values: pick(b.loads, (r) => r.syncMs / 1000),
          baseline: pick(b.loads, floorOf),
        },
        {
          name: 'HTTP requests (emulator count)',
          unit: 'requests',
          values: pick(b.loads, (r) => r.emulator.httpRequests),
          baseline: b.loads.map(() => batchFloor),
        },
        { name: 'batch requests', unit: 'requests', values: pick(b.loads, (r) => r.emulator.batchRequests) },
        { name: '429 answers', unit: '', values: pick(b.loads, (r) => r.emulator.rateLimited) },
        { name: 'records per second', unit: '/s', values: pick(b.loads, (r) => b.rows / (r.syncMs / 1000)) },
        ...commonRows(b.loads),
      ],
      stages: stagesOf(b.loads),
      facts: {
        'rate-limit floor per run (s)': b.loads.map((r) => floorOf(r)).join(', '),
        'requests counted against the 10-second budget / searches, per run': b.loads
          .map((r) => `${r.emulator.limitedRequests}/${r.emulator.searchRequests}`)
          .join(', '),
        '1-min load average at the start of each run': loadRange(b.loads),
      },
    });
  }
  if (b.increments.length > 0) {
    reports.push({
      id: 'hubspot-incremental',
      title: `HubSpot: incremental sync, ${n(CRM_CHANGES_PER_SIDE)} changes per side, on ${n(b.rows)} synced contacts`,
      baselineLabel: floorLabel,
      rows: [
        {
          name: 'runSync wall time',
          unit: 's',
          values: pick(b.increments, (r) => r.syncMs / 1000),
          baseline: pick(b.increments, floorOf),
        },
        {
          name: 'HTTP requests (emulator count)',
          unit: 'requests',
          values: pick(b.increments, (r) => r.emulator.httpRequests),
        },
        { name: 'search requests', unit: 'requests', values: pick(b.increments, (r) => r.emulator.searchRequests) },
        { name: 'batch requests', unit: 'requests', values: pick(b.increments, (r) => r.emulator.batchRequests) },
        { name: '429 answers', unit: '', values: pick(b.increments, (r) => r.emulator.rateLimited) },
        ...commonRows(b.increments),
      ],
      stages: stagesOf(b.increments),
      facts: {
        'records captured per run (erp/crm, incl. echoes and the 30 s search lookback), last run': `${b.increments.at(-1)?.captured.erp}/${b.increments.at(-1)?.captured.crm}`,
        '1-min load average at the start of each run': loadRange(b.increments),
      },
    });
  }
  if (b.quiet.length > 0) {
    reports.push({
      id: 'hubspot-quiet',
      title: `HubSpot: quiet re-run (nothing changed) on ${n(b.rows)} synced contacts`,
      baselineLabel: 'the incremental run with 2,000 changes on the same state',
      rows: [
        {
          name: 'runSync wall time',
          unit: 's',
          values: pick(b.quiet, (r) => r.syncMs / 1000),
          baseline: pick(b.increments, (r) => r.syncMs / 1000),
        },
        { name: 'records written', unit: '', values: pick(b.quiet, (r) => r.writes), target: { op: '=', value: 0 } },
        {
          name: 'HTTP requests (emulator count)',
          unit: 'requests',
          values: pick(b.quiet, (r) => r.emulator.httpRequests),
          baseline: pick(b.increments, (r) => r.emulator.httpRequests),
        },
        { name: 'search requests', unit: 'requests', values: pick(b.quiet, (r) => r.emulator.searchRequests) },
        ...commonRows(b.quiet),
      ],
      facts: { '1-min load average at the start of each run': loadRange(b.quiet) },
    });
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
        { name: 'runSync wall time', unit: 's', values: pick(b.loads, (r) => r.syncMs / 1000) },
        { name: 'Bulk Write jobs', unit: 'jobs', values: pick(b.loads, (r) => r.emulator.writeJobs) },
        {
          name: 'HTTP calls (emulator count)',
          unit: 'calls',
          values: pick(b.loads, (r) => r.emulator.httpRequests),
          baseline: b.loads.map(() => Math.ceil(b.rows / ZOHO_RECORDS_PER_REST_CALL)),
        },
        {
          name: 'credits spent (emulator count)',
          unit: 'credits',
          values: pick(b.loads, (r) => r.emulator.credits),
          baseline: b.loads.map(() => restCredits(b.rows)),
        },
        { name: 'records per second', unit: '/s', values: pick(b.loads, (r) => b.rows / (r.syncMs / 1000)) },
        ...commonRows(b.loads),
      ],
      stages: stagesOf(b.loads),
      facts: {
        'uploads / REST upsert calls per run': b.loads
          .map((r) => `${r.emulator.uploads}/${r.emulator.restUpsertCalls}`)
          .join(', '),
        '1-min load average at the start of each run': loadRange(b.loads),
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
        { name: 'runSync wall time', unit: 's', values: pick(b.increments, (r) => r.syncMs / 1000) },
        {
          name: 'credits spent (emulator count)',
          unit: 'credits',
          values: pick(b.increments, (r) => r.emulator.credits),
          baseline: pick(
            b.increments,
            (r) => r.emulator.credits - restCredits(r.written.crm) + bulkAlternativeCredits(r.written.crm, 10),
          ),
        },
        { name: 'REST upsert calls', unit: 'calls', values: pick(b.increments, (r) => r.emulator.restUpsertCalls) },
        {
          name: 'Bulk Write jobs',
          unit: 'jobs',
          values: pick(b.increments, (r) => r.emulator.writeJobs),
          target: { op: '=', value: 0 },
        },
        {
          name: 'HTTP calls (emulator count)',
          unit: 'calls',
          values: pick(b.increments, (r) => r.emulator.httpRequests),
        },
        ...commonRows(b.increments),
      ],
      stages: stagesOf(b.increments),
      facts: {
        'records captured per run (erp/crm, incl. echoes), last run': `${b.increments.at(-1)?.captured.erp}/${b.increments.at(-1)?.captured.crm}`,
        '1-min load average at the start of each run': loadRange(b.increments),
      },
    });
  }
  if (b.quiet.length > 0) {
    reports.push({
      id: 'zoho-quiet',
      title: `Zoho: quiet re-run (nothing changed) on ${n(b.rows)} synced records`,
      baselineLabel: 'the incremental run with 2,000 changes on the same state',
      rows: [
        {
          name: 'runSync wall time',
          unit: 's',
          values: pick(b.quiet, (r) => r.syncMs / 1000),
          baseline: pick(b.increments, (r) => r.syncMs / 1000),
        },
        { name: 'records written', unit: '', values: pick(b.quiet, (r) => r.writes), target: { op: '=', value: 0 } },
        {
          name: 'credits spent (emulator count)',
          unit: 'credits',
          values: pick(b.quiet, (r) => r.emulator.credits),
          baseline: pick(b.increments, (r) => r.emulator.credits),
        },
        {
          name: 'HTTP calls (emulator count)',
          unit: 'calls',
          values: pick(b.quiet, (r) => r.emulator.httpRequests),
          baseline: pick(b.increments, (r) => r.emulator.httpRequests),
        },
        ...commonRows(b.quiet),
      ],
      facts: { '1-min load average at the start of each run': loadRange(b.quiet) },
    });
  }
  return reports;
}
