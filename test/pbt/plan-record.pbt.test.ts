import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planRecord, type RecordInput, type RecordPlan } from '../../src/diff/plan-record.js';
import type { SideVersion } from '../../src/model/conflict.js';
import type { FieldValue, Fields } from '../../src/model/record.js';
import { testLatestWins } from '../support/sync-harness.js';

const NUM_RUNS = Number(process.env['PBT_NUM_RUNS'] ?? 300);
const SEED = process.env['PBT_SEED'] === undefined ? {} : { seed: Number(process.env['PBT_SEED']) };
const FIELDS = ['a', 'b', 'c', 'd'] as const;

const value: fc.Arbitrary<FieldValue> = fc.oneof(
  fc.constantFrom('x', 'y', 'z', ''),
  fc.integer({ min: -3, max: 3 }),
  fc.boolean(),
  fc.constant(null),
);
const record: fc.Arbitrary<Fields> = fc.record({ a: value, b: value, c: value, d: value });
const instant = fc
  .integer({ min: 0, max: 100_000 })
  .map((n) => new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString());

/** An edit of a base on one side: unchanged, some fields edited, or deleted. */
function sideOf(base: Fields | null): fc.Arbitrary<SideVersion | null> {
  const edited = fc.tuple(fc.subarray([...FIELDS]), record, instant).map(([fields, values, at]): SideVersion => {
    const out: Record<string, FieldValue> = { ...(base ?? {}) };
    for (const f of fields) out[f] = values[f] ?? null;
    return { fields: out, modifiedAt: at, deleted: false };
  });
  if (base === null) return fc.oneof(fc.constant(null), edited);
  return fc.oneof(
    fc.constant({ fields: base, modifiedAt: '2025-12-31T00:00:00.000Z', deleted: false }),
    edited,
    fc.constant(null),
  );
}

const input: fc.Arbitrary<RecordInput> = fc
  .option(record, { nil: null })
  .chain((base) =>
    fc
      .record({ erp: sideOf(base), crm: sideOf(base) })
      .map(({ erp, crm }) => ({ object: 'account', key: 'K', base, erp, crm, fields: FIELDS })),
  );

function v(fields: Fields | null | undefined, f: string): FieldValue {
  return fields?.[f] ?? null;
}

/** Applies a plan's writes to both sides: what each side holds afterwards (null = absent). */
function applyPlan(i: RecordInput, plan: RecordPlan): { erp: Fields | null; crm: Fields | null } {
  const apply = (side: SideVersion | null, write: RecordPlan['writes']['erp']): Fields | null => {
    const current = side && !side.deleted ? side.fields : null;
    if (!write) return current;
    if (write.op === 'delete') return null;
    return { ...(current ?? {}), ...write.fields };
  };
  return { erp: apply(i.erp, plan.writes.erp), crm: apply(i.crm, plan.writes.crm) };
}

describe('three-way planner properties (diff + resolve)', () => {
  it('[I3] after the writes, both sides agree on every mapped field (except fields waiting for a person)', () => {
    fc.assert(
      fc.property(input, (i) => {
        const plan = planRecord(i, testLatestWins);
        const after = applyPlan(i, plan);
        expect(after.erp === null).toBe(after.crm === null);
        for (const f of FIELDS) expect(v(after.erp, f)).toStrictEqual(v(after.crm, f));
      }),
      { numRuns: NUM_RUNS, ...SEED },
    );
  });

  it('[I2][I4] a second plan with no edits writes nothing (a quiet re-run is quiet; echoes are dropped)', () => {
    fc.assert(
      fc.property(input, (i) => {
        const plan = planRecord(i, testLatestWins);
        const after = applyPlan(i, plan);
        const again = planRecord(
          {
            ...i,
            base: plan.target,
            erp: after.erp ? { fields: after.erp, modifiedAt: '2027-01-01T00:00:00Z', deleted: false } : null,
            crm: after.crm ? { fields: after.crm, modifiedAt: '2027-01-01T00:00:01Z', deleted: false } : null,
          },
          testLatestWins,
        );
        expect(again.writes).toEqual({ erp: null, crm: null });
        expect(again.decisions).toEqual([]);
      }),
      { numRuns: NUM_RUNS, ...SEED },
    );
  });

  it('[I8] a field edited on one side only survives', () => {
    fc.assert(
      fc.property(input, (i) => {
        fc.pre(i.base !== null && i.erp !== null && i.crm !== null);
        const plan = planRecord(i, testLatestWins);
        const after = applyPlan(i, plan);
        for (const f of FIELDS) {
          const erpEdited = v(i.erp.fields, f) !== v(i.base, f);
          const crmEdited = v(i.crm.fields, f) !== v(i.base, f);
          if (erpEdited && !crmEdited) expect(v(after.crm, f)).toStrictEqual(v(i.erp.fields, f));
          if (crmEdited && !erpEdited) expect(v(after.erp, f)).toStrictEqual(v(i.crm.fields, f));
        }
      }),
      { numRuns: NUM_RUNS, ...SEED },
    );
  });

  it('[I7] the outcome does not depend on the order records arrive in, nor on field order', () => {
    fc.assert(
      fc.property(fc.array(input, { minLength: 1, maxLength: 8 }), fc.nat(), (inputs, seed) => {
        const keyed = inputs.map((i, n) => ({ ...i, key: `K${n}` }));
        const shuffled = [...keyed].sort(
          (x, y) => ((x.key.charCodeAt(1) * 31 + seed) % 7) - ((y.key.charCodeAt(1) * 31 + seed) % 7),
        );
        const reversedFields = keyed.map((i) => ({
          ...i,
          erp: i.erp && { ...i.erp, fields: Object.fromEntries(Object.entries(i.erp.fields).reverse()) },
        }));
        const byKey = (plans: RecordPlan[]) => new Map(plans.map((p) => [p.key, p]));
        const a = byKey(keyed.map((i) => planRecord(i, testLatestWins)));
        const b = byKey(shuffled.map((i) => planRecord(i, testLatestWins)));
        const c = byKey(reversedFields.map((i) => planRecord(i, testLatestWins)));
        expect(b).toEqual(a);
        for (const [key, plan] of a) expect(c.get(key)!.writes).toEqual(plan.writes);
      }),
      { numRuns: NUM_RUNS, ...SEED },
    );
  });

  it('[I7] is deterministic: the same input gives the same plan', () => {
    fc.assert(
      fc.property(input, (i) => {
        expect(planRecord(structuredClone(i), testLatestWins)).toEqual(planRecord(i, testLatestWins));
      }),
      { numRuns: NUM_RUNS, ...SEED },
    );
  });
});
