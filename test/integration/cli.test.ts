import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scaled } from '../support/timeouts.js';
import { tandemNodeArgs } from '../support/tandem-command.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

/** Runs the CLI as a user would (tandemNodeArgs), returning stdout, stderr and the exit code. */
async function tandem(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...tandemNodeArgs(), ...args], {
      cwd: root,
      env: { ...process.env, TANDEM_LOG_LEVEL: 'error', ...env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

describe('the tandem CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints help and exits 0', async () => {
    const { stdout, code } = await tandem(['--help']);
    expect(code).toBe(0);
    for (const command of [
      'init',
      'migrate',
      'sync',
      'status',
      'conflicts',
      'failed',
      'policy',
      'erp',
      'emulator',
      'demo',
    ])
      expect(stdout).toContain(command);
    expect(stdout).toContain('Exit codes');
  });

  it('init writes an example config once, then refuses to overwrite it (exit 2)', async () => {
    const file = join(dir, 'tandem.yaml');
    const first = await tandem(['init', '--config', file]);
    expect(first.code).toBe(0);
    expect(await readFile(file, 'utf8')).toContain('objects:');
    const second = await tandem(['init', '--config', file, '--json']);
    expect(second.code).toBe(2);
    expect(JSON.parse(second.stdout).error.code).toBe('FILE_EXISTS');
  });

  it('init --crm writes the chosen registered connector, and refuses an unregistered one listing the types', async () => {
    const file = join(dir, 'memory-crm.yaml');
    const written = await tandem(['init', '--crm', 'memory', '--config', file]);
    expect(written.code).toBe(0);
    const text = await readFile(file, 'utf8');
    expect(text).toMatch(/^crm:\n {2}type: memory\n/m);
    expect(text).not.toContain('loginUrl');
    const refused = await tandem(['init', '--crm', 'sugarcrm', '--config', join(dir, 'never.yaml'), '--json']);
    expect(refused.code).toBe(2);
    const error = JSON.parse(refused.stdout).error as { code: string; message: string };
    expect(error.code).toBe('CONNECTOR_UNKNOWN');
    expect(error.message).toContain(
      "unknown crm type 'sugarcrm'; registered crm types: hubspot, memory, salesforce, zoho",
    );
    await expect(readFile(join(dir, 'never.yaml'), 'utf8')).rejects.toThrow();
  });

  it('reports a bad config with file, line and fix, and exits 2', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      'sync: x\nerp:\n  type: postgres\n  url: postgres://u:hunter2@h/db\ncrm:\n  type: salesforce\n  loginUrl: https://x.my.salesforce.com\n  auth: { flow: client_credentials, clientId: a, clientSecret: b }\nobjects: {}\n',
    );
    const { stderr, code } = await tandem(['sync', '--config', file]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${file}:4`);
    expect(stderr).not.toContain('hunter2');
    expect(stderr).toMatch(/\$\{/); // tells how to reference a secret
  });

  it(
    'runs the demo end to end, then status, failed list and policy explain read its state',
    async () => {
      const data = join(dir, 'demo');
      const demo = await tandem(['demo', '--data', data, '--customers', '60', '--json']);
      expect(demo.code).toBe(0);
      const report = JSON.parse(demo.stdout) as {
        runs: { status: string; writes: number }[];
        alignment: Record<string, { differing: number }>;
      };
      expect(report.runs[0]!.status).toBe('partial'); // one record rejected by Salesforce
      for (const r of report.runs) expect(['succeeded', 'partial']).toContain(r.status);
      expect(report.runs[3]!.writes).toBe(0);
      expect(report.alignment['contact']!.differing).toBe(0);
      expect(report.alignment['account']!.differing).toBe(1); // the customer Salesforce rejects (no Name)

      const config = join(data, 'tandem.yaml');
      const env = {
        TANDEM_DEMO_SF_URL: 'http://127.0.0.1:9',
        TANDEM_DEMO_CLIENT_ID: 'x',
        TANDEM_DEMO_CLIENT_SECRET: 'y',
      };
      const status = await tandem(['status', '--config', config, '--json'], env);
      expect(status.code).toBe(0);
      const parsed = JSON.parse(status.stdout) as {
        runs: unknown[];
        queues: Record<string, { failed: number; records: number }>;
      };
      expect(parsed.runs).toHaveLength(4);
      expect(parsed.queues['account']!.failed).toBe(1);

      const failed = await tandem(['failed', 'list', '--config', config], env);
      expect(failed.code).toBe(0);
      expect(failed.stdout).toContain('REQUIRED_FIELD_MISSING');

      const explain = await tandem(
        // The demo's emulator is gone once the demo has ended: explain from the state store (--stored).
        ['policy', 'explain', '--config', config, '--object', 'account', '--key', 'C0000001', '--stored'],
        env,
      );
      expect(explain.code).toBe(0);
      expect(explain.stdout).toContain('C0000001');

      const conflicts = await tandem(['conflicts', 'list', '--config', config, '--json'], env);
      expect(conflicts.code).toBe(0);
      expect(JSON.parse(conflicts.stdout)).toEqual([]);
    },
    scaled(120_000),
  );

  it('exits 4 with a clear message when the state database cannot be reached', async () => {
    const file = join(dir, 'unreachable.yaml');
    const example = await readFile(join(root, 'examples', 'demo.tandem.yaml'), 'utf8');
    await writeFile(
      file,
      example.replace(/state:\n {2}dataDir: [^\n]+/, 'state:\n  url: postgres://tandem@127.0.0.1:9/nowhere') +
        `\npolicies:\n  dir: ${JSON.stringify(join(root, 'conflict-rules'))}\n`,
    );
    const env = {
      TANDEM_DEMO_SF_URL: 'http://127.0.0.1:9',
      TANDEM_DEMO_CLIENT_ID: 'x',
      TANDEM_DEMO_CLIENT_SECRET: 'y',
    };
    const { stderr, code } = await tandem(['status', '--config', file], env);
    expect(code).toBe(4);
    expect(stderr).toContain('cannot connect to the state database');
  });
});
