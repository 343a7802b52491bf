import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { YAML_LIMITS } from '../../src/util/yaml-limits.js';
import { repoRoot, tandemCli as tandem } from '../support/run-cli.js';
import { realDatabaseUrl } from '../support/test-databases.js';
import { scaled } from '../support/timeouts.js';

/** A "billion laughs" document: ten levels of ten aliases each, 10^10 nodes once expanded. */
function aliasBomb(key: string): string {
  const lines = [`${key}0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]`];
  for (let i = 1; i < 10; i++)
    lines.push(
      `${key}${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  return lines.join('\n') + '\n';
}

const demoEnv = {
  TANDEM_DEMO_SF_URL: 'http://127.0.0.1:9',
  TANDEM_DEMO_CLIENT_ID: 'x',
  TANDEM_DEMO_CLIENT_SECRET: 'y',
};

/** The demo config with its policies directory made absolute and `edit` applied. */
async function demoConfig(dir: string, name: string, edit: (text: string) => string = (t) => t): Promise<string> {
  const example = await readFile(join(repoRoot, 'examples', 'demo.tandem.yaml'), 'utf8');
  const file = join(dir, name);
  await writeFile(
    file,
    edit(example.replace(/dataDir: \.\.\/\.tandem/g, `dataDir: ${dir}/.tandem`)) +
      `\npolicies:\n  dir: ${JSON.stringify(join(repoRoot, 'conflict-rules'))}\n`,
  );
  return file;
}

describe('the CLI reports users\' mistakes as such (exit 2 or 4, a message, no "bug", no stack)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-cli-mistakes-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('an alias bomb in tandem.yaml is a configuration error (exit 2)', async () => {
    const file = await demoConfig(dir, 'bomb.yaml', (t) => t + aliasBomb('x'));
    const { stderr, code } = await tandem(['status', '--config', file], demoEnv);
    expect(stderr).not.toContain('a bug');
    expect(stderr).toContain('aliases');
    expect(stderr).toContain(file);
    expect(code).toBe(2);
  });

  it(
    'an alias bomb in a policy file is reported by policy check (exit 1) and stops sync (exit 2)',
    async () => {
      const policy = join(dir, 'bomb-policy.yaml');
      await writeFile(policy, `object: account\ndefault: latest-wins\n${aliasBomb('x')}`);
      const file = await demoConfig(dir, 'policy-bomb.yaml');
      const check = await tandem(['policy', 'check', '--config', file, policy], demoEnv);
      expect(check.stderr).not.toMatch(/ReferenceError|at .*\.ts:\d+/);
      expect(check.stdout).toContain('aliases');
      expect(check.code).toBe(1);

      const policiesDir = join(dir, 'policies');
      await import('node:fs/promises').then((fs) => fs.mkdir(policiesDir, { recursive: true }));
      await writeFile(join(policiesDir, 'contact.yaml'), `object: contact\ndefault: latest-wins\n${aliasBomb('x')}`);
      const uses = await demoConfig(dir, 'uses-bomb.yaml', (t) => t);
      const text = (await readFile(uses, 'utf8')).replace(
        /policies:\n {2}dir: [^\n]+/,
        `policies:\n  dir: ${policiesDir}`,
      );
      await writeFile(uses, text);
      const sync = await tandem(['sync', '--dry-run', '--config', uses], demoEnv);
      expect(sync.stderr).not.toContain('a bug');
      expect(sync.stderr).toContain('aliases');
      expect(sync.code).toBe(2);
    },
    scaled(60_000),
  );

  it('refuses a tandem.yaml larger than the limit at once, with the size and the limit (exit 2)', async () => {
    const file = join(dir, 'huge.yaml');
    const base = await readFile(await demoConfig(dir, 'huge-base.yaml'), 'utf8');
    const padding = '# padding padding padding padding padding padding padding padding padding padding\n';
    await writeFile(file, base + padding.repeat(Math.ceil((YAML_LIMITS.maxFileBytes + 1) / padding.length)));
    const { stderr, code } = await tandem(['status', '--config', file], demoEnv);
    expect(stderr).toContain(`more than the ${YAML_LIMITS.maxFileBytes} bytes`);
    expect(code).toBe(2);
  });

  it('erp install-capture with an invalid identifier prints the message without a stack (exit 2)', async () => {
    const file = await demoConfig(dir, 'bad-ident.yaml', (t) =>
      t.replace('changelog_table_placeholder', '').replace('key: contact_no', 'key: "contact no; drop table x"'),
    );
    const { stderr, code } = await tandem(['erp', 'install-capture', '--object', 'contact', '--config', file], demoEnv);
    expect(stderr).toContain('tandem: ');
    expect(stderr).toContain('objects.contact.erp.key');
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(code).toBe(2);
  });

  it.skipIf(realDatabaseUrl() === undefined)(
    'a database URL naming a database that does not exist is "unreachable" (exit 4) with the fix',
    async () => {
      const url = new URL(realDatabaseUrl()!);
      url.pathname = '/tandem_no_such_database_4711';
      const file = await demoConfig(dir, 'missing-db.yaml', (t) =>
        t.replace(/erp:\n {2}type: postgres\n {2}dataDir: [^\n]+/, 'erp:\n  type: postgres\n  url: ${TEST_ERP_URL}'),
      );
      const { stderr, code } = await tandem(['erp', 'install-capture', '--object', 'account', '--config', file], {
        ...demoEnv,
        TEST_ERP_URL: url.toString(),
      });
      expect(stderr).toContain('tandem_no_such_database_4711');
      expect(stderr).toContain('does not exist');
      expect(stderr).not.toContain('a bug');
      expect(code).toBe(4);
    },
  );
});
