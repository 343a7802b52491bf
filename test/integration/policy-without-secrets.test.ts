import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runTandem, type CliResult } from '../support/run-tandem-cli.js';
import { scaled } from '../support/timeouts.js';

/**
 * `tandem policy check|test|diff` connect to nothing, so they run in a fresh shell: no tandem.yaml at all, or one
 * whose `${ENV}` references (secrets, database URLs) are unset. Every run here has only PATH and HOME.
 */
const TANDEM_YAML = `sync: acme
state:
  url: \${TANDEM_STATE_URL}
erp:
  type: postgres
  url: \${ERP_DATABASE_URL}
crm:
  type: salesforce
  loginUrl: \${SF_LOGIN_URL}
  auth:
    flow: client_credentials
    clientId: \${SF_CLIENT_ID}
    clientSecret: \${SF_CLIENT_SECRET}
notify:
  - url: \${HOOK_URL}
    secret: \${HOOK_SECRET}
    events: [run.failed]
objects:
  account:
    erp: { table: public.customers, key: customer_no, primaryKey: customer_no, updatedAt: updated_at }
    crm: { object: Account, externalId: External_Id__c }
    policy: account.yaml
    fields:
      name:           { erp: name, crm: Name }
      phone:          { erp: phone, crm: Phone }
      website:        { erp: website, crm: Website }
      industry:       { erp: industry, crm: Industry }
      annual_revenue: { erp: annual_revenue, crm: AnnualRevenue, type: number }
      employees:      { erp: employees, crm: NumberOfEmployees, type: integer }
      status:         { erp: status, crm: Type }
`;

describe('tandem policy without secrets', () => {
  let bare: string;
  let configured: string;
  const tandem = (cwd: string, ...args: string[]): Promise<CliResult> =>
    runTandem(args, {}, cwd, { inheritEnv: false });

  beforeAll(async () => {
    bare = await mkdtemp(join(tmpdir(), 'tandem-policy-bare-'));
    configured = await mkdtemp(join(tmpdir(), 'tandem-policy-conf-'));
    for (const dir of [bare, configured])
      await cp(join(repoRoot, 'conflict-rules'), join(dir, 'conflict-rules'), { recursive: true });
    await writeFile(join(configured, 'tandem.yaml'), TANDEM_YAML);
  });
  afterAll(async () => {
    await rm(bare, { recursive: true, force: true });
    await rm(configured, { recursive: true, force: true });
  });

  it(
    'checks conflict-rules/account.yaml with no tandem.yaml: structure and strategies, mappings skipped with a note',
    async () => {
      const ok = await tandem(bare, 'policy', 'check', 'conflict-rules/account.yaml');
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain('note: no tandem.yaml here');
      expect(ok.stdout).toContain('mappings skipped');
      expect(ok.stdout).toMatch(/^ok {3}conflict-rules\/account\.yaml \(version 2024-06 finance owns money@/m);

      // Structure and strategies are still checked: an unknown strategy fails at its line.
      await writeFile(join(bare, 'conflict-rules', 'typo.yaml'), 'object: account\nfields:\n  phone: erp-winz\n');
      const typo = await tandem(bare, 'policy', 'check', 'conflict-rules/typo.yaml');
      expect(typo.code).toBe(1);
      expect(typo.stdout).toMatch(/conflict-rules\/typo\.yaml:3: error: .*erp-winz/);

      // A --config that names a missing file is still an error: the user asked for it.
      const missing = await tandem(bare, 'policy', 'check', '--config', 'nope.yaml', 'conflict-rules/account.yaml');
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('file not found');
    },
    scaled(90_000),
  );

  it(
    'checks against the mappings of a tandem.yaml whose secrets and URLs are unset',
    async () => {
      const ok = await tandem(configured, 'policy', 'check', 'conflict-rules/account.yaml');
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/^ok {3}conflict-rules\/account\.yaml .*used by account$/m);
      expect(ok.stdout).not.toContain('note:');

      // A policy with a rule for a field the mapping does not map fails at that rule's line.
      await writeFile(
        join(configured, 'conflict-rules', 'unknown-field.yaml'),
        'object: account\ndefault: latest-wins\nfields:\n  credit_limit: erp-wins\n',
      );
      const bad = await tandem(configured, 'policy', 'check', 'conflict-rules/unknown-field.yaml');
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/unknown-field\.yaml:4: error: rule for 'credit_limit', which account does not map/);
    },
    scaled(90_000),
  );

  it(
    'tests and diffs a policy with the secrets unset (diff says why it compares generated conflicts)',
    async () => {
      const laws = await tandem(configured, 'policy', 'test', '--runs', '5', '--seed', '1', 'account.yaml');
      expect(laws.stderr).toBe('');
      expect(laws.code).toBe(0);
      expect(laws.stdout).toContain('ok   deterministic (5 runs, seed 1)');

      const diff = await tandem(configured, 'policy', 'diff', 'latest-wins', 'account.yaml', '--sample', '20');
      expect(diff.code).toBe(0);
      expect(diff.stdout).toMatch(/of 20 generated conflicts would resolve differently/);
      expect(diff.stderr).toContain("recent conflicts not read (state.url: environment variable 'TANDEM_STATE_URL'");
    },
    scaled(90_000),
  );
});
