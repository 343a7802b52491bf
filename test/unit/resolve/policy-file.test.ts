import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { exampleMappings } from '../../support/example-mappings.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conflict } from '../../../src/model/conflict.js';
import { ConfigError } from '../../../src/util/errors.js';
import { loadPolicyFile } from '../../../src/resolve/policy/load-policy-file.js';
import { resolverForMapping } from '../../../src/resolve/policy/resolver-for-mapping.js';
import { ResolverRegistry } from '../../../src/resolve/policy/resolver-registry.js';
import type { PolicyMapping } from '../../../src/resolve/policy/policy-mapping.js';

const account: PolicyMapping = {
  object: 'account',
  fields: [
    { name: 'name', type: 'string' },
    { name: 'phone', type: 'string' },
    { name: 'status', type: 'string' },
    { name: 'credit_limit', type: 'number' },
    { name: 'tags', type: 'multipicklist' },
    { name: 'erp_code', type: 'string', direction: 'erp-to-crm' },
  ],
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-policy-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function issuesOf(text: string, mapping = account, registry?: ResolverRegistry): Promise<ConfigError> {
  const path = await write(`bad-${Math.random().toString(36).slice(2)}.yaml`, text);
  try {
    await loadPolicyFile(path, { mapping, registry });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function conflict(
  fields: Record<string, [unknown, unknown, unknown]>,
  erpAt = '2024-01-01T00:00:00Z',
  crmAt = '2024-01-01T00:01:00Z',
): Conflict {
  const pick = (i: number) => Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v[i] as never]));
  return {
    kind: 'fields',
    object: 'account',
    key: 'A1',
    base: pick(0),
    erp: { fields: pick(1), modifiedAt: erpAt, deleted: false },
    crm: { fields: pick(2), modifiedAt: crmAt, deleted: false },
    fields: Object.entries(fields)
      .filter(([, [b, e, c]]) => b !== e && b !== c && e !== c)
      .map(([k]) => k)
      .sort(),
  };
}

describe('loadPolicyFile: rules and conditions', () => {
  const policy = `object: account
default: latest-wins
deletes: keep
fields:
  phone: prefer-non-empty
  tags: union
  credit_limit:
    - use: erp-wins
      when: { erp.status: active }
    - use: crm-wins
      when: { crm.status: { in: [prospect, lead] } }
    - use: manual
      when: { base.credit_limit: { empty: true } }
    - use: max
      when: { erp.status: { not: closed }, crm.status: { not-in: [frozen] } }
    - use: latest-wins
`;
  it('[I12] applies the first rule whose conditions hold, and names file, line and rule', async () => {
    const path = await write('account.yaml', policy);
    const { resolver, version } = await loadPolicyFile(path, { mapping: account });
    const decide = (status: [string, string, string], base: unknown = 100) =>
      resolver
        .resolve(conflict({ credit_limit: [base, 500, 900], status }))
        .decisions.find((d) => d.kind === 'field' && d.field === 'credit_limit')!;
    const active = decide(['x', 'active', 'y']);
    expect(active).toMatchObject({
      take: 'erp',
      rule: `${path}:8 fields.credit_limit[0] (erp-wins when erp.status is "active")`,
    });
    expect(active.reason).toContain('applies because erp.status is "active"');
    expect(decide(['x', 'y', 'lead'])).toMatchObject({
      take: 'crm',
      rule: expect.stringContaining(':10 fields.credit_limit[1]'),
    });
    expect(decide(['x', 'y', 'z'], null)).toMatchObject({
      take: 'manual',
      rule: expect.stringContaining(':12 fields.credit_limit[2]'),
    });
    expect(decide(['x', 'y', 'z'])).toMatchObject({
      take: 'crm',
      rule: expect.stringContaining(
        ':14 fields.credit_limit[3] (max when erp.status is not "closed" and crm.status is none of "frozen")',
      ),
    });
    expect(decide(['x', 'closed', 'z'])).toMatchObject({
      take: 'crm',
      rule: expect.stringContaining(':16 fields.credit_limit[4] (latest-wins)'),
    });
    expect(resolver.resolve(conflict({ credit_limit: [1, 2, 3], status: ['a', 'b', 'c'] })).policyVersion).toBe(
      version,
    );
    expect(resolver.resolve(conflict({ name: ['a', 'b', 'c'] })).decisions[0]).toMatchObject({
      take: 'crm',
      rule: `${path}:2 default (latest-wins)`,
    });
  });
  it('compares condition values as YAML scalars: 5 matches "5", text is exact', async () => {
    const path = await write(
      'eq.yaml',
      'object: account\ndefault: crm-wins\nfields:\n  name:\n    - use: erp-wins\n      when: { erp.phone: 5 }\n',
    );
    const { resolver } = await loadPolicyFile(path, { mapping: account });
    expect(resolver.resolve(conflict({ name: ['a', 'b', 'c'], phone: ['5', '5', '5'] })).decisions[0]).toMatchObject({
      take: 'erp',
    });
    expect(resolver.resolve(conflict({ name: ['a', 'b', 'c'], phone: ['5 ', '5 ', '5 '] })).decisions[0]).toMatchObject(
      { take: 'crm' },
    );
  });
  it('[I12] versions by content hash plus the optional label', async () => {
    const a = await loadPolicyFile(await write('v1.yaml', 'default: erp-wins\n'), { mapping: account });
    const b = await loadPolicyFile(await write('v2.yaml', 'default: erp-wins # same rules, other bytes\n'), {
      mapping: account,
    });
    const c = await loadPolicyFile(await write('v3.yaml', 'version: 2024-06 finance\ndefault: erp-wins\n'), {
      mapping: account,
    });
    expect(a.version).toMatch(/^[0-9a-f]{8}$/);
    expect(b.version).not.toBe(a.version);
    expect(c.version).toMatch(/^2024-06 finance@[0-9a-f]{8}$/);
    expect(a.resolver.name).toBe(`policy:v1.yaml@${a.version}`);
  });
  it('queues fields without rule or default, and warns about it', async () => {
    const loaded = await loadPolicyFile(await write('nodefault.yaml', 'fields:\n  name: erp-wins\n'), {
      mapping: account,
    });
    expect(loaded.warnings.map((w) => w.message)).toContainEqual(
      expect.stringContaining('phone has no rule and the file has no default'),
    );
    expect(loaded.warnings.some((w) => w.message.startsWith('erp_code'))).toBe(false); // one-way: never conflicts
    expect(loaded.resolver.resolve(conflict({ phone: ['1', '2', '3'] })).decisions[0]).toMatchObject({
      take: 'manual',
    });
    expect(
      loaded.resolver.resolve({ ...conflict({ name: ['a', 'b', 'c'] }), kind: 'crm-deleted', fields: [] }).decisions[0],
    ).toMatchObject({
      kind: 'existence',
      take: 'manual',
      rule: expect.stringContaining('deletes (manual, the default)'),
    });
  });
  it('warns about rules on one-way fields and type mismatches', async () => {
    const loaded = await loadPolicyFile(
      await write(
        'warn.yaml',
        'default: latest-wins\nfields:\n  erp_code: crm-wins\n  name: max\n  credit_limit: union\n',
      ),
      { mapping: account },
    );
    expect(loaded.warnings).toEqual([
      expect.objectContaining({ line: 3, message: expect.stringContaining('erp_code flows erp-to-crm only') }),
      expect.objectContaining({
        line: 4,
        message: expect.stringContaining('max compares numbers and dates, but name is a string field'),
      }),
      expect.objectContaining({ line: 5, message: expect.stringContaining('credit_limit is a number field') }),
    ]);
  });
  it('runs custom strategies from a registry with their params', async () => {
    const registry = new ResolverRegistry().register('prefer', (params) => ({
      name: 'prefer',
      decideField: ({ erp, crm }) =>
        erp === params['value']
          ? { take: 'erp', reason: 'preferred' }
          : crm === params['value']
            ? { take: 'crm', reason: 'preferred' }
            : { take: 'manual', reason: 'neither' },
    }));
    const path = await write('custom.yaml', 'fields:\n  status:\n    use: prefer\n    params: { value: gold }\n');
    const { resolver } = await loadPolicyFile(path, { mapping: account, registry });
    expect(resolver.resolve(conflict({ status: ['a', 'silver', 'gold'] })).decisions[0]).toMatchObject({
      take: 'crm',
      rule: expect.stringContaining(':3 fields.status[0] (prefer)'),
    });
  });
});

describe('loadPolicyFile: errors', () => {
  it('reports every problem at once with file, line, allowed values and the closest match', async () => {
    const error = await issuesOf(`object: account
defualt: latest-wins
deletes: remove
tie: both
fields:
  phon: erp-wins
  status:
    - use: latest-wins
    - use: newest
      when: { erp.stat: active, sf.name: x }
  credit_limit: { use: erp-wins, otherwise: crm-wins }
  name: { use: max, otherwise: lastest-wins }
  tags: { use: union, when: { erp.tags: { contains: x } } }
  phone: { use: erp-wins, params: { a: 1 } }
`);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.exitCode).toBe(2);
    const byLine = error.issues.map((i) => [i.line, i.message]);
    expect(byLine).toEqual(
      expect.arrayContaining([
        [
          2,
          "unknown key 'defualt' at the top level; allowed: 'object', 'version', 'default', 'tie', 'clockSkewMs', 'deletes', 'fields'; did you mean 'default'?",
        ],
        [
          3,
          expect.stringMatching(
            /invalid value "remove" for deletes; allowed: 'delete', 'keep', 'latest-wins', 'manual', 'erp-wins', 'crm-wins'/,
          ),
        ],
        [4, expect.stringMatching(/invalid value "both" for tie; allowed: 'erp', 'crm'/)],
        [
          6,
          expect.stringMatching(
            /rule for 'phon', which account does not map; allowed: .*'phone'.*; did you mean 'phone'\?/,
          ),
        ],
        [9, expect.stringMatching(/rule 2 for status can never apply: rule 1 has no 'when' and always decides first/)],
        [
          9,
          expect.stringMatching(
            /unknown strategy 'newest'; allowed: 'latest-wins', 'erp-wins', 'crm-wins', 'prefer-non-empty', 'max', 'min', 'union', 'manual'/,
          ),
        ],
        [
          10,
          expect.stringMatching(
            /condition on 'erp.stat' can never apply: account has no field 'stat'.*did you mean 'status'\?/,
          ),
        ],
        [
          10,
          expect.stringMatching(
            /condition 'sf.name' must name a side and a field, like erp.status; sides: 'base', 'erp', 'crm'/,
          ),
        ],
        [11, expect.stringMatching(/'otherwise' only applies to prefer-non-empty, max and min, not to 'erp-wins'/)],
        [12, expect.stringMatching(/unknown strategy 'lastest-wins'.*did you mean 'latest-wins'\?/)],
        [
          13,
          expect.stringMatching(
            /unknown key 'contains' in fields.tags\[0\].when.erp.tags; allowed: 'equals', 'not', 'in', 'not-in', 'empty'/,
          ),
        ],
        [14, expect.stringMatching(/'params' only applies to custom strategies, not to 'erp-wins'/)],
      ]),
    );
    expect(error.issues).toHaveLength(12);
    expect(error.message).toMatch(/bad-.*\.yaml has 12 problems:\n {2}line 2 \(defualt\): unknown key/);
  });
  it('lists registered custom names among the allowed strategies', async () => {
    const registry = new ResolverRegistry().register('longest', () => ({
      name: 'longest',
      decideField: () => ({ take: 'erp', reason: 'x' }),
    }));
    const error = await issuesOf('default: longst\n', account, registry);
    expect(error.issues[0]?.message).toMatch(/allowed: .*'manual', 'longest'; did you mean 'longest'\?/);
  });
  it('rejects a file for another object, YAML syntax errors and missing files', async () => {
    expect((await issuesOf('object: contact\n')).issues[0]).toMatchObject({
      line: 1,
      message: expect.stringContaining("this file is for object 'contact' but mapping 'account' uses it"),
    });
    expect((await issuesOf('fields:\n  name: [erp-wins\n')).issues[0]?.message).toMatch(/^YAML syntax error/);
    expect((await issuesOf('- erp-wins\n')).issues[0]?.message).toMatch(/a policy file is a set of keys/);
    await expect(loadPolicyFile(join(dir, 'nope.yaml'), { mapping: account })).rejects.toThrow(
      /nope.yaml has 1 problem:\n {2}file: policy file not found/,
    );
  });
  it('reports a custom factory that rejects its params', async () => {
    const registry = new ResolverRegistry().register('strict', (params) => {
      if (typeof params['limit'] !== 'number') throw new Error('params.limit must be a number');
      return { name: 'strict', decideField: () => ({ take: 'erp', reason: 'x' }) };
    });
    const error = await issuesOf('fields:\n  name:\n    use: strict\n    params: { limit: high }\n', account, registry);
    expect(error.issues[0]).toMatchObject({
      line: 4,
      message: "custom strategy 'strict' rejected its params: params.limit must be a number",
    });
  });
});

describe('resolverForMapping', () => {
  it('knows the built-in policy names and loads files from the directory', async () => {
    expect((await resolverForMapping('latest-wins', dir, account)).name).toBe('latest-wins');
    expect((await resolverForMapping('erp-wins', dir, account)).name).toBe('erp-wins');
    expect((await resolverForMapping('crm-wins', dir, account)).name).toBe('crm-wins');
    expect((await resolverForMapping('manual', dir, account)).name).toBe('manual');
    await write('named.yaml', 'default: erp-wins\n');
    expect((await resolverForMapping('named.yaml', dir, account)).name).toMatch(/^policy:named.yaml@/);
    await expect(resolverForMapping('lates-wins', dir, account)).rejects.toThrow(
      /unknown policy 'lates-wins' for account; allowed: .*did you mean 'latest-wins'\?/,
    );
  });
  it('loads the example policies in conflict-rules/ without warnings', async () => {
    const { account, contact } = exampleMappings();
    const a = await loadPolicyFile('conflict-rules/account.yaml', { mapping: account });
    const c = await loadPolicyFile('conflict-rules/contact.yaml', { mapping: contact });
    expect([...a.warnings, ...c.warnings]).toEqual([]);
  });
});
