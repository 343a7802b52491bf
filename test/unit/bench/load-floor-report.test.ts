import { describe, expect, it } from 'vitest';
import { floorTotalMs, ownWorkRatio } from '../../../bench/harness/floor-ratio.js';
import { parseProcStat } from '../../../bench/harness/proc-stat.js';
import { withApplicationName } from '../../../bench/harness/pg-backend-cpu.js';
import {
  benchmarksMarkdown,
  EXPECTED_TARGETS,
  floorTable,
  targetsTable,
  type BenchResults,
} from '../../../bench/report/benchmarks-markdown.js';

describe('/proc/<pid>/stat parsing', () => {
  it('counts the fields after the last parenthesis, so a command name with spaces and parentheses does not shift them', () => {
    // fields 14-17 (utime, stime, cutime, cstime) are 250 30 4 1
    const line = '42 (postgres: bench (x) idle) S 1 42 42 0 -1 4194368 10 0 0 0 250 30 4 1 20 0 1 0 99 123 456';
    expect(parseProcStat(line)).toEqual({ own: 280, children: 5 });
    const plain = '7 (node) R 1 7 7 0 -1 0 0 0 0 0 12 3 0 0 20 0 1 0 5 6 7';
    expect(parseProcStat(plain)).toEqual({ own: 15, children: 0 });
  });

  it('refuses a line that is not a stat line', () => {
    expect(() => parseProcStat('no parenthesis here')).toThrow(/not a \/proc/);
    expect(() => parseProcStat('1 (x) S 1')).toThrow(/field 14/);
  });
});

describe('the initial load against its floor', () => {
  const floor = { upload: 1_700, remote: 11_600, results: 6_100, state: 6_800 };

  it("takes the remote's processing out of both sides", () => {
    expect(floorTotalMs(floor)).toBe(26_200);
    // tandem: 40.2 s wall, of which the emulator processed 12.2 s: 28 s of own work against the floor's 14.6 s.
    expect(ownWorkRatio(40_200, 12_200, floor)).toBeCloseTo(28_000 / 14_600, 10);
    // Work equal to the floor's is 1x whatever the remote took.
    expect(ownWorkRatio(14_600 + 30_000, 30_000, floor)).toBeCloseTo(1, 10);
  });

  it('is NaN when the floor has no work of its own', () => {
    expect(ownWorkRatio(1000, 0, { upload: 0, remote: 500, results: 0, state: 0 })).toBeNaN();
  });

  it('renders the floor steps with their total', () => {
    const table = floorTable({ upload: [100, 300], state: [200] });
    expect(table[0]).toEqual(['floor step', 'median ms', 'share']);
    expect(table.at(-1)).toEqual(['total', '400', '100%']);
    expect(table.find((r) => r[0] === 'upload')?.[1]).toBe('200');
  });
});

describe('the targets table', () => {
  const withTarget: BenchResults['reports'][number] = {
    id: 'after-load',
    title: 'after',
    baselineLabel: 'none',
    rows: [
      {
        name: 'quiet re-run: runSync wall time',
        unit: 's',
        values: [0.4, 0.2, 0.25],
        target: { op: '<=', value: 0.3 },
      },
    ],
  };

  it('lists a target no scenario of the run measured as not measured, until a report with its id does', () => {
    const rows = targetsTable({ reports: [withTarget] });
    expect(rows[1]).toEqual(['after-load', 'quiet re-run: runSync wall time', '≤ 0.3 s', '0.25', 'met']);
    const expected = EXPECTED_TARGETS[0]!;
    expect(rows.find((r) => r[0] === expected.id)).toEqual([
      expected.id,
      expected.figure,
      expected.target,
      '',
      'not measured in this run',
    ]);
    const measured: BenchResults['reports'][number] = {
      id: expected.id,
      title: 'ingest',
      baselineLabel: 'none',
      rows: [{ name: 'peak RSS', unit: 'MB', values: [380], target: { op: '<=', value: 400 } }],
    };
    expect(targetsTable({ reports: [measured] }).filter((r) => r[0] === expected.id)).toEqual([
      [expected.id, 'peak RSS', '≤ 400 MB', '380', 'met'],
    ]);
  });

  it('puts the floor table into the document under its scenario', () => {
    const doc = benchmarksMarkdown({
      date: '2026-12-01T08:00:00.000Z',
      settings: { scale: 0.02, runs: 1 },
      machine: { cpus: 2, cpuModel: 't', memoryGb: 8, node: 'v20', postgres: '15', loadAverage: { start: 1, end: 1 } },
      totalMs: 1,
      setupMs: {},
      reports: [{ ...withTarget, id: 'initial-load', floor: { 'COPY up': [1200], emulator: [3400] } }],
      errors: {},
      statements: [],
    });
    expect(doc).toMatch(
      /The floor of the same work, measured in this bench run[^\n]*\n\n\| floor step \| median ms \| share \|/,
    );
    expect(doc).toContain('| total | 4,600 | 100% |');
    expect(doc).toContain('This run used BENCH_SCALE=0.02');
  });
});

describe('withApplicationName', () => {
  it('adds or replaces the parameter and keeps the rest of the URL', () => {
    expect(withApplicationName('postgres://u@h:5432/db', 'b1')).toBe('postgres://u@h:5432/db?application_name=b1');
    expect(withApplicationName('postgres://u@h/db?sslmode=disable&application_name=x', 'b2')).toBe(
      'postgres://u@h/db?sslmode=disable&application_name=b2',
    );
  });
});
