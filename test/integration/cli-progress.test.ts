/**
 * `tandem sync` progress and schedules through the real CLI, against an embedded ERP created from
 * examples/erp-schema.sql and a Salesforce emulator over a real socket.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressJsonLine } from '../../src/cli/progress/json-progress.js';
import { startSalesforceEmulator, type RunningSalesforceEmulator } from '../../src/emulator/index.js';
import { repoRoot, runTandem } from '../support/run-tandem-cli.js';
import { scaled } from '../support/timeouts.js';
import { tandemNodeArgs } from '../support/tandem-command.js';

const SLOW = scaled(100_000);

describe('tandem sync: progress and schedules from the command line', () => {
  let dir: string;
  let emulator: RunningSalesforceEmulator;
  let example: string;
  const env = (): Record<string, string> => ({
    TANDEM_DEMO_CLIENT_ID: emulator.clientId,
    TANDEM_DEMO_CLIENT_SECRET: emulator.clientSecret,
  });

  /** A tandem.yaml from examples/demo.tandem.yaml with its own state folder. */
  async function configFile(name: string): Promise<string> {
    const file = join(dir, `${name}.yaml`);
    const text = example
      .replace(/state:\n {2}dataDir: [^\n]+/, `state:\n  dataDir: ${join(dir, name, 'state')}`)
      .replace(/dataDir: \.\.\/\.tandem\/demo\/erp/, `dataDir: ${join(dir, 'erp')}`)
      .replace('${TANDEM_DEMO_SF_URL}', emulator.url);
    await writeFile(file, text + `\npolicies:\n  dir: ${JSON.stringify(join(repoRoot, 'conflict-rules'))}\n`);
    return file;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-progress-'));
    emulator = await startSalesforceEmulator({ port: 0 });
    example = await readFile(join(repoRoot, 'examples', 'demo.tandem.yaml'), 'utf8');
    const erp = new PGlite(join(dir, 'erp'));
    await erp.exec(await readFile(join(repoRoot, 'examples', 'erp-schema.sql'), 'utf8'));
    await erp.exec(
      "insert into public.customers (customer_no, name, city) select 'C' || lpad(g::text, 4, '0'), 'Customer ' || g, 'Lyon' from generate_series(1, 30) g",
    );
    await erp.close();
  }, SLOW);

  afterAll(async () => {
    await emulator?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
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
