import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordInput } from '../../../src/diff/plan-record.js';
import { checkPolicyFiles } from '../../../src/resolve/tooling/check-policy-files.js';
import { explainRecord } from '../../../src/resolve/tooling/explain-record.js';
import { renderExplanation } from '../../../src/resolve/tooling/render-explanation.js';
import { diffPolicies } from '../../../src/resolve/tooling/diff-policies.js';
import { renderPolicyDiff } from '../../../src/resolve/tooling/render-policy-diff.js';
import { latestWins } from '../../../src/resolve/latest-wins.js';
import { sourceOfTruth } from '../../../src/resolve/source-of-truth.js';
import { sampleConflicts } from '../../../src/testing/sample-conflicts.js';
import { policyCommand, type PolicyCliContext } from '../../../src/cli/commands/policy.js';

const fields = [
  { name: 'name', type: 'string' },
  { name: 'phone', type: 'string' },
  { name: 'code', type: 'string', direction: 'erp-to-crm' as const },
];
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-check-'));
  await writeFile(join(dir, 'good.yaml'), 'object: account\ndefault: latest-wins\nfields:\n  code: erp-wins\n');
  await writeFile(join(dir, 'bad.yaml'), 'object: acount\n');
  await writeFile(join(dir, 'crm.yaml'), 'object: account\ndefault: crm-wins\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const input: RecordInput = {
  object: 'account',
  key: 'A1',
  base: { name: 'Acme', phone: '1', code: 'X' },
  erp: { fields: { name: 'Acme SA', phone: '1', code: 'X' }, modifiedAt: '2024-05-01T10:00:00Z', deleted: false },
  crm: { fields: { name: 'ACME', phone: '2', code: 'X' }, modifiedAt: '2024-05-01T10:05:00Z', deleted: false },
};

describe('checkPolicyFiles', () => {
  it('finds unknown objects and dead rules across files, with lines', async () => {
    const report = await checkPolicyFiles(
      [join(dir, 'good.yaml'), join(dir, 'bad.yaml')],
      [{ object: 'account', fields, policy: 'good.yaml' }],
    );
    expect(report.errors).toEqual([
      expect.objectContaining({
        file: join(dir, 'bad.yaml'),
        message: "object 'acount' is not mapped in tandem.yaml; allowed: 'account'; did you mean 'account'?",
      }),
    ]);
    expect(report.warnings).toEqual([
      expect.objectContaining({ line: 4, message: expect.stringContaining('code flows erp-to-crm only') }),
    ]);
    expect(report.files[0]).toMatchObject({ objects: ['account'], version: expect.stringMatching(/^[0-9a-f]{8}$/) });
  });
});

describe('explainRecord', () => {
  it('[I12] says per field what changed where, who decided and what is written', () => {
    const e = explainRecord(input, latestWins());
    expect(e.kind).toBe('conflict');
    expect(e.fields.find((f) => f.field === 'name')).toMatchObject({
      change: 'conflict',
      target: 'ACME',
      decision: { take: 'crm', rule: 'latest-wins' },
      writeErp: 'ACME',
    });
    expect(e.fields.find((f) => f.field === 'phone')).toMatchObject({
      change: 'crm',
      decision: null,
      target: '2',
      writeErp: '2',
    });
    expect(e.writes.crm).toBeNull();
    const text = renderExplanation(e);
    expect(text).toContain('name  | "Acme" | "Acme SA" | "ACME" | conflict  | crm wins: "ACME"');
    expect(text).toContain('because crm edit at 2024-05-01T10:05:00Z is later than erp edit at 2024-05-01T10:00:00Z');
    expect(text).toContain('erp: upsert name="ACME", phone="2"');
    expect(JSON.parse(JSON.stringify(e))).toEqual(e);
  });
});

describe('diffPolicies', () => {
  it('counts conflicts whose outcome changes and keeps examples', () => {
    const conflicts = sampleConflicts({ object: 'account', fields, count: 50, seed: 7 });
    expect(sampleConflicts({ object: 'account', fields, count: 50, seed: 7 })).toEqual(conflicts);
    const same = diffPolicies(sourceOfTruth({ default: 'erp' }), sourceOfTruth({ default: 'erp' }), conflicts);
    expect(same).toMatchObject({ total: 50, changed: 0, examples: [] });
    const diff = diffPolicies(sourceOfTruth({ default: 'erp' }), sourceOfTruth({ default: 'crm' }), conflicts, 2);
    // erp-wins vs crm-wins disagree on every field conflict and every delete.
    expect(diff.changed).toBe(50);
    expect(diff.examples).toHaveLength(2);
    expect(renderPolicyDiff(diff)).toMatch(
      /^50 of 50 conflicts would resolve differently \(erp-wins -> crm-wins\)\nby field: /,
    );
  });
});

describe('tandem policy', () => {
  async function run(args: string[], context: Partial<PolicyCliContext> = {}): Promise<{ code: number; out: string }> {
    let out = '';
    let code = -1;
    const cmd = policyCommand(
      async () => ({ mappings: [{ object: 'account', fields, policy: 'good.yaml' }], policiesDir: dir, ...context }),
      {
        stdout: { write: (t: string) => (out += t) },
        stderr: { write: (t: string) => (out += t) },
        setExitCode: (c) => (code = c),
      },
    );
    await cmd.parseAsync(args, { from: 'user' });
    return { code, out };
  }
  it('check: 0 for good files, 1 with problems', async () => {
    expect(await run(['check', 'good.yaml'])).toMatchObject({
      code: 0,
      out: expect.stringContaining('0 error(s), 1 warning(s)'),
    });
    const bad = await run(['check']);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain("bad.yaml: error: object 'acount' is not mapped");
  });
  it('explain renders the record with the mapping policy; 2 when the record is unknown or the object is wrong', async () => {
    const asked: boolean[] = [];
    const explain = async (_o: string, k: string, { stored }: { stored: boolean }) => {
      asked.push(stored);
      return k === 'A1'
        ? stored
          ? { input, source: 'stored' as const }
          : { input, source: 'systems' as const, sides: { erp: 'found' as const, crm: 'absent' as const } }
        : undefined;
    };
    const ok = await run(['explain', '--object', 'account', '--key', 'A1'], { explain });
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('account "A1": conflict');
    expect(ok.out).toMatch(/^read from both systems now \(erp: read now; crm: no record with this key now\)/);
    const stored = await run(['explain', '--object', 'account', '--key', 'A1', '--stored'], { explain });
    expect(stored.out).toMatch(
      /^from the stored state \(what tandem last saw of each side, not read from the systems now/,
    );
    expect(asked).toEqual([false, true]);
    const json = await run(['explain', '--object', 'account', '--key', 'A1', '--stored', '--json'], { explain });
    expect(JSON.parse(json.out)).toMatchObject({ source: 'stored' });
    expect(
      (await run(['explain', '--object', 'account', '--key', 'B2'], { explain: async () => undefined })).code,
    ).toBe(2);
    expect(await run(['explain', '--object', 'acount', '--key', 'A1', '--json'])).toMatchObject({
      code: 2,
      out: expect.stringContaining("did you mean 'account'?"),
    });
  });
  it('diff compares two policies on recent conflicts when the store has them', async () => {
    const recent = sampleConflicts({ object: 'account', fields, count: 5, seed: 1 });
    const r = await run(['diff', 'good.yaml', 'crm.yaml', '--json'], { recentConflicts: async () => recent });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ source: 'recent conflicts', total: 5 });
    const sampled = await run(['diff', 'erp-wins', 'crm-wins', '--sample', '20']);
    expect(sampled.out).toMatch(/^20 of 20 generated conflicts would resolve differently/);
  });
});
