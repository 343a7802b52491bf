import fc from 'fast-check';
import type { Conflict, SideVersion } from '../model/conflict.js';
import type { FieldValue, Fields } from '../model/record.js';
import type { RecordInput } from '../diff/plan-record.js';
import { sameValue } from '../diff/values.js';

/** A field as the arbitraries see it: name, mapping type, and direction (one-way fields never conflict). */
export interface FieldSpec {
  readonly name: string;
  /** `string`, `text`, `number`, `integer`, `decimal`, `boolean`, `date`, `datetime`, `picklist`, `multipicklist`; others generate strings. */
  readonly type: string;
  readonly direction?: 'both' | 'erp-to-crm' | 'crm-to-erp';
}

/** Fields used when a law is run without a mapping: one of each kind of value. */
export const DEFAULT_FIELDS: readonly FieldSpec[] = Object.freeze([
  { name: 'name', type: 'string' },
  { name: 'amount', type: 'number' },
  { name: 'since', type: 'date' },
  { name: 'checked_at', type: 'datetime' },
  { name: 'tags', type: 'multipicklist' },
  { name: 'active', type: 'boolean' },
]);

const MIN_MS = Date.UTC(2020, 0, 1);
const MAX_MS = Date.UTC(2030, 0, 1);

/** An ISO-8601 UTC instant with microseconds, from epoch milliseconds plus extra microseconds. */
export function isoMicros(ms: number, micros = 0): string {
  return `${new Date(ms).toISOString().slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
}

/** A datetime as ISO-8601 UTC with microseconds. */
export const datetimeArb: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: MIN_MS, max: MAX_MS }), fc.integer({ min: 0, max: 999 }))
  .map(([ms, us]) => isoMicros(ms, us));
/** A date as `YYYY-MM-DD`. */
export const dateArb: fc.Arbitrary<string> = fc
  .integer({ min: MIN_MS, max: MAX_MS })
  .map((ms) => new Date(ms).toISOString().slice(0, 10));

const PICKLIST = ['Alpha', 'Beta', 'Gamma', 'Delta', 'Échelle', '東京'];

/**
 * Values for one field type, including null and unicode text. A few values recur often, so that both sides
 * sometimes agree and sometimes edit to the same value.
 */
export function fieldValueArb(type: string): fc.Arbitrary<FieldValue> {
  let wide: fc.Arbitrary<FieldValue>;
  let common: readonly FieldValue[];
  switch (type) {
    case 'number':
    case 'decimal':
    case 'float':
    case 'double':
    case 'currency':
      wide = fc
        .double({ min: -1e9, max: 1e9, noNaN: true, noDefaultInfinity: true })
        .map((n) => (Object.is(n, -0) ? 0 : n));
      common = [0, 1, 2.5, 1000];
      break;
    case 'integer':
    case 'int':
    case 'bigint':
      wide = fc.integer({ min: -1_000_000, max: 1_000_000 });
      common = [0, 1, 42];
      break;
    case 'boolean':
      return fc.constantFrom<FieldValue>(true, false, null);
    case 'date':
      wide = dateArb;
      common = ['2024-01-01', '2024-06-30'];
      break;
    case 'datetime':
    case 'timestamp':
    case 'timestamptz':
      wide = datetimeArb;
      common = ['2024-01-01T00:00:00.000000Z', '2024-06-30T12:00:00.000000Z'];
      break;
    case 'picklist':
      return fc.option(fc.constantFrom(...PICKLIST), { nil: null, freq: 5 });
    case 'multipicklist':
      wide = fc
        .uniqueArray(fc.constantFrom(...PICKLIST), { maxLength: 4 })
        .map((items) => (items.length === 0 ? null : items.join(';')));
      common = ['Alpha', 'Alpha;Beta'];
      break;
    default:
      wide = fc.string({ unit: 'grapheme', maxLength: 8 });
      common = ['', 'a', 'Acme', 'ACME ', 'Zoë'];
  }
  return fc.oneof(
    { arbitrary: fc.constantFrom(...common), weight: 2 },
    { arbitrary: fc.constant(null), weight: 1 },
    { arbitrary: wide, weight: 3 },
  );
}

/** A record holding every listed field. */
export function recordArb(fields: readonly FieldSpec[]): fc.Arbitrary<Fields> {
  return fc.record(Object.fromEntries(fields.map((f) => [f.name, fieldValueArb(f.type)])));
}

/** What happened to a record on one side since the base. `created` only when there is no base. */
export type SideEdit = 'unchanged' | 'edited' | 'deleted' | 'created' | 'absent';

/**
 * How far a system's clock is off true time, in milliseconds: often exact, else up to `maxMinutes` ahead or behind
 * (the CRM's clock is not the ERP's).
 */
export function clockOffsetArb(maxMinutes = 10): fc.Arbitrary<number> {
  return fc.oneof(
    { arbitrary: fc.constant(0), weight: 2 },
    { arbitrary: fc.integer({ min: -maxMinutes * 60_000, max: maxMinutes * 60_000 }), weight: 3 },
  );
}

/** Both sides' modification times, each by its own (possibly offset) clock; sometimes equal, to exercise ties. */
export function modificationTimesArb(): fc.Arbitrary<{
  readonly erp: string;
  readonly crm: string;
  readonly erpOffsetMs: number;
  readonly crmOffsetMs: number;
}> {
  return fc
    .record({
      erpTrue: fc.integer({ min: MIN_MS, max: MAX_MS }),
      gap: fc.oneof(
        fc.constant(0),
        fc.integer({ min: -5_000, max: 5_000 }),
        fc.integer({ min: -86_400_000, max: 86_400_000 }),
      ),
      erpOffsetMs: clockOffsetArb(),
      crmOffsetMs: clockOffsetArb(),
      erpMicros: fc.integer({ min: 0, max: 999 }),
      sameMicros: fc.boolean(),
      crmMicros: fc.integer({ min: 0, max: 999 }),
    })
    .map((r) => ({
      erp: isoMicros(r.erpTrue + r.erpOffsetMs, r.erpMicros),
      crm: isoMicros(r.erpTrue + r.gap + r.crmOffsetMs, r.sameMicros ? r.erpMicros : r.crmMicros),
      erpOffsetMs: r.erpOffsetMs,
      crmOffsetMs: r.crmOffsetMs,
    }));
}

/** One side's version after an edit of the given kind from `base`. */
function sideArb(
  base: Fields | null,
  fields: readonly FieldSpec[],
  modifiedAt: string,
): fc.Arbitrary<{ edit: SideEdit; version: SideVersion | null }> {
  if (base === null) {
    return fc.oneof(
      {
        arbitrary: recordArb(fields).map((f) => ({
          edit: 'created' as const,
          version: { fields: f, modifiedAt, deleted: false },
        })),
        weight: 4,
      },
      { arbitrary: fc.constant({ edit: 'absent' as const, version: null }), weight: 1 },
    );
  }
  const edited = fc
    .tuple(
      ...fields.map((f) =>
        fc.oneof({ arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary: fieldValueArb(f.type), weight: 1 }),
      ),
    )
    .map((values) => {
      const out: Record<string, FieldValue> = { ...base };
      fields.forEach((f, i) => {
        const v = values[i];
        if (v !== undefined) out[f.name] = v;
      });
      return { edit: 'edited' as const, version: { fields: out, modifiedAt, deleted: false } };
    });
  return fc.oneof(
    {
      arbitrary: fc.constant({
        edit: 'unchanged' as const,
        version: { fields: base, modifiedAt, deleted: false },
      }),
      weight: 1,
    },
    { arbitrary: edited, weight: 5 },
    {
      arbitrary: fc.constantFrom<{ edit: SideEdit; version: SideVersion | null }>(
        { edit: 'deleted', version: null },
        { edit: 'deleted', version: { fields: {}, modifiedAt, deleted: true } },
      ),
      weight: 1,
    },
  );
}

export interface RecordInputArbOptions {
  readonly fields?: readonly FieldSpec[];
  readonly object?: string;
  readonly key?: fc.Arbitrary<string>;
}

/**
 * A record as the planner sees it: a base (or none) and each side unchanged, edited, deleted or created, with
 * modification times by each side's own clock. Directions come from the field specs.
 */
export function recordInputArb(options: RecordInputArbOptions = {}): fc.Arbitrary<RecordInput> {
  const fields = options.fields ?? DEFAULT_FIELDS;
  const directions = Object.fromEntries(
    fields.filter((f) => f.direction && f.direction !== 'both').map((f) => [f.name, f.direction!]),
  );
  return fc
    .record({
      base: fc.option(recordArb(fields), { nil: null, freq: 6 }),
      times: modificationTimesArb(),
      key: options.key ?? fc.constantFrom('K1', 'K2', 'K3'),
    })
    .chain(({ base, times, key }) =>
      fc
        .record({ erp: sideArb(base, fields, times.erp), crm: sideArb(base, fields, times.crm) })
        .map(({ erp, crm }): RecordInput => ({
          object: options.object ?? 'account',
          key,
          base,
          erp: erp.version,
          crm: crm.version,
          fields: fields.map((f) => f.name).sort(),
          ...(Object.keys(directions).length > 0 ? { directions } : {}),
        })),
    );
}

/** A pair of values that differ from each other and from the base value: a real conflict on one field. */
function conflictingPairArb(type: string, base: FieldValue): fc.Arbitrary<[FieldValue, FieldValue]> {
  const v = fieldValueArb(type);
  return fc.tuple(v, v).filter(([e, c]) => !sameValue(e, c) && !sameValue(e, base) && !sameValue(c, base));
}

export interface ConflictArbOptions {
  readonly fields?: readonly FieldSpec[];
  readonly object?: string;
  readonly key?: fc.Arbitrary<string>;
  /** Which kinds to generate; default all three. */
  readonly kinds?: readonly Conflict['kind'][];
}

/**
 * Conflicts as the planner builds them: kind `fields` with at least one field changed differently on both sides
 * (other fields unchanged or changed on one side), or a delete on one side against a change on the other.
 * Only two-way fields conflict.
 */
export function conflictArb(options: ConflictArbOptions = {}): fc.Arbitrary<Conflict> {
  const all = options.fields ?? DEFAULT_FIELDS;
  const twoWay = all.filter((f) => (f.direction ?? 'both') === 'both' && f.type !== 'boolean');
  const candidates = twoWay.length > 0 ? twoWay : all.filter((f) => (f.direction ?? 'both') === 'both');
  const object = options.object ?? 'account';
  const key = options.key ?? fc.constantFrom('K1', 'K2', 'K3');
  const kinds = options.kinds ?? ['fields', 'fields', 'fields', 'erp-deleted', 'crm-deleted'];
  return fc
    .record({
      kind: fc.constantFrom(...kinds),
      base: recordArb(all),
      times: modificationTimesArb(),
      key,
      noBase: fc.boolean(),
    })
    .chain(({ kind, base: fullBase, times, key: k, noBase }) => {
      if (kind !== 'fields' || candidates.length === 0) {
        const survivorKind = kind === 'fields' ? 'erp-deleted' : kind;
        return sideArb(fullBase, all, survivorKind === 'erp-deleted' ? times.crm : times.erp)
          .filter(
            (s) =>
              s.edit === 'edited' &&
              all.some((f) => !sameValue(s.version?.fields[f.name] ?? null, fullBase[f.name] ?? null)),
          )
          .map(({ version }): Conflict => {
            const tomb = (at: string): SideVersion => ({ fields: {}, modifiedAt: at, deleted: true });
            return {
              kind: survivorKind,
              object,
              key: k,
              base: fullBase,
              erp: survivorKind === 'erp-deleted' ? tomb(times.erp) : version!,
              crm: survivorKind === 'crm-deleted' ? tomb(times.crm) : version!,
              fields: [],
            };
          });
      }
      const base = noBase ? null : fullBase;
      return fc
        .tuple(
          fc.subarray(candidates, { minLength: 1 }),
          ...all.map((f) => fc.tuple(fc.constantFrom('same', 'erp', 'crm'), fieldValueArb(f.type))),
        )
        .chain(([conflicting, ...others]) => {
          const names = new Set(conflicting.map((f) => f.name));
          return fc
            .tuple(...conflicting.map((f) => conflictingPairArb(f.type, base?.[f.name] ?? null)))
            .map((pairs): Conflict => {
              const erp: Record<string, FieldValue> = {};
              const crm: Record<string, FieldValue> = {};
              all.forEach((f, i) => {
                const b = base?.[f.name] ?? null;
                const [who, value] = others[i]!;
                // Without a base, a field present on one side only is a one-sided creation, never a conflict.
                erp[f.name] =
                  base === null ? (who === 'erp' ? value : who === 'same' ? b : null) : who === 'erp' ? value : b;
                crm[f.name] =
                  base === null ? (who === 'crm' ? value : who === 'same' ? b : null) : who === 'crm' ? value : b;
                if (base === null && who === 'erp') crm[f.name] = null;
                if (base === null && who === 'crm') erp[f.name] = null;
                if (base !== null && !names.has(f.name) && !sameValue(erp[f.name]!, b) && !sameValue(crm[f.name]!, b))
                  crm[f.name] = b;
              });
              conflicting.forEach((f, i) => {
                const [e, c] = pairs[i]!;
                erp[f.name] = e;
                crm[f.name] = c;
              });
              // Recompute from the values, as the planner would: both changed and different.
              const fields = all
                .filter((f) => (f.direction ?? 'both') === 'both')
                .map((f) => f.name)
                .filter((n) => {
                  const b = base?.[n] ?? null;
                  return !sameValue(erp[n]!, b) && !sameValue(crm[n]!, b) && !sameValue(erp[n]!, crm[n]!);
                })
                .sort();
              return {
                kind: 'fields',
                object,
                key: k,
                base,
                erp: { fields: erp, modifiedAt: times.erp, deleted: false },
                crm: { fields: crm, modifiedAt: times.crm, deleted: false },
                fields,
              };
            });
        });
    });
}
