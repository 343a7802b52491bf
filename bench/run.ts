import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { readBenchSettings, scaled } from './harness/bench-settings.js';
import { summarizeCpuProfile } from './harness/cpu-profile.js';
import { createCustomerTable, customerTable, dropCustomerTable, dropErpSchema } from './harness/erp-fixture.js';
import { machineInfo } from './harness/machine.js';
import type { StatementTiming } from './harness/pg-statement-timing.js';
import type { ScenarioReport } from './harness/scenario-report.js';
import { summarize } from './harness/summary.js';
import { prepareSyncedState } from './harness/synced-state.js';
import { fmt } from './harness/table.js';
import {
  benchmarksMarkdown,
  printReports,
  spliceBenchmarksMarkdown,
  type BenchResults,
} from './report/benchmarks-markdown.js';
import { hubspotReports, zohoReports } from './report/crm-reports.js';
import { benchCrmSync } from './scenarios/crm-sync.js';
import { benchEmulatorIngestScenario } from './scenarios/emulator-ingest.js';
import { benchIncremental, type SyncRun } from './scenarios/incremental-sync.js';
import { CRM_DEFAULT_LOOKBACK_SECONDS } from '../src/connectors/salesforce/salesforce-connector-config.js';
import { ownWorkRatio } from './harness/floor-ratio.js';
import { realLoadState } from './scenarios/after-real-load.js';
import { initialLoadOnce, type InitialLoadRun } from './scenarios/initial-load.js';
import { jsforceLoadOnce, type JsforceLoadRun } from './scenarios/jsforce-load-baseline.js';
import { FLOOR_STEPS, loadFloorOnce, type FloorStep, type LoadFloorResult } from './scenarios/load-floor.js';
import { benchPlanRecord } from './scenarios/plan-record.js';
import { benchQuietRerun } from './scenarios/quiet-rerun.js';
import { benchSalesforceClientScenario } from './scenarios/salesforce-client.js';

// `npm run bench [-- --scenario hubspot,zoho --rows 100000 --runs 3]`: every scenario (or the chosen ones), figures as medians over BENCH_RUNS runs with ratios against a baseline measured
// in the same run; results to bench/results/<date>.json and docs/benchmarks.md. See docs/benchmarks.md for the knobs.
const settings = readBenchSettings();
const started = Date.now();
const date = new Date().toISOString();
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
const profileDir = `${resultsDir}profile-${date.replace(/[:.]/g, '-')}`;
await mkdir(resultsDir, { recursive: true });
const machine = await machineInfo(settings.databaseUrl);
const wanted = (id: string) => settings.only === null || settings.only.has(id);
const loadRows = scaled(1_000_000, settings.scale);
const bigRows = scaled(10_000_000, settings.scale);
const crmRows = Math.min(loadRows, 20_000);
const reports: ScenarioReport[] = [];
const errors: Record<string, string> = {};
const setup: Record<string, number> = {};
let statements: readonly StatementTiming[] = [];
let profile: Awaited<ReturnType<typeof summarizeCpuProfile>> | undefined;
let profileStages: Readonly<Record<string, number>> | undefined;

async function scenario(id: string, fn: () => Promise<void>): Promise<void> {
  if (!wanted(id)) return;
  console.error(`\n== ${id}`);
  try {
    await fn();
  } catch (error) {
    errors[id] = (error as Error).stack ?? String(error);
    console.error(`scenario ${id} failed: ${(error as Error).message}`);
  }
}

const series = <T>(runs: readonly T[], pick: (r: T) => number) => runs.map(pick);

try {
  console.error(
    `tandem bench: scale ${settings.scale} (load ${loadRows.toLocaleString('en-US')} rows, big table ${bigRows.toLocaleString('en-US')}, HubSpot/Zoho ${settings.crmRows.toLocaleString('en-US')} records), ${settings.runs} runs${settings.only ? `, scenarios ${[...settings.only].join(',')}` : ''}`,
  );
  if (wanted('initial-load') || wanted('incremental') || wanted('after-load')) {
    const t1 = await createCustomerTable(settings.databaseUrl, loadRows);
    setup[`ERP table of ${loadRows.toLocaleString('en-US')} rows (generate_series, indexes, analyze)`] = t1.ms;
  }

  await scenario('plan-record', async () => {
    const pairs = scaled(200_000, settings.scale, 20_000);
    const runs = await benchPlanRecord(settings.runs, pairs);
    reports.push({
      id: 'plan-record',
      title: `Diff + resolve: planRecord with latest-wins over ${pairs.toLocaleString('en-US')} record pairs`,
      baselineLabel: 'JSON.stringify equality of each side with the base (no per-field diff, no resolver)',
      rows: [
        {
          name: 'record pairs per second',
          unit: '/s',
          values: series(runs, (r) => r.planPerSecond),
          baseline: series(runs, (r) => r.baselinePerSecond),
        },
      ],
      facts: { 'plan kinds': JSON.stringify(runs[0]?.kinds ?? {}) },
    });
  });

  await scenario('salesforce-client', async () => {
    // jsforce fails at 1,000,000 records (the child exits 13, an unsettled promise): the pairs run at 100,000.
    reports.push(await benchSalesforceClientScenario(settings, loadRows, Math.min(loadRows, 100_000)));
  });

  await scenario(
    'emulator-ingest',
    async () => void reports.push(await benchEmulatorIngestScenario(settings, loadRows)),
  );

  await scenario('initial-load', async () => {
    const table = customerTable(loadRows);
    // Interleaved: tandem, the jsforce script, the floor, then again, so that a change of load on the machine hits
    // every one of them alike.
    const tandem: InitialLoadRun[] = [];
    const baseline: JsforceLoadRun[] = [];
    const floor: LoadFloorResult[] = [];
    for (let i = 0; i < settings.runs; i += 1) {
      tandem.push(await initialLoadOnce(settings, table, loadRows, `load${i}`));
      baseline.push(await jsforceLoadOnce(settings, table, loadRows, `jsforce${i}`));
      floor.push(await loadFloorOnce(settings, table, loadRows, `floor${i}`));
    }
    if (settings.profile) {
      // An extra, unmeasured run with a CPU profile and per-statement Postgres times: where the time goes.
      await mkdir(profileDir, { recursive: true });
      const pgTimingFile = `${profileDir}/pg-statements.json`;
      const profiled = await initialLoadOnce(settings, table, loadRows, 'profile', {
        profile: { dir: profileDir, pgTimingFile },
      });
      profileStages = profiled.stages;
      statements = JSON.parse(await readFile(pgTimingFile, 'utf8')) as StatementTiming[];
      const cpu = (await readdir(profileDir)).filter((f) => f.endsWith('.cpuprofile'));
      const summaries = await Promise.all(cpu.map((f) => summarizeCpuProfile(`${profileDir}/${f}`)));
      profile = summaries.sort((a, b) => b.totalMs - a.totalMs)[0];
    }
    reports.push(initialLoadReport(loadRows, tandem, baseline, floor));
  });

  await scenario('after-load', async () => {
    const state = await realLoadState(settings, customerTable(loadRows), loadRows, crmRows, 'afterload');
    const loadEnded = Date.now();
    try {
      setup[`real first load of ${loadRows.toLocaleString('en-US')} rows for the increments after it`] = state.setupMs;
      // Each CRM read re-reads CRM_DEFAULT_LOOKBACK_SECONDS behind the newest SystemModstamp it saw, and compares
      // what it re-reads with what tandem knows (SystemModstamp has whole seconds, so a late commit can only be told
      // apart by its content). An increment whose window still holds the load's echoes re-reads all of them: that is
      // the first increment after the load, reported on its own. The measured rounds start once the load is behind
      // the window, as in steady operation.
      const behindWindowMs = loadEnded + (CRM_DEFAULT_LOOKBACK_SECONDS + 2) * 1000 - Date.now();
      let first: SyncRun | undefined;
      const increments = await benchIncremental(state, settings.runs, {
        beforeWarmUp: async () => {
          if (behindWindowMs <= 0) return;
          console.error(
            `  waiting ${(behindWindowMs / 1000).toFixed(0)} s until the load is behind the CRM lookback window`,
          );
          await new Promise((r) => setTimeout(r, behindWindowMs));
        },
        onWarmUp: (run) => (first = run),
      });
      const quiet = await benchQuietRerun(state, settings.runs);
      reports.push({
        id: 'after-load',
        title: `Increment and quiet re-run on ${loadRows.toLocaleString('en-US')} rows after a real first load`,
        baselineLabel: 'none (the same figures on state seeded in SQL are in the incremental and quiet sections)',
        rows: [
          {
            name: 'first increment after the load (re-reads its echoes): runSync wall time',
            unit: 's',
            values: first ? [first.syncMs / 1000] : [],
          },
          {
            name: 'first increment after the load: HTTP calls',
            unit: 'calls',
            values: first ? [first.httpCalls] : [],
          },
          {
            name: 'increment (1,000 a side): runSync wall time',
            unit: 's',
            values: series(increments, (r) => r.syncMs / 1000),
            target: { op: '<=', value: 1 },
          },
          {
            name: 'increment: process wall time incl. engine open',
            unit: 's',
            values: series(increments, (r) => r.wallMs / 1000),
          },
          { name: 'increment: HTTP calls', unit: 'calls', values: series(increments, (r) => r.httpCalls) },
          {
            name: 'increment: CPU time of the tandem process',
            unit: 's',
            values: series(increments, (r) => r.cpuMs.client / 1000),
          },
          {
            name: 'increment: CPU time of its Postgres backends',
            unit: 's',
            values: series(increments, (r) => r.cpuMs.postgres / 1000),
          },
          {
            name: 'increment: CPU time of the emulator',
            unit: 's',
            values: series(increments, (r) => r.cpuMs.emulator / 1000),
          },
          {
            name: 'quiet re-run: runSync wall time',
            unit: 's',
            values: series(quiet, (r) => r.syncMs / 1000),
            target: { op: '<=', value: 0.3 },
          },
          {
            name: 'quiet re-run: records written',
            unit: '',
            values: series(quiet, (r) => r.writes),
            target: { op: '=', value: 0 },
          },
          {
            name: 'quiet re-run: HTTP calls (whole process)',
            unit: 'calls',
            values: series(quiet, (r) => r.httpCalls),
            target: { op: '<=', value: 6 },
          },
          {
            name: 'quiet re-run: process wall time incl. engine open',
            unit: 's',
            values: series(quiet, (r) => r.wallMs / 1000),
          },
          {
            name: 'quiet re-run: CPU time of the tandem process',
            unit: 's',
            values: series(quiet, (r) => r.cpuMs.client / 1000),
          },
          {
            name: 'quiet re-run: CPU time of its Postgres backends',
            unit: 's',
            values: series(quiet, (r) => r.cpuMs.postgres / 1000),
          },
        ],
        stages: Object.fromEntries(
          Object.keys(increments[0]?.stages ?? {}).map((n) => [
            `increment: ${n}`,
            increments.map((r) => r.stages[n] ?? 0),
          ]),
        ),
        facts: {
          'the first load (engine open + runSync, process wall time)': `${(
            (state.load.openMs + state.load.syncMs) /
            1000
          ).toFixed(1)} s, ${(state.load.wallMs / 1000).toFixed(1)} s`,
          'records captured per increment (erp/crm, incl. echoes), last run': `${increments.at(-1)?.captured.erp}/${increments.at(-1)?.captured.crm}`,
        },
      });
    } finally {
      await state.close();
    }
  });

  await scenario('incremental', async () => {
    const states = [];
    try {
      const small = await prepareSyncedState(
        settings.databaseUrl,
        customerTable(loadRows),
        loadRows,
        crmRows,
        `bench_state_${process.pid}_inc1`,
      );
      states.push(small);
      setup[
        `synced state for ${loadRows.toLocaleString('en-US')} rows (record_state in SQL, ${crmRows.toLocaleString('en-US')} CRM accounts)`
      ] = small.setupMs;
      const smallRuns = await benchIncremental(small, settings.runs);
      const quiet = wanted('quiet') ? await benchQuietRerun(small, settings.runs) : [];
      await small.close();
      states.pop();
      const t10 = await createCustomerTable(settings.databaseUrl, bigRows);
      setup[`ERP table of ${bigRows.toLocaleString('en-US')} rows (generate_series, indexes, analyze)`] = t10.ms;
      const big = await prepareSyncedState(
        settings.databaseUrl,
        customerTable(bigRows),
        bigRows,
        crmRows,
        `bench_state_${process.pid}_inc10`,
      );
      states.push(big);
      setup[`synced state for ${bigRows.toLocaleString('en-US')} rows`] = big.setupMs;
      const bigRuns = await benchIncremental(big, settings.runs);
      const s = (runs: typeof smallRuns, pick: (r: (typeof smallRuns)[number]) => number) => runs.map(pick);
      reports.push({
        id: 'incremental',
        title: `Incremental sync, 1,000 records changed on each side: ${loadRows.toLocaleString('en-US')} vs ${bigRows.toLocaleString('en-US')} rows`,
        baselineLabel: `the same sync on the ${loadRows.toLocaleString('en-US')}-row table`,
        rows: [
          {
            name: `runSync wall time, ${loadRows.toLocaleString('en-US')} rows`,
            unit: 's',
            values: s(smallRuns, (r) => r.syncMs / 1000),
          },
          {
            name: `runSync wall time, ${bigRows.toLocaleString('en-US')} rows`,
            unit: 's',
            values: s(bigRuns, (r) => r.syncMs / 1000),
            baseline: s(smallRuns, (r) => r.syncMs / 1000),
          },
          {
            name: `time ratio ${bigRows.toLocaleString('en-US')} / ${loadRows.toLocaleString('en-US')} (per run)`,
            unit: 'x',
            values: bigRuns.map((r, i) => r.syncMs / (smallRuns[i]?.syncMs ?? Number.NaN)),
            target: { op: '<=', value: 1.2 },
          },
          {
            name: `process wall time incl. engine open, ${bigRows.toLocaleString('en-US')} rows`,
            unit: 's',
            values: s(bigRuns, (r) => r.wallMs / 1000),
            baseline: s(smallRuns, (r) => r.wallMs / 1000),
          },
          {
            name: `peak RSS, ${bigRows.toLocaleString('en-US')} rows`,
            unit: 'MB',
            values: s(bigRuns, (r) => r.maxRssMb),
            baseline: s(smallRuns, (r) => r.maxRssMb),
          },
          {
            name: `HTTP calls, ${bigRows.toLocaleString('en-US')} rows`,
            unit: 'calls',
            values: s(bigRuns, (r) => r.httpCalls),
            baseline: s(smallRuns, (r) => r.httpCalls),
          },
        ],
        stages: Object.fromEntries(
          Object.keys(bigRuns[0]?.stages ?? {}).flatMap((n) => [
            [`${n} (${loadRows.toLocaleString('en-US')})`, smallRuns.map((r) => r.stages[n] ?? 0)],
            [`${n} (${bigRows.toLocaleString('en-US')})`, bigRuns.map((r) => r.stages[n] ?? 0)],
          ]),
        ),
        facts: {
          'records captured per run (erp/crm, incl. echoes and lookback re-reads), last run': `${bigRuns.at(-1)?.captured.erp}/${bigRuns.at(-1)?.captured.crm}`,
        },
      });
      if (quiet.length > 0) {
        reports.push({
          id: 'quiet',
          title: `Quiet re-run (nothing changed) on ${loadRows.toLocaleString('en-US')} rows`,
          baselineLabel: `the incremental run with 2,000 changes on the same table`,
          rows: [
            {
              name: 'runSync wall time',
              unit: 's',
              values: s(quiet, (r) => r.syncMs / 1000),
              baseline: s(smallRuns, (r) => r.syncMs / 1000),
            },
            { name: 'records written', unit: '', values: s(quiet, (r) => r.writes), target: { op: '=', value: 0 } },
            {
              name: 'HTTP calls (whole process: token, describe, 1 query job)',
              unit: 'calls',
              values: s(quiet, (r) => r.httpCalls),
              baseline: s(smallRuns, (r) => r.httpCalls),
            },
          ],
          stages: Object.fromEntries(
            Object.keys(quiet[0]?.stages ?? {}).map((n) => [n, quiet.map((r) => r.stages[n] ?? 0)]),
          ),
        });
      }
    } finally {
      for (const st of states) await st.close();
    }
  });
  for (const kind of ['hubspot', 'zoho'] as const) {
    await scenario(kind, async () => {
      const rows = settings.crmRows;
      // Each CRM scenario from the fixture's values: the previous one wrote its CRM edits into the shared table.
      await dropCustomerTable(settings.databaseUrl, rows);
      const t = await createCustomerTable(settings.databaseUrl, rows);
      if (t.created)
        setup[`ERP table of ${rows.toLocaleString('en-US')} rows (generate_series, indexes, analyze)`] = t.ms;
      const runs = await benchCrmSync(kind, settings.databaseUrl, customerTable(rows), rows, settings.runs);
      reports.push(...(kind === 'hubspot' ? hubspotReports(runs) : zohoReports(runs)));
      if (runs.error) throw runs.error;
    });
  }
} finally {
  await dropErpSchema(settings.databaseUrl).catch(() => {});
}

const results: BenchResults = {
  date,
  settings: { scale: settings.scale, runs: settings.runs, crmRows: settings.crmRows },
  machine: { ...machine, loadAverage: { start: machine.loadAverage.start, end: loadavg()[0] ?? 0 } },
  totalMs: Date.now() - started,
  setupMs: setup,
  reports,
  errors,
  ...(profile ? { profile } : {}),
  ...(profileStages ? { profileStages } : {}),
  statements: statements.slice(0, 12),
};
printReports(results);
const jsonFile = `${resultsDir}${date.slice(0, 19).replace(/[:]/g, '-')}.json`;
await writeFile(jsonFile, JSON.stringify(results, null, 2));
// A run of some scenarios only updates their sections and keeps the figures of the others.
const docFile = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
const existing = settings.only === null ? undefined : await readFile(docFile, 'utf8').catch(() => undefined);
await writeFile(
  docFile,
  existing === undefined ? benchmarksMarkdown(results) : spliceBenchmarksMarkdown(existing, results),
);
console.error(
  `\nraw results: ${jsonFile}\ndocs/benchmarks.md ${existing === undefined ? 'written' : 'updated'} (${Math.round((Date.now() - started) / 1000)} s in all)`,
);
if (Object.keys(errors).length > 0) process.exitCode = 1;

/** The initial-load section: tandem against the jsforce script and the floor, run by run (interleaved). */
function initialLoadReport(
  rows: number,
  tandem: readonly InitialLoadRun[],
  baseline: readonly JsforceLoadRun[],
  floor: readonly LoadFloorResult[],
): ScenarioReport {
  const tandemMs = (r: InitialLoadRun) => r.openMs + r.syncMs;
  const stageNames = Object.keys(tandem[0]?.stages ?? {});
  const cpu = (name: string, pick: (c: InitialLoadRun['cpuMs']) => number) => ({
    name: `CPU time: ${name}`,
    unit: 's',
    values: series(tandem, (r) => pick(r.cpuMs) / 1000),
    baseline: series(baseline, (r) => pick(r.cpuMs) / 1000),
  });
  return {
    id: 'initial-load',
    title: `Initial load ERP -> CRM of ${rows.toLocaleString('en-US')} records through the whole engine`,
    baselineLabel:
      'scenario 3: COPY TO STDOUT CSV piped into jsforce 3.10.16 bulk2.loadAndWaitForResults, run in turn with tandem',
    rows: [
      {
        name: 'process wall time ratio tandem / script (per pair)',
        unit: 'x',
        values: tandem.map((r, i) => r.wallMs / (baseline[i]?.wallMs ?? Number.NaN)),
        target: { op: '<=', value: 1.3 },
      },
      {
        name: 'process wall time (spawn to exit)',
        unit: 's',
        values: series(tandem, (r) => r.wallMs / 1000),
        baseline: series(baseline, (r) => r.wallMs / 1000),
      },
      {
        name: 'engine open + runSync / script (connect to last result)',
        unit: 's',
        values: series(tandem, (r) => tandemMs(r) / 1000),
        baseline: series(baseline, (r) => r.loadMs / 1000),
      },
      { name: 'runSync alone', unit: 's', values: series(tandem, (r) => r.syncMs / 1000) },
      {
        name: 'records per second (engine open + runSync / script)',
        unit: '/s',
        values: series(tandem, (r) => rows / (tandemMs(r) / 1000)),
        baseline: series(baseline, (r) => rows / (r.loadMs / 1000)),
      },
      {
        name: 'peak RSS of the process',
        unit: 'MB',
        values: series(tandem, (r) => r.maxRssMb),
        baseline: series(baseline, (r) => r.maxRssMb),
        target: { op: '<=', value: 200 },
      },
      cpu('the tandem / script process', (c) => c.client),
      cpu('its Postgres backends', (c) => c.postgres),
      cpu('the emulator', (c) => c.emulator),
      {
        name: "the emulator's processing of the jobs (totalProcessingTime)",
        unit: 's',
        values: series(tandem, (r) => r.remoteMs / 1000),
        baseline: series(baseline, (r) => r.remoteMs / 1000),
      },
      {
        name: "own work / the floor's (both without the emulator's processing)",
        unit: 'x',
        values: tandem.map((r, i) => (floor[i] ? ownWorkRatio(tandemMs(r), r.remoteMs, floor[i].steps) : Number.NaN)),
        baseline: baseline.map((r, i) => (floor[i] ? ownWorkRatio(r.loadMs, r.remoteMs, floor[i].steps) : Number.NaN)),
        target: { op: '<=', value: 1.5 },
      },
      {
        name: 'HTTP calls',
        unit: 'calls',
        values: series(tandem, (r) => r.httpCalls),
        baseline: series(baseline, (r) => r.httpCalls),
      },
    ],
    stages: Object.fromEntries(stageNames.map((n) => [n, tandem.map((r) => r.stages[n] ?? 0)])),
    floor: Object.fromEntries(
      (Object.keys(FLOOR_STEPS) as FloorStep[]).map((step) => [FLOOR_STEPS[step], floor.map((f) => f.steps[step])]),
    ),
    facts: {
      'engine open (config, state migration, token, describe), median': `${fmt(
        summarize(tandem.map((r) => r.openMs)).median / 1000,
        2,
      )} s`,
    },
  };
}
