import type { ProfileSummary } from '../harness/cpu-profile.js';
import type { MachineInfo } from '../harness/machine.js';
import type { StatementTiming } from '../harness/pg-statement-timing.js';
import { summaries, targetMet, targetText, type FigureRow, type ScenarioReport } from '../harness/scenario-report.js';
import { fmt, markdownTable, textTable } from '../harness/table.js';
import { summarize } from '../harness/summary.js';

/** Everything one `npm run bench` measured (bench/results/<date>.json). */
export interface BenchResults {
  readonly date: string;
  readonly settings: { readonly scale: number; readonly runs: number; readonly crmRows?: number };
  readonly machine: MachineInfo;
  readonly totalMs: number;
  readonly setupMs: Readonly<Record<string, number>>;
  readonly reports: readonly ScenarioReport[];
  readonly errors: Readonly<Record<string, string>>;
  readonly profile?: ProfileSummary;
  readonly profileStages?: Readonly<Record<string, number>>;
  readonly statements: readonly StatementTiming[];
}

/** What each scenario does and measures (method only: every number in the document comes from the results). */
const METHOD: Readonly<Record<string, string>> = {
  'plan-record':
    'planRecord (three-way diff per field) with the built-in latest-wins resolver over deterministic record triples: ' +
    "70% echoes, 12% ERP edits, 12% CRM edits, 3% merges, 3% field conflicts; the baseline compares each side's " +
    "`JSON.stringify` with the base's. One warm-up pass each, then one timed pass; in a child process.",
  'salesforce-client':
    "bench/salesforce-client.bench.ts in a child process: the Salesforce connector's sink upserts the records (4 fields, " +
    'external ID) into the emulator and its source reads them all back. The baseline does the same with jsforce: ' +
    '`bulk2.loadAndWaitForResults` with the records as an array and `bulk2.query` read as a stream, both polling every ' +
    "500 ms (tandem's backoff capped at the same 500 ms). jsforce does not complete 1,000,000 records (its child exits " +
    '13 with a promise never settled), so tandem and jsforce run in turn at 100,000 records (or the whole size when it ' +
    'is smaller), and tandem alone at the full size for the targets. Fresh emulator process per run. HTTP calls per ' +
    "million are the upsert's calls scaled to 1,000,000 records (at BENCH_SCALE < 1 this overstates the fixed per-job " +
    'calls).',
  'initial-load':
    'A customers table (7 mapped columns) built with generate_series in the real Postgres; a new state schema and an ' +
    'empty emulator per run; the engine opened from a tandem.yaml (loadConfig + openEngine, Postgres state store) and ' +
    'one `runSync` (the first run of a new sync: everything is captured, planned and upserted). The baseline (scenario ' +
    '3) is the script a user would write: `COPY (select mapped columns) TO STDOUT CSV HEADER` streamed into jsforce ' +
    '`bulk2.loadAndWaitForResults` (one upsert job, every result row returned). Runs are interleaved (tandem, script, ' +
    'floor, then again), each in its own child process against its own fresh emulator; both poll the job every 200 ms ' +
    "(tandem's backoff capped at 200 ms). Tandem's time includes opening the engine (config, state migration, token, " +
    "describe); the script's runs from its Postgres connect to its last result row; the process wall time (spawn to " +
    'exit, Node start-up included) is given for both, and the target ratio is taken on it, pair by pair. CPU time is ' +
    "given per process: the measured child's own (`process.resourceUsage()`), its Postgres backends' (found by the " +
    "run's `application_name` in pg_stat_activity, /proc/<pid>/stat sampled every 200 ms: a backend's last 200 ms " +
    "before it exits are missed) and the emulator's (/proc/<pid>/stat before and after). The floor (bench/scenarios/" +
    'load-floor.ts, in the same bench run, on the same Postgres and a fresh emulator) times the least work of a load ' +
    "step by step; own work is the time minus the emulator's processing of the jobs (its `totalProcessingTime`), " +
    "against the floor's steps without the emulator's. Stage times come from the pipeline's checkpoint/progress hooks.",
  'after-load':
    'A real first load first (tandem, as in the initial-load section, into a fresh emulator; its state schema kept), ' +
    'then on that state, as the first increments after a real load meet it (the staging tables every record went ' +
    'through, record_state written by the engine). Each CRM read re-reads the 300 s lookback window behind the newest ' +
    'SystemModstamp it saw and compares each re-read record with what tandem knows (SystemModstamp has whole seconds, ' +
    'so only the content tells a late commit from a re-read): the first increment after the load reads all its echoes ' +
    'back, and any increment within 300 s of the load re-reads them. So the bench waits until the load is 302 s old, ' +
    'then runs the first increment (reported on its own), then rounds that each edit 1,000 ERP ' +
    'rows and 1,000 other CRM records and run one `tandem sync`-like child (it must write exactly 1,000 records to each ' +
    'side), then one settling run and quiet runs (each must write 0 records). The CRM edits use the first 20,000 keys ' +
    '(their Salesforce Ids read from record_state).',
  incremental:
    'The state a finished initial load leaves is seeded in SQL (the after-load section measures the same on the state ' +
    "of a real first load): record_state from the ERP rows with the mapping's " +
    'canonical values and hash, and both watermarks, so the 10M case needs no 10M initial load; the CRM emulator holds ' +
    'accounts for the first 20,000 keys only (the other record_state rows name CRM ids it does not hold; an incremental ' +
    "run never touches them). Seeded rows are stamped 2024, far older than the ERP capture's 300 s lookback, which is " +
    'left at its default. Each round edits 1,000 ERP rows (UPDATE; a trigger stamps updated_at) and 1,000 other CRM ' +
    'records (admin API), then one `tandem sync`-like child process runs `runSync`; it must write exactly 1,000 records ' +
    "to each side. One unmeasured warm-up round first, so each measured run also reads back the previous run's echoes.",
  'hubspot-load':
    'A customers table (7 mapped columns) built with generate_series in the real Postgres; per run a fresh HubSpot ' +
    'emulator in its own process (startHubSpotEmulator, professional tier: 190 requests per rolling 10 s, searches 5 a ' +
    'second; the contact properties the mapping needs created first, the key `erp_customer_no` unique) and a new state ' +
    'schema; the engine opened from a tandem.yaml (`crm: { type: hubspot, tier: professional, apiReserveShare: 0 }`, ' +
    'contacts keyed on `erp_customer_no`) and one `runSync` in a child process. Requests are counted by the emulator ' +
    '(its own stats, read over IPC before and after: no client-side count). The rate-limit floor is the least time ' +
    "HubSpot's budgets allow for the requests the emulator admitted; wall / floor is the `tandem / baseline` column.",
  'hubspot-incremental':
    'On the state the last initial load left (same emulator and state schema): one unmeasured round (it also reads ' +
    "back the load's echoes), then rounds that each edit 1,000 ERP rows (UPDATE; a trigger stamps updated_at) and 1,000 " +
    "other contacts' phone in the emulator's store (as a HubSpot user would), then run one `runSync` child; each must " +
    'write exactly 1,000 records to each side. CRM changes are read through the search API (the 30 s index-lag lookback ' +
    'at its default).',
  'hubspot-quiet':
    'After the incremental rounds: one unmeasured settling run, then runs with nothing changed; each must write 0 records.',
  'zoho-load':
    'A customers table (7 mapped columns); per run a fresh Zoho emulator in its own process (startZohoEmulator with a ' +
    '`Customers` module keyed on the unique `ERP_No`, 10,000,000 daily credits, bulk jobs held ADDED and IN PROGRESS ' +
    '300 ms each) and a new state schema; the engine from a tandem.yaml (`crm: { type: zoho, writePath: auto, ' +
    'pollIntervalMs: 200, creditReserveShare: 0 }`) and one `runSync` in a child process. The connector chooses Bulk ' +
    'Write by its credit estimate. HTTP calls (API routes + the Accounts token endpoint), credits, jobs and uploads are ' +
    "the emulator's own counters, read over IPC before and after the run.",
  'zoho-incremental':
    "On the state the last initial load left: one unmeasured round (it reads back the load's echoes), then rounds of " +
    "1,000 ERP edits and 1,000 other Zoho edits (phone, in the emulator's store), each followed by one `runSync` child " +
    'that must write 1,000 records to each side. With `writePath: auto` the connector upserts the 1,000 records over REST ' +
    '(10 calls); the baseline column is what the same run would have cost with one Bulk Write job instead.',
  'zoho-quiet':
    'After the incremental rounds: one unmeasured settling run, then runs with nothing changed; each must write 0 records.',
  quiet:
    'On the 1M-row synced state after the incremental rounds: one unmeasured settling run (it reads back the last ' +
    "writes' echoes), then runs with nothing changed. Each must write 0 records.",
};

function cell(values: readonly number[] | undefined, digits: number): string {
  if (!values || values.length === 0) return '';
  const s = summarize(values);
  return s.runs === 1
    ? fmt(s.median, digits)
    : `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

function digitsFor(row: FigureRow): number {
  return row.unit === 's' || row.unit === 'x' ? 2 : 0;
}

function rowCells(row: FigureRow): string[] {
  const { tandem, baseline } = summaries(row);
  const d = digitsFor(row);
  const met = targetMet(row);
  return [
    `${row.name}${row.unit && row.unit !== 'x' ? ` (${row.unit})` : ''}`,
    cell(row.values, d),
    cell(row.baseline, d),
    baseline ? `${fmt(tandem.median / baseline.median, 2)}x` : '',
    targetText(row.target, row.unit === 'x' ? 'x' : row.unit),
    met === undefined ? '' : met ? 'met' : '**missed**',
  ];
}

const HEAD = ['figure', 'tandem median (min–max)', 'baseline median (min–max)', 'tandem / baseline', 'target', ''];

function stageTable(stages: Readonly<Record<string, readonly number[]>>): string[][] {
  const medians = Object.entries(stages).map(([name, v]) => [name, summarize(v).median] as const);
  const total = medians.reduce((a, [, m]) => a + m, 0);
  return [
    ['stage', 'median ms', 'share'],
    ...medians.map(([name, m]) => [name, fmt(m, 0), `${fmt((100 * m) / (total || 1), 0)}%`]),
  ];
}

/** The floor's steps (median ms, share) and their total. */
export function floorTable(floor: Readonly<Record<string, readonly number[]>>): string[][] {
  const rows = stageTable(floor);
  const total = Object.values(floor).reduce((sum, v) => sum + summarize(v).median, 0);
  rows[0] = ['floor step', 'median ms', 'share'];
  return [...rows, ['total', fmt(total, 0), '100%']];
}

/**
 * Targets of issue 16 whose figure comes from a scenario another file adds: listed in the targets table, marked not
 * measured, until a report with that id carries the figure.
 */
export const EXPECTED_TARGETS: readonly { readonly id: string; readonly figure: string; readonly target: string }[] = [
  { id: 'emulator-ingest', figure: 'peak RSS of the emulator, 1,000,000-row ingest', target: '≤ 400 MB' },
];

/** The targets table: every figure with a target, then the expected targets no scenario of this run measured. */
export function targetsTable(results: Pick<BenchResults, 'reports'>): string[][] {
  const rows: string[][] = [['scenario', 'figure', 'target', 'median', '']];
  for (const r of results.reports) {
    for (const row of r.rows) {
      if (!row.target) continue;
      const met = targetMet(row);
      rows.push([
        r.id,
        row.name,
        targetText(row.target, row.unit === 'x' ? 'x' : row.unit),
        fmt(summarize(row.values).median, digitsFor(row)),
        met ? 'met' : '**missed**',
      ]);
    }
  }
  const measured = new Set(results.reports.map((r) => r.id));
  for (const t of EXPECTED_TARGETS)
    if (!measured.has(t.id)) rows.push([t.id, t.figure, t.target, '', 'not measured in this run']);
  return rows;
}

/** The stdout version: one table per scenario. */
export function printReports(results: BenchResults): void {
  for (const r of results.reports) {
    process.stdout.write(
      `\n${r.title}\n  baseline: ${r.baselineLabel}\n${textTable([HEAD, ...r.rows.map(rowCells)])}\n`,
    );
    if (r.stages) process.stdout.write(`${textTable(stageTable(r.stages))}\n`);
    if (r.floor) process.stdout.write(`${textTable(floorTable(r.floor))}\n`);
  }
  for (const [id, e] of Object.entries(results.errors))
    process.stdout.write(`\nscenario ${id} FAILED: ${e.split('\n')[0]}\n`);
}

function holdsBack(r: ScenarioReport, results: BenchResults): string[] {
  const out: string[] = [];
  if (r.stages) {
    const medians = Object.entries(r.stages)
      .map(([n, v]) => [n, summarize(v).median] as const)
      .sort((a, b) => b[1] - a[1]);
    const total = medians.reduce((a, [, m]) => a + m, 0);
    const top = medians
      .slice(0, 2)
      .map(([n, m]) => `${n} (${fmt(m / 1000, 2)} s, ${fmt((100 * m) / (total || 1), 0)}%)`);
    out.push(`Largest stages (median): ${top.join('; ')}.`);
  }
  if (r.id === 'initial-load' && results.profile) {
    const p = results.profile;
    const areas = p.byArea
      .slice(0, 6)
      .map((a) => `${a.area} ${fmt(100 * a.share, 0)}%`)
      .join(', ');
    out.push(
      `CPU profile of an extra run (tandem process, ${fmt(p.totalMs / 1000, 1)} s sampled): ${areas}. ` +
        'Idle is time the process waited for Postgres or the emulator; the Postgres statements that waited longest are below.',
    );
  }
  return out;
}

/** docs/benchmarks.md, generated from one run's results. */
export function benchmarksMarkdown(results: BenchResults): string {
  const m = results.machine;
  const lines: string[] = [];
  lines.push('# Benchmarks', '');
  lines.push(
    `_Generated by \`npm run bench\` on ${results.date.slice(0, 10)} (${results.date}); do not edit by hand: re-run the bench._`,
    '',
  );
  lines.push(
    'Speed is measured here, never asserted in tests. Every figure is the median over the runs, with min–max, and a ' +
      'ratio against a baseline measured in the same bench run.',
    '',
  );
  lines.push('## Running it', '');
  lines.push(
    '```sh',
    'npm run bench                           # default: BENCH_SCALE=1 (1M-row load, 1M and 10M-row tables), BENCH_RUNS=3',
    'BENCH_SCALE=0.1 BENCH_RUNS=3 npm run bench   # a 10x smaller, quicker run',
    'BENCH_ONLY=incremental,quiet npm run bench  # some scenarios only',
    'npm run bench -- --scenario hubspot,zoho --rows 100000 --runs 3   # the HubSpot and Zoho scenarios only',
    '```',
    '',
  );
  lines.push(
    '| variable | default | meaning |',
    '|---|---|---|',
    '| `BENCH_SCALE` (`--scale`) | 1 | multiplies every record count (1M-row load and tables, 10M-row table, 200k plan pairs) |',
    '| `BENCH_RUNS` (`--runs`) | 3 | measured runs per scenario |',
    '| `BENCH_ONLY` (`--scenario`) | all | comma-separated scenario ids: `plan-record`, `salesforce-client`, `initial-load` (with the jsforce script and the floor), `after-load` (increments and quiet runs after a real first load), `incremental`, `quiet` (quiet runs inside incremental), `hubspot`, `zoho` |',
    '| `BENCH_CRM_ROWS` (`--rows`) | 100,000 × scale | records of the HubSpot and Zoho loads (10,000 to 1,000,000) |',
    '| `BENCH_PROFILE` | 1 | `0` skips the extra profiled initial-load run (V8 CPU profile + per-statement Postgres times) |',
    '| `BENCH_DATABASE_URL` | `postgres://postgres@127.0.0.1:5432/test` | Postgres for the ERP tables and the state schemas (all created and dropped by the bench) |',
    "| `BENCH_VERBOSE` | unset | `1` passes the children's stderr through |",
    '| `BENCH_CHILD_NODE_ARGS` | unset | extra node flags for every measured child, e.g. `--import ./my-tracer.ts` |',
    '',
  );
  lines.push(
    'Raw results go to `bench/results/<date>.json` (gitignored), with the CPU profile of the profiled run next to them.',
    '',
  );
  lines.push(
    '## How it measures',
    '',
    '- Each measured piece of work (tandem or baseline) runs in its own child process (`node --expose-gc --import tsx`); ' +
      "its **peak RSS** is the kernel's high-water mark for that process, `process.resourceUsage().maxRSS`, read at its end " +
      '(not sampled, so no peak is missed). It includes the Node runtime and the tsx loader.',
    '- The Salesforce emulator runs in a separate process (`tandem emulator salesforce --port 0`), fresh for every load run, ' +
      'so its memory never counts. **HTTP calls** are counted by the emulator (its request counter before and after, the ' +
      'counter read itself subtracted): token, describe, job calls, polls, result downloads.',
    '- The HubSpot and Zoho emulators run in their own process too (bench/harness/crm-emulator-host.ts starts them with ' +
      "their exported start functions and answers over IPC); their **requests, credits and jobs** are the emulators' " +
      'own counters, read before and after each run.',
    '- Tandem and its baselines run in turn, run by run (tandem, baseline, tandem, baseline...), never all of one ' +
      'first, so that a change of load on the machine hits both alike; where both poll a Bulk API job, they poll at ' +
      "the same fixed interval. **CPU time** is given per process where measured: the child's own " +
      "(`process.resourceUsage()`), its Postgres backends' (by the child's `application_name`, /proc/<pid>/stat " +
      "sampled every 200 ms) and the emulator's (/proc/<pid>/stat before and after).",
    '- Postgres is the real server; ERP tables are built with `generate_series` (unlogged, to keep setup short; reads are ' +
      "unaffected), tandem's state lives in its own schema per run.",
    '',
  );
  lines.push('## Machine', '');
  lines.push(
    markdownTable([
      ['', ''],
      ['CPUs (nproc)', `${m.cpus} × ${m.cpuModel}`],
      ['memory', `${m.memoryGb} GB`],
      ['Node', m.node],
      ['Postgres', m.postgres],
      [
        '1-min load average at start / end',
        `${fmt(m.loadAverage.start, 1)} / ${fmt(m.loadAverage.end ?? Number.NaN, 1)}`,
      ],
      ['scale / runs', `${results.settings.scale} / ${results.settings.runs}`],
      ['whole bench', `${fmt(results.totalMs / 60_000, 1)} min`],
    ]),
    '',
  );
  if (m.loadAverage.start > m.cpus || (m.loadAverage.end ?? 0) > m.cpus) {
    lines.push(
      `> The load average was above the CPU count: other work shared the ${m.cpus} cores, and every time below is ` +
        'inflated by it (Postgres, the emulator and tandem compete for the same cores). Compare ratios rather than absolute times.',
      '',
    );
  }
  lines.push('## Targets', '');
  if (results.settings.scale !== 1) {
    lines.push(
      `> This run used BENCH_SCALE=${results.settings.scale}. The targets are set for the full size (1M-record load, ` +
        '1M and 10M-row tables): the met/missed marks of whole-load times, peak memory and calls per million below do not ' +
        'carry over to the full size. Run `npm run bench` without BENCH_SCALE for figures comparable to the targets.',
      '',
    );
  }
  lines.push(markdownTable(targetsTable(results)), '');
  for (const [id, e] of Object.entries(results.errors))
    lines.push(`**Scenario \`${id}\` failed** in this run: \`${e.split('\n')[0]}\``, '');
  for (const r of results.reports) {
    lines.push(`## ${r.title}`, '', `<!-- bench:${r.id} -->`, '');
    if (METHOD[r.id]) lines.push(METHOD[r.id]!, '');
    lines.push(`Baseline: ${r.baselineLabel}.`, '');
    lines.push(markdownTable([HEAD, ...r.rows.map(rowCells)]), '');
    if (r.facts) for (const [k, v] of Object.entries(r.facts)) lines.push(`- ${k}: ${v}`);
    if (r.facts) lines.push('');
    if (r.stages) lines.push('Time per stage:', '', markdownTable(stageTable(r.stages)), '');
    if (r.floor)
      lines.push(
        'The floor of the same work, measured in this bench run (each step alone, bench/scenarios/load-floor.ts):',
        '',
        markdownTable(floorTable(r.floor)),
        '',
      );
    if (r.rows.some((row) => targetMet(row) === false)) {
      lines.push('**What holds it back.** ' + holdsBack(r, results).join(' '), '');
      if (r.id === 'initial-load' && results.statements.length > 0) {
        lines.push(
          markdownTable([
            ['Postgres statement (profiled run)', 'calls', 'total round-trip ms'],
            ...results.statements
              .slice(0, 10)
              .map((s) => [`\`${s.statement.slice(0, 110)}\``, String(s.calls), fmt(s.ms, 0)]),
          ]),
          '',
        );
      }
      if (r.id === 'initial-load' && results.profile) {
        lines.push(
          markdownTable([
            ['hottest functions (self time)', 'where', 'ms', 'share'],
            ...results.profile.topFunctions
              .slice(0, 10)
              .map((f) => [f.name, f.where, fmt(f.selfMs, 0), `${fmt(100 * f.share, 1)}%`]),
          ]),
          '',
        );
      }
    }
  }
  lines.push('## Setup (not part of any figure)', '');
  lines.push(
    markdownTable([['step', 's'], ...Object.entries(results.setupMs).map(([k, v]) => [k, fmt(v / 1000, 1)])]),
    '',
  );
  return lines.join('\n');
}

const MARKER = /^<!-- bench:([a-z0-9-]+) -->$/m;

interface Section {
  readonly heading: string;
  readonly id: string | undefined;
  readonly text: string;
}

function sections(doc: string): { head: string; sections: Section[] } {
  const parts = doc.split(/^(?=## )/m);
  const head = parts[0]?.startsWith('## ') ? '' : (parts.shift() ?? '');
  return {
    head,
    sections: parts.map((text) => ({
      heading: text.slice(0, text.indexOf('\n') === -1 ? undefined : text.indexOf('\n')).trim(),
      id: MARKER.exec(text)?.[1],
      text: text.endsWith('\n') ? text : `${text}\n`,
    })),
  };
}

/**
 * docs/benchmarks.md after a run of some scenarios only (`--scenario`): the existing document with this run's report
 * sections replaced (same `<!-- bench:id -->` marker or same heading) or added before the setup section, each under
 * a line saying when and under what load it was measured; "Running it" and "How it measures" taken from this run.
 * Every other section (figures of scenarios not run) stays as it was.
 */
export function spliceBenchmarksMarkdown(existing: string, results: BenchResults): string {
  const fresh = sections(benchmarksMarkdown(results));
  const old = sections(existing);
  const m = results.machine;
  const scenarios = [...new Set(results.reports.map((r) => r.id.split('-')[0]))];
  const crmRows =
    results.settings.crmRows !== undefined && scenarios.some((id) => id === 'hubspot' || id === 'zoho')
      ? ` --rows ${results.settings.crmRows}`
      : '';
  const note =
    `_Measured on ${results.date.slice(0, 10)} by \`npm run bench -- --scenario ${scenarios.join(',')}${crmRows} --runs ${results.settings.runs}\` ` +
    `(${results.settings.runs} runs; ${m.cpus} CPUs, 1-min load average ${fmt(m.loadAverage.start, 1)} at start, ` +
    `${fmt(m.loadAverage.end ?? Number.NaN, 1)} at end); the other sections come from earlier runs._\n\n`;
  const reportIds = new Set(results.reports.map((r) => r.id));
  const out = [...old.sections];
  for (const section of fresh.sections) {
    const isReport = section.id !== undefined && reportIds.has(section.id);
    const isDoc = section.heading === '## Running it' || section.heading === '## How it measures';
    if (!isReport && !isDoc) continue;
    const text = isReport ? section.text.replace(MARKER, (marker) => `${marker}\n\n${note.trimEnd()}`) : section.text;
    const at = out.findIndex((o) => (section.id !== undefined && o.id === section.id) || o.heading === section.heading);
    if (at >= 0) out[at] = { ...section, text };
    else {
      const setup = out.findIndex((o) => o.heading.startsWith('## Setup'));
      out.splice(setup >= 0 ? setup : out.length, 0, { ...section, text });
    }
  }
  const targets = out.findIndex((o) => o.heading === '## Targets');
  if (targets >= 0) out[targets] = { ...out[targets]!, text: splicedTargets(out[targets]!.text, results, reportIds) };
  return old.head + out.map((o) => o.text).join('');
}

/** Whether a scenario id of the targets table or of a failure line is one this run reported on. */
function rerun(id: string, reportIds: ReadonlySet<string>): boolean {
  return [...reportIds].some((r) => r === id || r.startsWith(`${id}-`));
}

/**
 * The Targets section after a partial run: the rows of the scenarios it ran come from it, the others' rows (and
 * their failures) stay as the earlier runs left them, so the table always matches the sections below it.
 */
function splicedTargets(text: string, results: BenchResults, reportIds: ReadonlySet<string>): string {
  const cells = (line: string) =>
    line
      .slice(1, -1)
      .split('|')
      .map((c) => c.trim());
  const lines = text.split('\n');
  const tableRows = lines.filter((l) => l.startsWith('|')).slice(2);
  const kept = tableRows.map(cells).filter((c) => c[0] !== undefined && !rerun(c[0], reportIds));
  const fresh = targetsTable({ reports: results.reports }).slice(1);
  const freshIds = new Set(results.reports.map((r) => r.id));
  const rows = [...kept, ...fresh.filter((c) => freshIds.has(c[0] ?? ''))];
  const failures = lines.filter((l) => {
    const id = /^\*\*Scenario `([^`]+)` failed\*\*/.exec(l)?.[1];
    return id !== undefined && !rerun(id, reportIds);
  });
  for (const [id, e] of Object.entries(results.errors))
    failures.push(`**Scenario \`${id}\` failed** in this run: \`${e.split('\n')[0]}\``);
  const notes = lines.filter((l) => l.startsWith('> ')).join('\n');
  return [
    '## Targets',
    '',
    ...(notes ? [notes, ''] : []),
    markdownTable([['scenario', 'figure', 'target', 'median', ''], ...rows]),
    '',
    ...failures.flatMap((f) => [f, '']),
  ].join('\n');
}
