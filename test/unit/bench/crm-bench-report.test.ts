import { describe, expect, it } from 'vitest';
import { readBenchSettings } from '../../../bench/harness/bench-settings.js';
import {
  benchmarksMarkdown,
  spliceBenchmarksMarkdown,
  type BenchResults,
} from '../../../bench/report/benchmarks-markdown.js';
import { hubspotRateLimitFloorSeconds, writeAgainstFloor } from '../../../bench/report/crm-reports.js';

function results(
  reports: BenchResults['reports'],
  date = '2026-12-01T02:00:00.000Z',
  settings: BenchResults['settings'] = { scale: 1, runs: 1 },
): BenchResults {
  return {
    date,
    settings,
    machine: {
      cpus: 2,
      cpuModel: 'test',
      memoryGb: 8,
      node: 'v20',
      postgres: '15',
      loadAverage: { start: 7.5, end: 8.25 },
    },
    totalMs: 1000,
    setupMs: { 'ERP table': 1000 },
    reports,
    errors: {},
    statements: [],
  };
}

const report = (id: string, title: string, value: number): BenchResults['reports'][number] => ({
  id,
  title,
  baselineLabel: 'none',
  rows: [{ name: 'wall time', unit: 's', values: [value] }],
});

describe('HubSpot rate-limit floor', () => {
  it('is the time the rolling 10-second budget needs: the k-th request waits floor(k / budget) windows', () => {
    expect(hubspotRateLimitFloorSeconds(1, 0, 190)).toBe(0);
    expect(hubspotRateLimitFloorSeconds(190, 0, 190)).toBe(0);
    expect(hubspotRateLimitFloorSeconds(191, 0, 190)).toBe(10);
    expect(hubspotRateLimitFloorSeconds(1_000, 0, 190)).toBe(50);
    expect(hubspotRateLimitFloorSeconds(1_000, 0, 100)).toBe(90);
  });

  it('takes the search budget (5 a second) when searches need longer', () => {
    expect(hubspotRateLimitFloorSeconds(10, 51, 190)).toBe(10);
    expect(hubspotRateLimitFloorSeconds(0, 0, 190)).toBe(0);
  });

  it("states the write stage's time against it, with no ratio for a run that fits in one window", () => {
    expect(writeAgainstFloor(61_234, 50)).toBe('61.2 s / 50 s = 1.22x');
    expect(writeAgainstFloor(6_000, 0)).toBe('6.0 s / 0 s = n/a');
  });
});

describe('bench settings', () => {
  it('reads --scenario, --rows and --runs over the environment', () => {
    const s = readBenchSettings({ BENCH_ONLY: 'quiet', BENCH_RUNS: '5' }, [
      '--scenario',
      'hubspot,zoho',
      '--rows=20000',
    ]);
    expect([...(s.only ?? [])]).toEqual(['hubspot', 'zoho']);
    expect(s.crmRows).toBe(20_000);
    expect(s.runs).toBe(5);
  });

  it('scales the CRM load with BENCH_SCALE and refuses unknown flags and sizes below 10,000', () => {
    expect(readBenchSettings({ BENCH_SCALE: '0.5' }, []).crmRows).toBe(50_000);
    expect(() => readBenchSettings({}, ['--size', '3'])).toThrow(/unknown bench argument '--size'.*--rows/);
    expect(() => readBenchSettings({}, ['--rows', '500'])).toThrow(/BENCH_CRM_ROWS \(--rows\) must be an integer/);
  });
});

describe('docs/benchmarks.md after a partial run', () => {
  const full = benchmarksMarkdown(
    results([report('initial-load', 'Initial load', 187), report('hubspot-load', 'HubSpot: load of 10 contacts', 99)]),
  );

  it('replaces the sections of the scenarios it ran, keeps the others and says when and under what load', () => {
    const spliced = spliceBenchmarksMarkdown(
      full,
      results([report('hubspot-load', 'HubSpot: load of 20 contacts', 42)], '2026-12-02T00:00:00.000Z', {
        scale: 1,
        runs: 3,
        crmRows: 20,
      }),
    );
    expect(spliced).toContain('## Initial load');
    expect(spliced).toContain('| wall time (s) | 187 |');
    expect(spliced).not.toContain('HubSpot: load of 10 contacts');
    expect(spliced).toContain('## HubSpot: load of 20 contacts');
    expect(spliced).toContain('| 42.00 |');
    expect(spliced).toMatch(
      /Measured on 2026-12-02 by `npm run bench -- --scenario hubspot --rows 20 --runs 3`.*load average 7\.5 at start, 8\.3 at end/,
    );
    expect(spliced.match(/^## Setup/gm)).toHaveLength(1);
  });

  it('rebuilds the targets table: rows of the scenarios it ran from this run, the others and their failures kept', () => {
    const targeted = (id: string, value: number): BenchResults['reports'][number] => ({
      id,
      title: `Scenario ${id}`,
      baselineLabel: 'none',
      rows: [{ name: 'wall time', unit: 's', values: [value], target: { op: '<=', value: 1 } }],
    });
    const before = benchmarksMarkdown({
      ...results([targeted('after-load', 3.5), targeted('zoho-quiet', 0.5)]),
      errors: { incremental: 'Error: round 0 failed\n    at stack', hubspot: 'Error: emulator gone' },
    });
    expect(before).toContain('**Scenario `incremental` failed**');
    const spliced = spliceBenchmarksMarkdown(before, results([targeted('incremental', 0.8)]));
    const targets = spliced.slice(
      spliced.indexOf('## Targets'),
      spliced.indexOf('\n## ', spliced.indexOf('## Targets') + 1),
    );
    expect(targets).toContain('| after-load | wall time | ≤ 1 s | 3.50 | **missed** |');
    expect(targets).toContain('| zoho-quiet | wall time | ≤ 1 s | 0.50 | met |');
    expect(targets).toContain('| incremental | wall time | ≤ 1 s | 0.80 | met |');
    expect(targets).not.toContain('**Scenario `incremental` failed**');
    expect(targets).toContain('**Scenario `hubspot` failed** in this run: `Error: emulator gone`');
    // Run again: the same row is replaced, not added twice.
    const again = spliceBenchmarksMarkdown(spliced, results([targeted('incremental', 1.4)]));
    expect(again.match(/^\| incremental \|/gm)).toHaveLength(1);
    expect(again).toContain('| incremental | wall time | ≤ 1 s | 1.40 | **missed** |');
  });

  it('adds a section it had not before ahead of the setup section', () => {
    const spliced = spliceBenchmarksMarkdown(full, results([report('zoho-load', 'Zoho: load', 7)]));
    expect(spliced.indexOf('## Zoho: load')).toBeGreaterThan(spliced.indexOf('## HubSpot'));
    expect(spliced.indexOf('## Zoho: load')).toBeLessThan(spliced.indexOf('## Setup'));
  });
});
