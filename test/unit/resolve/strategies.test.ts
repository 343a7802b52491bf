import { describe, expect, it } from 'vitest';
import type { Conflict } from '../../../src/model/conflict.js';
import type { FieldValue, Fields } from '../../../src/model/record.js';
import { latestWins } from '../../../src/resolve/latest-wins.js';
import { sourceOfTruth, sideWins } from '../../../src/resolve/source-of-truth.js';
import { preferNonEmpty } from '../../../src/resolve/prefer-non-empty.js';
import { maxValue } from '../../../src/resolve/max-value.js';
import { minValue } from '../../../src/resolve/min-value.js';
import { picklistUnion } from '../../../src/resolve/picklist-union.js';
import { manual } from '../../../src/resolve/manual.js';
import { existenceStrategy } from '../../../src/resolve/existence-strategy.js';
import { fieldContext } from '../../../src/resolve/field-strategy.js';
import { ResolverRegistry } from '../../../src/resolve/policy/resolver-registry.js';

function fieldConflict(
  field: string,
  base: FieldValue,
  erp: FieldValue,
  crm: FieldValue,
  erpAt = '2024-05-01T10:00:00Z',
  crmAt = '2024-05-01T10:05:00Z',
  hasBase = true,
): Conflict {
  return {
    kind: 'fields',
    object: 'account',
    key: 'A1',
    base: hasBase ? { [field]: base } : null,
    erp: { fields: { [field]: erp }, modifiedAt: erpAt, deleted: false },
    crm: { fields: { [field]: crm }, modifiedAt: crmAt, deleted: false },
    fields: [field],
  };
}

function deleteConflict(deleter: 'erp' | 'crm', deleteAt: string, changeAt: string): Conflict {
  const base: Fields = { name: 'Acme' };
  const changed = { fields: { name: 'Acme Corp' }, modifiedAt: changeAt, deleted: false };
  const gone = { fields: {}, modifiedAt: deleteAt, deleted: true };
  return {
    kind: deleter === 'erp' ? 'erp-deleted' : 'crm-deleted',
    object: 'account',
    key: 'A1',
    base,
    erp: deleter === 'erp' ? gone : changed,
    crm: deleter === 'crm' ? gone : changed,
    fields: [],
  };
}

const decide = (strategy: ReturnType<typeof preferNonEmpty>, c: Conflict) =>
  strategy.decideField(fieldContext(c, c.fields[0]!));

describe('latestWins', () => {
  it('[I12] takes the side modified later, comparing sub-millisecond instants across offsets', () => {
    const r = latestWins().resolve(
      fieldConflict('name', 'a', 'b', 'c', '2024-05-01T10:00:00.000002Z', '2024-05-01T12:00:00.000001+02:00'),
    );
    expect(r.decisions).toEqual([
      expect.objectContaining({ kind: 'field', field: 'name', take: 'erp', rule: 'latest-wins' }),
    ]);
    expect((r.decisions[0] as { reason: string }).reason).toContain('erp edit at 2024-05-01T10:00:00.000002Z is later');
    expect(r.policyVersion).toBe('builtin:latest-wins');
  });
  it('breaks ties with the configured side, erp by default', () => {
    const c = fieldConflict('name', 'a', 'b', 'c', '2024-05-01T10:00:00Z', '2024-05-01T10:00:00.000Z');
    expect(latestWins().resolve(c).decisions[0]).toMatchObject({ take: 'erp' });
    expect(latestWins({ tie: 'crm' }).resolve(c).decisions[0]).toMatchObject({
      take: 'crm',
      reason: expect.stringContaining('ties go to crm'),
    });
  });
  it('removes known clock skew before comparing', () => {
    // The CRM clock runs 10 minutes ahead: its 10:05 edit really happened at 09:55, before the ERP's 10:00.
    const c = fieldConflict('name', 'a', 'b', 'c');
    expect(latestWins().resolve(c).decisions[0]).toMatchObject({ take: 'crm' });
    expect(latestWins({ skewMs: { crm: 600_000 } }).resolve(c).decisions[0]).toMatchObject({ take: 'erp' });
  });
  it('queues the field when a modification time cannot be read', () => {
    expect(latestWins().resolve(fieldConflict('name', 'a', 'b', 'c', 'yesterday')).decisions[0]).toMatchObject({
      take: 'manual',
    });
  });
  it('decides delete versus change by which came later', () => {
    expect(
      latestWins().resolve(deleteConflict('crm', '2024-05-02T00:00:00Z', '2024-05-01T00:00:00Z')).decisions,
    ).toEqual([expect.objectContaining({ kind: 'existence', take: 'delete' })]);
    expect(
      latestWins().resolve(deleteConflict('crm', '2024-05-01T00:00:00Z', '2024-05-02T00:00:00Z')).decisions[0],
    ).toMatchObject({ take: 'keep' });
  });
});

describe('sourceOfTruth', () => {
  it('lets the default side win, with per-field overrides', () => {
    const resolver = sourceOfTruth({ default: 'erp', fields: { phone: 'crm' } });
    expect(resolver.resolve(fieldConflict('name', 'a', 'b', 'c')).decisions[0]).toMatchObject({ take: 'erp' });
    expect(resolver.resolve(fieldConflict('phone', '1', '2', '3')).decisions[0]).toMatchObject({
      take: 'crm',
      reason: 'crm is the source of truth (erp "2" vs crm "3")',
    });
  });
  it("follows the default side's existence unless deletes says otherwise", () => {
    expect(
      sourceOfTruth({ default: 'erp' }).resolve(deleteConflict('erp', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'))
        .decisions[0],
    ).toMatchObject({ take: 'delete' });
    expect(
      sourceOfTruth({ default: 'erp' }).resolve(deleteConflict('crm', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'))
        .decisions[0],
    ).toMatchObject({ take: 'keep' });
    expect(
      sourceOfTruth({ default: 'erp', deletes: 'manual' }).resolve(
        deleteConflict('crm', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'),
      ).decisions[0],
    ).toMatchObject({ take: 'manual' });
  });
});

describe('preferNonEmpty', () => {
  it('takes the only non-empty value, treating blank text as empty', () => {
    expect(decide(preferNonEmpty(), fieldConflict('phone', '1', null, '2'))).toMatchObject({ take: 'crm' });
    expect(decide(preferNonEmpty(), fieldConflict('phone', '1', '3', '  '))).toMatchObject({ take: 'erp' });
  });
  it('falls back to its otherwise strategy when both hold a value', () => {
    const v = decide(preferNonEmpty(sideWins('erp')), fieldConflict('phone', '1', '2', '3'));
    expect(v).toMatchObject({ take: 'erp' });
    expect(v.reason).toContain('both sides are non-empty, so erp-wins decides');
    expect(decide(preferNonEmpty(), fieldConflict('phone', '1', '2', '3'))).toMatchObject({ take: 'crm' }); // latest-wins
  });
});

describe('maxValue and minValue', () => {
  it('compare numbers, numeric strings, dates and datetimes', () => {
    expect(decide(maxValue(), fieldConflict('employees', 10, 120, 95))).toMatchObject({ take: 'erp' });
    expect(decide(minValue(), fieldConflict('employees', 10, 120, 95))).toMatchObject({ take: 'crm' });
    expect(decide(maxValue(), fieldConflict('revenue', '1', '9.5', '10.25'))).toMatchObject({ take: 'crm' });
    expect(decide(minValue(), fieldConflict('since', null, '2021-03-01', '2019-12-31'))).toMatchObject({ take: 'crm' });
    expect(
      decide(maxValue(), fieldConflict('seen', null, '2024-05-01T10:00:00+02:00', '2024-05-01T09:00:00Z')),
    ).toMatchObject({ take: 'crm' });
  });
  it('lets a non-empty value beat an empty one', () => {
    expect(decide(minValue(), fieldConflict('employees', 10, null, 95))).toMatchObject({ take: 'crm' });
  });
  it('gives equal instants to erp and incomparable values to the fallback', () => {
    expect(
      decide(maxValue(), fieldConflict('seen', null, '2024-05-01T10:00:00+02:00', '2024-05-01T08:00:00Z')),
    ).toMatchObject({ take: 'erp' });
    const v = decide(maxValue(sideWins('crm')), fieldConflict('name', 'a', 'Acme', 'Beta'));
    expect(v).toMatchObject({ take: 'crm' });
    expect(v.reason).toContain('cannot be compared');
  });
});

describe('picklistUnion', () => {
  it('merges three-way with a base: additions from both sides kept, removals kept removed, sorted', () => {
    expect(decide(picklistUnion(), fieldConflict('tags', 'A;B', 'A;B;C', 'B;D'))).toMatchObject({
      take: 'value',
      value: 'B;C;D',
    });
  });
  it('is a plain sorted, deduplicated union without a base', () => {
    expect(
      decide(picklistUnion(), fieldConflict('tags', null, ' Zeta;A ', 'A;;M', undefined, undefined, false)),
    ).toMatchObject({ take: 'value', value: 'A;M;Zeta' });
  });
  it('writes null when nothing remains', () => {
    expect(decide(picklistUnion(), fieldConflict('tags', 'A;B', 'A', 'B'))).toMatchObject({
      take: 'value',
      value: null,
    });
  });
});

describe('manual and existence strategies', () => {
  it('queues every field and every delete', () => {
    expect(manual().resolve(fieldConflict('name', 'a', 'b', 'c')).decisions[0]).toMatchObject({ take: 'manual' });
    expect(
      manual().resolve(deleteConflict('erp', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z')).decisions[0],
    ).toMatchObject({ kind: 'existence', take: 'manual' });
  });
  it.each([
    ['delete', 'erp', 'delete'],
    ['delete', 'crm', 'delete'],
    ['keep', 'erp', 'keep'],
    ['erp-wins', 'erp', 'delete'],
    ['erp-wins', 'crm', 'keep'],
    ['crm-wins', 'crm', 'delete'],
    ['crm-wins', 'erp', 'keep'],
  ] as const)('%s when %s deleted: %s', (name, deleter, take) => {
    const c = deleteConflict(deleter, '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z');
    expect(existenceStrategy(name).decideExistence({ conflict: c, deleter })).toMatchObject({ take });
  });
});

describe('ResolverRegistry', () => {
  it('rejects malformed, built-in and duplicate names', () => {
    const registry = new ResolverRegistry().register('longest', () => sideWins('erp'));
    expect(() => registry.register('longest', () => sideWins('erp'))).toThrow(/already registered/);
    expect(() => registry.register('max', () => sideWins('erp'))).toThrow(/built in/);
    expect(() => registry.register('Bad Name', () => sideWins('erp'))).toThrow(/lowercase/);
    expect(registry.names()).toEqual(['longest']);
  });
});
