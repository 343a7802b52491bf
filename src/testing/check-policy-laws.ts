import fc from 'fast-check';
import type { SystemId } from '../model/system.js';
import type { LatestWinsOptions } from '../resolve/latest-wins.js';
import {
  LawViolation,
  deterministicLaw,
  idempotentLaw,
  latestWinsLaw,
  oneSidedEditLaw,
  orderIndependentLaw,
  sourceOfTruthLaw,
  wellFormedLaw,
  type LawOptions,
  type ResolverSubject,
} from './laws.js';

export const LAW_NAMES = Object.freeze([
  'well-formed',
  'deterministic',
  'order-independent',
  'idempotent',
  'one-sided-edit',
  'source-of-truth',
  'latest-wins',
] as const);
export type LawName = (typeof LAW_NAMES)[number];

export interface CheckPolicyLawsOptions extends LawOptions {
  /** Runs per law; default PBT_NUM_RUNS or 100. */
  readonly runs?: number;
  /** Default PBT_SEED, else random (reported, so a failure can be replayed). */
  readonly seed?: number;
  /** Also check that this side (and per-field overrides) always wins. */
  readonly sourceOfTruth?: { readonly default: SystemId; readonly fields?: Readonly<Record<string, SystemId>> };
  /** Also check latest-wins with these clock settings. */
  readonly latestWins?: LatestWinsOptions;
}

/** One law's outcome. `counterexample` is the shrunk failing record as a table. */
export interface LawReport {
  readonly law: LawName;
  readonly ok: boolean;
  readonly runs: number;
  readonly seed: number;
  /** What broke, in one line. */
  readonly message?: string;
  readonly counterexample?: string;
}

function envNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  return Number.isInteger(n) ? n : undefined;
}

/**
 * Runs every law a policy must satisfy and reports each, with the shrunk counterexample as a readable table.
 *
 * @example
 * ```ts
 * const reports = checkPolicyLaws(() => latestWins(), { fields: mappingFields, runs: 200, latestWins: {} })
 * expect(reports.filter((r) => !r.ok)).toEqual([])
 * ```
 */
export function checkPolicyLaws(subject: ResolverSubject, options: CheckPolicyLawsOptions = {}): LawReport[] {
  const runs = options.runs ?? envNumber('PBT_NUM_RUNS') ?? 100;
  const seed = options.seed ?? envNumber('PBT_SEED') ?? Math.floor(Math.random() * 2 ** 31);
  const laws: [LawName, () => fc.IRawProperty<never>][] = [
    ['well-formed', () => wellFormedLaw(subject, options) as unknown as fc.IRawProperty<never>],
    ['deterministic', () => deterministicLaw(subject, options) as unknown as fc.IRawProperty<never>],
    ['order-independent', () => orderIndependentLaw(subject, options) as unknown as fc.IRawProperty<never>],
    ['idempotent', () => idempotentLaw(subject, options) as unknown as fc.IRawProperty<never>],
    ['one-sided-edit', () => oneSidedEditLaw(subject, options) as unknown as fc.IRawProperty<never>],
  ];
  const truth = options.sourceOfTruth;
  if (truth)
    laws.push([
      'source-of-truth',
      () => sourceOfTruthLaw(subject, truth, options) as unknown as fc.IRawProperty<never>,
    ]);
  if (options.latestWins) {
    const clock = options.latestWins;
    laws.push(['latest-wins', () => latestWinsLaw(subject, clock, options) as unknown as fc.IRawProperty<never>]);
  }
  return laws.map(([law, make]): LawReport => {
    let property: fc.IRawProperty<never>;
    try {
      property = make();
    } catch (thrown) {
      return {
        law,
        ok: false,
        runs: 0,
        seed,
        message: `could not build the law: ${thrown instanceof Error ? thrown.message : String(thrown)}`,
      };
    }
    const details = fc.check(property, { numRuns: runs, seed }) as unknown as fc.RunDetails<unknown>;
    if (!details.failed) return { law, ok: true, runs: details.numRuns, seed };
    const error = details.errorInstance;
    if (error instanceof LawViolation) {
      const [first] = error.message.split('\n');
      return {
        law,
        ok: false,
        runs: details.numRuns,
        seed,
        message: first ?? error.message,
        counterexample: error.table,
      };
    }
    const message = error instanceof Error ? error.message : String(error);
    return {
      law,
      ok: false,
      runs: details.numRuns,
      seed,
      message,
      counterexample: JSON.stringify(details.counterexample, null, 2),
    };
  });
}

/** A plain-text summary: one line per law, failures followed by their counterexample. */
export function renderLawReports(title: string, reports: readonly LawReport[]): string {
  const lines = [title];
  for (const r of reports) {
    lines.push(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.law} (${r.runs} runs, seed ${r.seed})`);
    if (!r.ok) {
      if (r.message) lines.push(`       ${r.message}`);
      if (r.counterexample) lines.push(...r.counterexample.split('\n').map((l) => `       ${l}`));
    }
  }
  return lines.join('\n');
}
