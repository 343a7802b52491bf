import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConflictResolver } from '../../../src/model/conflict-resolver.js';
import { latestWins } from '../../../src/resolve/latest-wins.js';
import { sourceOfTruth } from '../../../src/resolve/source-of-truth.js';
import { manual } from '../../../src/resolve/manual.js';
import { strategyResolver } from '../../../src/resolve/strategy-resolver.js';
import { preferNonEmpty } from '../../../src/resolve/prefer-non-empty.js';
import { maxValue } from '../../../src/resolve/max-value.js';
import { minValue } from '../../../src/resolve/min-value.js';
import { picklistUnion } from '../../../src/resolve/picklist-union.js';
import { existenceStrategy } from '../../../src/resolve/existence-strategy.js';
import { loadPolicyFile } from '../../../src/resolve/policy/load-policy-file.js';
import { ResolverRegistry } from '../../../src/resolve/policy/resolver-registry.js';
import { policyCommand } from '../../../src/cli/commands/policy.js';
import { checkPolicyLaws } from '../../../src/testing/index.js';
import { exampleMappings } from '../../support/example-mappings.js';

const RUNS = Number(process.env['PBT_NUM_RUNS'] ?? 60);
const SEED = process.env['PBT_SEED'] === undefined ? undefined : Number(process.env['PBT_SEED']);
const opts = { runs: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) };

const { account: accountMapping, contact: contactMapping } = exampleMappings();

function failures(reports: ReturnType<typeof checkPolicyLaws>): string[] {
  return reports.filter((r) => !r.ok).map((r) => `${r.law}: ${r.message}\n${r.counterexample}`);
}

describe('[I7][I8] built-in strategies satisfy every law', () => {
  it('latest-wins (also with a tie to crm and a known skew)', () => {
    expect(failures(checkPolicyLaws(() => latestWins(), { ...opts, latestWins: {} }))).toEqual([]);
    const clock = { tie: 'crm' as const, skewMs: { crm: 120_000 } };
    expect(failures(checkPolicyLaws(() => latestWins(clock), { ...opts, latestWins: clock }))).toEqual([]);
  });
  it('source of truth, per object and per field', () => {
    const truth = { default: 'erp' as const, fields: { name: 'crm' as const, tags: 'crm' as const } };
    expect(failures(checkPolicyLaws(() => sourceOfTruth(truth), { ...opts, sourceOfTruth: truth }))).toEqual([]);
    expect(
      failures(
        checkPolicyLaws(() => sourceOfTruth({ default: 'crm' }), { ...opts, sourceOfTruth: { default: 'crm' } }),
      ),
    ).toEqual([]);
  });
  it.each([
    [
      'prefer-non-empty',
      () => strategyResolver({ name: 'p', field: preferNonEmpty(), existence: existenceStrategy('delete') }),
    ],
    ['max', () => strategyResolver({ name: 'max', field: maxValue(), existence: existenceStrategy('keep') })],
    ['min', () => strategyResolver({ name: 'min', field: minValue(), existence: existenceStrategy('latest-wins') })],
    [
      'union',
      () => strategyResolver({ name: 'union', field: picklistUnion(), existence: existenceStrategy('erp-wins') }),
    ],
    ['manual', () => manual()],
  ])('%s', (_, make) => {
    expect(failures(checkPolicyLaws(make, opts))).toEqual([]);
  });
});

describe('[I7][I8] the example policies satisfy every law', () => {
  it.each([
    ['conflict-rules/account.yaml', accountMapping],
    ['conflict-rules/contact.yaml', contactMapping],
  ])('%s', async (file, mapping) => {
    const loaded = await loadPolicyFile(file, { mapping });
    expect(
      failures(checkPolicyLaws(loaded.fresh, { ...opts, fields: mapping.fields, object: mapping.object })),
    ).toEqual([]);
  });
});

describe('[I7][I8] broken resolvers are caught with a shrunk, readable counterexample', () => {
  const erpEverywhere =
    (take: () => 'erp' | 'crm'): ConflictResolver['resolve'] =>
    (c) => ({
      policyVersion: 'broken',
      decisions:
        c.kind === 'fields'
          ? c.fields.map((field) => ({ kind: 'field', field, take: take(), rule: 'broken', reason: 'broken' }))
          : [{ kind: 'existence', take: 'keep', rule: 'broken', reason: 'broken' }],
    });

  it('a non-deterministic resolver fails determinism', () => {
    let calls = 0;
    const flaky: ConflictResolver = {
      name: 'flaky',
      resolve: erpEverywhere(() => (calls++ % 2 === 0 ? 'erp' : 'crm')),
    };
    const report = checkPolicyLaws(flaky, opts).find((r) => r.law === 'deterministic')!;
    expect(report.ok).toBe(false);
    expect(report.counterexample).toMatch(/^account "K\d": base/);
    expect(report.counterexample).toMatch(/field +\| base +\| erp +\| crm +\| decided/);
    // Shrunk: a single conflicting field is enough, so only one row shows.
    expect(report.counterexample!.split('\n').filter((l) => l.includes('(broken)'))).toHaveLength(1);
  });

  it('an order-dependent resolver (the first conflict it sees decides the rest) fails order independence', () => {
    const make = (): ConflictResolver => {
      let first: 'erp' | 'crm' | undefined;
      return {
        name: 'sticky',
        resolve: (c) => {
          first ??= c.erp.modifiedAt > c.crm.modifiedAt ? 'erp' : 'crm';
          return erpEverywhere(() => first!)(c);
        },
      };
    };
    const report = checkPolicyLaws(make, opts).find((r) => r.law === 'order-independent')!;
    expect(report.ok).toBe(false);
    expect(report.message).toMatch(/key K\d got \[.*\] in arrival order .* but \[.*\] in order/);
    expect(report.counterexample).toContain('| decided');
  });

  it('a resolver that decides fields nobody conflicts on (overwriting a one-sided edit) fails', () => {
    const overwrite: ConflictResolver = {
      name: 'overwrite',
      resolve: (c) => ({
        policyVersion: 'broken',
        decisions:
          c.kind === 'fields'
            ? Object.keys(c.erp.fields).map((field) => ({
                kind: 'field',
                field,
                take: 'erp',
                rule: 'broken',
                reason: 'erp everywhere',
              }))
            : [{ kind: 'existence', take: 'keep', rule: 'broken', reason: 'x' }],
      }),
    };
    const report = checkPolicyLaws(overwrite, opts).find((r) => r.law === 'one-sided-edit')!;
    expect(report.ok).toBe(false);
    expect(report.message).toMatch(/not in conflict/);
    expect(report.counterexample).toMatch(/field +\| base +\| erp +\| crm/);
  });

  it('`tandem policy test` fails custom strategies that are non-deterministic or order-dependent, exit code 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tandem-pbt-'));
    try {
      let coin = 0;
      const registry = new ResolverRegistry()
        .register('coin-flip', () => ({
          name: 'coin-flip',
          decideField: () => ({ take: coin++ % 3 === 0 ? 'erp' : 'crm', reason: 'coin' }),
        }))
        .register('first-seen', () => {
          let first: 'erp' | 'crm' | undefined;
          return {
            name: 'first-seen',
            decideField: ({ erp, crm }) => ({
              take: (first ??= String(erp) > String(crm) ? 'erp' : 'crm'),
              reason: 'first seen',
            }),
          };
        });
      await writeFile(join(dir, 'flaky.yaml'), 'object: account\ndefault: coin-flip\n');
      await writeFile(join(dir, 'sticky.yaml'), 'object: account\ndefault: first-seen\n');
      const mapping = {
        object: 'account',
        fields: [
          { name: 'name', type: 'string' },
          { name: 'phone', type: 'string' },
        ],
      };
      for (const [file, law] of [
        ['flaky.yaml', 'deterministic'],
        ['sticky.yaml', 'order-independent'],
      ] as const) {
        let out = '';
        let code = -1;
        const cmd = policyCommand(async () => ({ mappings: [mapping], policiesDir: dir, registry }), {
          stdout: { write: (t: string) => (out += t) },
          stderr: { write: (t: string) => (out += t) },
          setExitCode: (c) => (code = c),
        });
        await cmd.parseAsync(['test', file, '--runs', String(RUNS), '--json'], { from: 'user' });
        expect(code).toBe(1);
        const result = JSON.parse(out) as {
          ok: boolean;
          results: { reports: { law: string; ok: boolean; counterexample?: string }[] }[];
        };
        const report = result.results[0]!.reports.find((r) => r.law === law)!;
        expect(report.ok).toBe(false);
        expect(report.counterexample).toMatch(/field +\| base +\| erp +\| crm +\| decided/);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
