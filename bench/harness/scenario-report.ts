import { summarize, type Summary } from './summary.js';

/** A target on a figure's median, e.g. `{ op: '<', value: 30 }` for "under 30 s". */
export interface Target {
  readonly op: '<' | '<=' | '=';
  readonly value: number;
}

/** One measured figure of a scenario: tandem's per-run values and, where there is one, the baseline's. */
export interface FigureRow {
  readonly name: string;
  readonly unit: string;
  readonly values: readonly number[];
  readonly baseline?: readonly number[];
  readonly target?: Target;
}

/** Everything a scenario measured, as written to bench/results/<date>.json and rendered into docs/benchmarks.md. */
export interface ScenarioReport {
  readonly id: string;
  readonly title: string;
  /** What "baseline" means for this scenario. */
  readonly baselineLabel: string;
  readonly rows: readonly FigureRow[];
  /** Time per pipeline stage per run (ms), where the scenario measured it. */
  readonly stages?: Readonly<Record<string, readonly number[]>>;
  /**
   * The floor of the scenario's work measured in the same bench run: ms per step per run (the initial load's four
   * steps, bench/scenarios/load-floor.ts).
   */
  readonly floor?: Readonly<Record<string, readonly number[]>>;
  /** Measured facts worth a sentence (setup time, sizes...), as label -> value. */
  readonly facts?: Readonly<Record<string, string>>;
}

export function targetMet(row: FigureRow): boolean | undefined {
  if (!row.target) return undefined;
  const m = summarize(row.values).median;
  const { op, value } = row.target;
  return op === '<' ? m < value : op === '<=' ? m <= value : m === value;
}

export function targetText(t: Target | undefined, unit: string): string {
  if (!t) return '';
  return `${t.op === '=' ? '=' : t.op === '<' ? '<' : '≤'} ${t.value.toLocaleString('en-US')}${unit ? ' ' + unit : ''}`;
}

export function summaries(row: FigureRow): { tandem: Summary; baseline: Summary | undefined } {
  return {
    tandem: summarize(row.values),
    baseline: row.baseline && row.baseline.length > 0 ? summarize(row.baseline) : undefined,
  };
}
