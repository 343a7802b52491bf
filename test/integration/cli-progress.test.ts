/**
 * `tandem sync` progress and schedules through the real CLI, against an embedded ERP created from
 * examples/erp-schema.sql and a Salesforce emulator over a real socket.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressJsonLine } from '../../src/cli/progress/json-progress.js';
import { createDemoCliFixture, type DemoCliFixture } from '../support/demo-cli-fixture.js';
import { repoRoot, runTandem } from '../support/run-tandem-cli.js';
import { scaled } from '../support/timeouts.js';
import { tandemNodeArgs } from '../support/tandem-command.js';

const SLOW = scaled(100_000);

describe('tandem sync: progress and schedules from the command line', () => {
  let fx: DemoCliFixture;
  const env = (): Record<string, string> => fx.env();
  /** A tandem.yaml from examples/demo.tandem.yaml with its own state folder. */
  const configFile = (name: string): Promise<string> => fx.configFile(name);

  beforeAll(async () => {
    fx = await createDemoCliFixture({
      prefix: 'tandem-progress-',
      erpSql:
        "insert into public.customers (customer_no, name, city) select 'C' || lpad(g::text, 4, '0'), 'Customer ' || g, 'Lyon' from generate_series(1, 30) g",
    });
  }, SLOW);

  afterAll(async () => {
    await fx?.close();
  });

  it(
    '--json --progress json: JSON result on stdout, progress events as JSON lines on stderr',
    async () => {
      const { stdout, stderr, code } = await runTandem(
        ['sync', '--json', '--progress', 'json', '--config', await configFile('json')],
        env(),
      );
      expect(code).toBe(0);
      const result = JSON.parse(stdout) as { status: string; counts: Record<string, { crm: { created: number } }> };
      expect(result.status).toBe('succeeded');
      expect(result.counts['account']!.crm.created).toBe(30);
      const lines = stderr
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as ProgressJsonLine);
      expect(lines[0]).toMatchObject({ type: 'begin', title: 'tandem sync demo' });
      expect(lines[lines.length - 1]!.type).toBe('end');
      const events = lines.flatMap((l) => (l.type === 'progress' ? [l.event] : []));
      expect(events).toContainEqual({
        object: 'account',
        stage: 'capture',
        system: 'erp',
        phase: 'finished',
        done: 30,
      });
      expect(events).toContainEqual({
        object: 'account',
        stage: 'write',
        system: 'crm',
        phase: 'finished',
        done: 30,
        total: 30,
      });
      expect(events.some((e) => e.stage === 'bulk-job' && e.system === 'crm' && e.job?.state === 'done')).toBe(true);
    },
    SLOW,
  );

  it(
    '--schedule: runs at start, logs the next run, and SIGINT ends it with exit 0 after a good run',
    async () => {
      const file = await configFile('schedule');
      const child = spawn(
        process.execPath,
        [...tandemNodeArgs(), 'sync', '--schedule', '0 0 1 1 *', '--progress', 'plain', '--config', file],
        { cwd: repoRoot, env: { ...process.env, ...env(), TANDEM_LOG_LEVEL: 'info' } },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += String(chunk)));
      const nextRunLogged = new Promise<void>((resolve) =>
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += String(chunk);
          if (stderr.includes('next run at')) resolve();
        }),
      );
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await Promise.race([nextRunLogged, exited]);
      child.kill('SIGINT');
      const code = await exited;
      expect(stderr).toMatch(/sync succeeded; next run at \d{4}-01-0[12]T/);
      expect(stderr).toContain('account capture erp: 30 records'); // a line per stage, plain
      expect(stdout).toContain('sync demo');
      expect(code).toBe(0);
    },
    SLOW,
  );
});
