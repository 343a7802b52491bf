import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { buildSyncObjects } from '../../src/engine/open-engine.js';
import { loadStrategyModule } from '../../src/engine/strategy-module.js';
import { loadPolicyFile } from '../../src/resolve/policy/load-policy-file.js';
import type { Conflict } from '../../src/model/conflict.js';
import { ConfigError } from '../../src/util/errors.js';
import { repoRoot, tandemCli as tandem } from '../support/run-cli.js';
import { scaled } from '../support/timeouts.js';

const env = { TANDEM_DEMO_SF_URL: 'http://127.0.0.1:9', TANDEM_DEMO_CLIENT_ID: 'x', TANDEM_DEMO_CLIENT_SECRET: 'y' };

/** A real ES module of custom strategies, as an admin would write it. */
const STRATEGIES = `
export default {
  longest: () => ({
    name: 'longest',
    decideField: ({ erp, crm }) =>
      String(erp ?? '').length >= String(crm ?? '').length
        ? { take: 'erp', reason: 'erp value is at least as long' }
        : { take: 'crm', reason: 'crm value is longer' },
  }),
};
`;

function conflict(erpName: string, crmName: string, erpAt: string, crmAt: string): Conflict {
  return {
    kind: 'fields',
    object: 'contact',
    key: 'P1',
    base: { first_name: 'a', last_name: 'b' },
    erp: { fields: { first_name: erpName, last_name: erpName }, modifiedAt: erpAt, deleted: false },
    crm: { fields: { first_name: crmName, last_name: crmName }, modifiedAt: crmAt, deleted: false },
    fields: ['first_name', 'last_name'],
  };
}

describe('policies.strategies: a module of custom strategies named in tandem.yaml', () => {
  let dir: string;
  let config: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-strategies-'));
    const rules = join(dir, 'rules');
    await mkdir(rules);
    await writeFile(join(dir, 'strategies.mjs'), STRATEGIES);
    await writeFile(
      join(rules, 'contact.yaml'),
      'object: contact\ndefault: latest-wins\nclockSkewMs: { crm: 120000 }\nfields:\n  first_name: longest\n',
    );
    const example = await readFile(join(repoRoot, 'examples', 'demo.tandem.yaml'), 'utf8');
    config = join(dir, 'tandem.yaml');
    await writeFile(
      config,
      example.replace(/dataDir: \.\.\/\.tandem\/demo/g, 'dataDir: ./.tandem') +
        '\npolicies:\n  dir: ./rules\n  strategies: ./strategies.mjs\n',
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("sync uses it: buildSyncObjects (what openEngine, so `tandem sync`, builds the objects with) resolves with the module's strategy and the file's skew", async () => {
    const loaded = await loadConfig(config, env);
    expect(loaded.policies.strategies).toBe(join(dir, 'strategies.mjs'));
    {
      const contact = (await buildSyncObjects(loaded)).find((o) => o.name === 'contact')!;
      // The crm edit is 60 s later by the clocks, but its clock runs 120 s ahead: erp is the later edit.
      const resolution = contact.resolver.resolve(
        conflict('a much longer name', 'short', '2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z'),
      );
      const byField = new Map(resolution.decisions.map((d) => [d.kind === 'field' ? d.field : '', d]));
      expect(byField.get('first_name')).toMatchObject({ take: 'erp' });
      expect((byField.get('first_name') as { reason: string }).reason).toContain('at least as long');
      expect(byField.get('last_name')).toMatchObject({ take: 'erp' });
      expect((byField.get('last_name') as { reason: string }).reason).toContain('clock skew');
    }
  });

  it(
    'policy check passes with the module and names the problem without it',
    async () => {
      const ok = await tandem(['policy', 'check', '--config', config], env);
      expect(ok.stdout).toContain('0 error(s)');
      expect(ok.code).toBe(0);

      const without = join(dir, 'without.yaml');
      await writeFile(without, (await readFile(config, 'utf8')).replace('  strategies: ./strategies.mjs\n', ''));
      const bad = await tandem(['policy', 'check', '--config', without], env);
      expect(bad.stdout).toContain("'longest'");
      expect(bad.code).toBe(1);
    },
    scaled(60_000),
  );

  it('reports a module that is missing or exports no strategies as a configuration error', async () => {
    const loaded = await loadConfig(config, env);
    const missing = { ...loaded, policies: { ...loaded.policies, strategies: join(dir, 'nope.mjs') } };
    await expect(loadStrategyModule(missing)).rejects.toThrow(/policies\.strategies: module .*nope\.mjs not found/);
    await writeFile(join(dir, 'empty.mjs'), 'export const other = 1;\n');
    const empty = { ...loaded, policies: { ...loaded.policies, strategies: join(dir, 'empty.mjs') } };
    await expect(loadStrategyModule(empty)).rejects.toBeInstanceOf(ConfigError);
    await writeFile(
      join(dir, 'builtin.mjs'),
      'export default { max: () => ({ name: "max", decideField: () => ({ take: "erp", reason: "" }) }) };\n',
    );
    const builtin = { ...loaded, policies: { ...loaded.policies, strategies: join(dir, 'builtin.mjs') } };
    await expect(loadStrategyModule(builtin)).rejects.toThrow(/'max' is built in/);
  });
});

describe('clockSkewMs in a policy file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-skew-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const mapping = {
    object: 'contact',
    fields: [
      { name: 'first_name', type: 'string' },
      { name: 'last_name', type: 'string' },
    ],
  };

  it("corrects each side's modification time before latest-wins compares them (fields and deletes)", async () => {
    const path = join(dir, 'skew.yaml');
    await writeFile(
      path,
      'object: contact\ndefault: latest-wins\ndeletes: latest-wins\nclockSkewMs: { erp: -30000, crm: 45000 }\n',
    );
    const { resolver } = await loadPolicyFile(path, { mapping });
    // By the clocks crm is 60 s later; corrected, erp is at +30 s and crm at +15 s: erp is later.
    const r = resolver.resolve(conflict('e', 'c', '2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z'));
    for (const d of r.decisions) expect(d).toMatchObject({ take: 'erp' });
    const plain = join(dir, 'plain.yaml');
    await writeFile(plain, 'object: contact\ndefault: latest-wins\n');
    const without = (await loadPolicyFile(plain, { mapping })).resolver.resolve(
      conflict('e', 'c', '2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z'),
    );
    for (const d of without.decisions) expect(d).toMatchObject({ take: 'crm' });
  });

  it('refuses a skew beyond a day with the key and the range', async () => {
    const path = join(dir, 'far.yaml');
    await writeFile(path, 'object: contact\nclockSkewMs: { crm: 999999999 }\n');
    await expect(loadPolicyFile(path, { mapping })).rejects.toThrow(/clockSkewMs\.crm/);
  });
});
