import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CRMS } from '../../src/demo/demo-crms.js';
import { runTandem } from '../support/run-tandem-cli.js';
import { scaled } from '../support/timeouts.js';

/** Everything from `npx tandem ` on in the demo's closing line, as the arguments the user would run. */
function printedHint(stdout: string): readonly string[] {
  const line = stdout.split('\n').find((l) => l.includes('look around with: '));
  expect(line, stdout).toBeDefined();
  const command = line!.slice(line!.indexOf('look around with: ') + 'look around with: '.length).trim();
  expect(command).toMatch(/^npx tandem \S/);
  const words = command.split(/\s+/);
  expect(
    words.every((w) => !/['"\\]/.test(w)),
    command,
  ).toBe(true); // plain words: no shell quoting to undo
  return words.slice(2);
}

describe('tandem demo --crm <type>: the same story against each CRM emulator, and a closing hint that works', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-demo-crms-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('offers the three CRMs of the connector registry', () => {
    expect(DEMO_CRMS.map((c) => c.type)).toEqual(['salesforce', 'hubspot', 'zoho']);
  });

  for (const crm of ['salesforce', 'hubspot', 'zoho']) {
    it(
      `${crm}: syncs both ways, then the printed status command exits 0 after the emulator is gone, and no secret is printed`,
      async () => {
        const data = join(dir, crm);
        // 110 customers: the story's CRM-only edits (websites of C61..C90, deletes of C101..C103) then exist, so the
        // increment writes to the ERP whatever latest-wins decides for the names edited on both sides.
        const demo = await runTandem(['demo', '--crm', crm, '--data', data, '--customers', '110']);
        expect(demo.code, demo.stderr).toBe(0);
        expect(demo.stdout).toMatch(/emulator at http:\/\/127\.0\.0\.1:\d+/);
        expect(demo.stdout).toMatch(/contact: \d+ in the ERP, \d+ in the CRM, identical on every mapped field/);

        // What the demo wrote for later commands: its config, and the emulator's variables in a private .env.
        const envFile = join(data, '.env');
        expect((await stat(envFile)).mode & 0o777).toBe(0o600);
        const vars = parseEnv(await readFile(envFile, 'utf8')) as Record<string, string>;
        expect(Object.keys(vars).length).toBeGreaterThanOrEqual(2);
        const secrets = Object.entries(vars).filter(([name]) => /SECRET|TOKEN/.test(name));
        expect(secrets.length, JSON.stringify(Object.keys(vars))).toBeGreaterThan(0);
        for (const [name, value] of secrets) {
          expect(demo.stdout, name).not.toContain(value);
          expect(demo.stderr, name).not.toContain(value);
        }

        // The closing hint, run as printed, with none of the demo's variables in the environment.
        expect(Object.keys(process.env).filter((name) => name.startsWith('TANDEM_DEMO_'))).toEqual([]);
        const args = printedHint(demo.stdout);
        expect(args).toEqual(['status', '-c', join(data, 'tandem.yaml')]);
        const status = await runTandem(args);
        expect(status.code, status.stderr).toBe(0);
        expect(status.stdout).toContain('demo');
        const json = await runTandem([...args, '--json']);
        expect(json.code, json.stderr).toBe(0);
        type Counts = { erp: { updated: number }; crm: { updated: number }; conflicts: { decided: number } };
        const parsed = JSON.parse(json.stdout) as { runs: { id: string; counts: Record<string, Counts> }[] };
        expect(parsed.runs.map((r) => r.id).sort()).toEqual(['1', '2', '3', '4']);
        // The increment after the edits: both sides written to, and the names edited on both sides decided by policy.
        const increment = parsed.runs.find((r) => r.id === '2')!.counts['account']!;
        expect(increment.erp.updated, JSON.stringify(increment)).toBeGreaterThan(0);
        expect(increment.crm.updated, JSON.stringify(increment)).toBeGreaterThan(0);
        expect(increment.conflicts.decided, JSON.stringify(increment)).toBeGreaterThan(0);
      },
      scaled(120_000),
    );
  }

  it('refuses a CRM it has no emulator for with exit 2, naming the ones it has', async () => {
    const { code, stderr } = await runTandem(['demo', '--crm', 'hubspto', '--data', join(dir, 'typo')]);
    expect(code).toBe(2);
    expect(stderr).toContain("did you mean 'hubspot'?");
    expect(stderr).toContain('salesforce, hubspot, zoho');
  });
});
