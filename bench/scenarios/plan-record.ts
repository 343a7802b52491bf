import { planRecord, type RecordInput } from '../../src/diff/plan-record.js';
import type { Fields } from '../../src/model/record.js';
import { latestWins } from '../../src/resolve/latest-wins.js';
import { runInChild } from '../harness/child-process.js';

const FIELDS = ['city', 'country', 'employees', 'industry', 'name', 'phone', 'website'] as const;

/**
 * Record triples as the planner meets them after a capture: 70% echoes (both sides equal the base), 12% changed in
 * the ERP, 12% in the CRM, 3% changed on both sides in different fields (a merge), 3% in the same field (a conflict,
 * decided by latest-wins). Deterministic.
 */
export function planInputs(n: number): RecordInput[] {
  const out: RecordInput[] = [];
  for (let i = 0; i < n; i += 1) {
    const base: Fields = {
      city: 'Oslo',
      country: 'Norway',
      employees: i % 5000,
      industry: 'Energy',
      name: `Customer ${i}`,
      phone: `+1555${String(i).padStart(7, '0')}`,
      website: `https://c${i}.example.com`,
    };
    const kind = i % 100;
    const erp: Record<string, Fields[string]> = { ...base };
    const crm: Record<string, Fields[string]> = { ...base };
    if (kind >= 70 && kind < 82) erp['city'] = 'Bergen';
    else if (kind >= 82 && kind < 94) crm['phone'] = '+4799000000';
    else if (kind >= 94 && kind < 97) {
      erp['city'] = 'Bergen';
      crm['phone'] = '+4799000000';
    } else if (kind >= 97) {
      erp['name'] = `ERP ${i}`;
      crm['name'] = `CRM ${i}`;
    }
    out.push({
      object: 'account',
      key: `C${i}`,
      base,
      erp: { fields: erp, modifiedAt: '2026-01-01T10:00:00.000000Z', deleted: false },
      crm: { fields: crm, modifiedAt: '2026-01-01T10:00:01Z', deleted: false },
      fields: FIELDS,
    });
  }
  return out;
}

/** The baseline: the least a sync can do, comparing each side's JSON text with the base's (no fields, no resolver). */
export function hashPlan(input: RecordInput): 'unchanged' | 'erp' | 'crm' | 'both' {
  const base = JSON.stringify(input.base);
  const erpSame = JSON.stringify(input.erp?.fields ?? null) === base;
  const crmSame = JSON.stringify(input.crm?.fields ?? null) === base;
  return erpSame && crmSame ? 'unchanged' : erpSame ? 'crm' : crmSame ? 'erp' : 'both';
}

export interface PlanBenchResult {
  readonly pairs: number;
  readonly planPerSecond: number;
  readonly baselinePerSecond: number;
  readonly kinds: Readonly<Record<string, number>>;
}

/** Child: times planRecord + latest-wins and the hash baseline over the same inputs (one warm-up pass each first). */
export async function planRecordChild(input: { pairs: number }): Promise<PlanBenchResult> {
  const inputs = planInputs(input.pairs);
  const resolver = latestWins();
  const kinds: Record<string, number> = {};
  const time = (fn: () => void): number => {
    const t = performance.now();
    fn();
    return (performance.now() - t) / 1000;
  };
  const runPlan = () => {
    for (const i of inputs) {
      const kind = planRecord(i, resolver).kind;
      kinds[kind] = (kinds[kind] ?? 0) + 1;
    }
  };
  let sink = 0;
  const runBaseline = () => {
    for (const i of inputs) sink += hashPlan(i).length;
  };
  runPlan();
  runBaseline();
  for (const k of Object.keys(kinds)) kinds[k] = 0;
  const planS = time(runPlan);
  const baseS = time(runBaseline);
  if (sink === 0) throw new Error('unreachable');
  return { pairs: input.pairs, planPerSecond: input.pairs / planS, baselinePerSecond: input.pairs / baseS, kinds };
}

export async function benchPlanRecord(runs: number, pairs: number): Promise<PlanBenchResult[]> {
  const out: PlanBenchResult[] = [];
  for (let i = 0; i < runs; i += 1) {
    const run = await runInChild<PlanBenchResult>(new URL(import.meta.url), 'planRecordChild', { pairs });
    console.error(
      `  plan-record run ${i + 1}: ${Math.round(run.result.planPerSecond).toLocaleString('en-US')} pairs/s (baseline ${Math.round(run.result.baselinePerSecond).toLocaleString('en-US')})`,
    );
    out.push(run.result);
  }
  return out;
}
