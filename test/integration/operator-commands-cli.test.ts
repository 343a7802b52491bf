/**
 * The operator's commands as a user runs them (the CLI, an embedded ERP from examples/erp-schema.sql, a
 * Salesforce emulator over a real socket): `tandem failed`, conflicts by key alone, and `status` for people,
 * including a run killed with kill -9.
 */
import { spawn } from 'node:child_process';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceEmulator } from '../../src/emulator/index.js';
import { openStateDatabase } from '../../src/state/state-database.js';
import { StateStore } from '../../src/state/state-store.js';
import { realDatabaseUrl, uniqueSchemaName } from '../support/test-databases.js';
import { createDemoCliFixture, type DemoCliFixture } from '../support/demo-cli-fixture.js';
import { repoRoot, runTandem } from '../support/run-tandem-cli.js';
import { scaled } from '../support/timeouts.js';
import { tandemNodeArgs } from '../support/tandem-command.js';

// Each case starts the CLI and an embedded Postgres, on a possibly loaded machine.
const SLOW = scaled(400_000);

interface StatusJson {
  runs: { id: string; status: string; holder?: string; recordedStatus?: string }[];
  queues: Record<string, { failed: number; skipped: number; conflicts: number }>;
  watermarks: unknown[];
  openJobs: number;
  operatorActions: { action: string; affected: number }[];
  lastRunByObject: Record<string, { policyVersion: string | null }>;
}

describe('operator commands through the CLI', () => {
  let fx: DemoCliFixture;
  const env = (): Record<string, string> => fx.env();

  /** A tandem.yaml from examples/demo.tandem.yaml (objects account and contact) with its own state. */
  const configFile = (name: string, state?: string, loginUrl?: string, erpDir?: string) =>
    fx.configFile(name, { state, loginUrl, erpDir });

  const json = <T>(stdout: string): T => JSON.parse(stdout) as T;

  beforeAll(async () => {
    // C2's name is blank once trimmed: Salesforce rejects it (REQUIRED_FIELD_MISSING), a failed record.
    fx = await createDemoCliFixture({
      prefix: 'tandem-operator-',
      erpSql:
        "insert into public.customers (customer_no, name, city) values ('C1', 'Acme', 'Lyon'), ('C2', '   ', 'Oslo')",
    });
  }, SLOW);

  afterAll(async () => {
    await fx?.close();
  });

  it(
    'failed list, skip, retry, discard and history: output, --json and exit codes',
    async () => {
      const config = await configFile('failed');
      const sync = await runTandem(['sync', '--config', config], env());
      expect(sync.code).toBe(1); // partial: C2 rejected
      const listed = await runTandem(['failed', 'list', '--json', '--config', config], env());
      expect(listed.code).toBe(0);
      expect(json<{ object: string; key: string; system: string }[]>(listed.stdout)).toEqual([
        expect.objectContaining({ object: 'account', key: 'C2', system: 'crm', skippedAt: null }),
      ]);

      // Usage errors: no selection, --all with a selection, an unknown object, a key that is not failed.
      const none = await runTandem(['failed', 'retry', '--config', config], env());
      expect(none.code).toBe(2);
      expect(none.stderr).toContain('--object O --key K');
      const both = await runTandem(
        ['failed', 'retry', '--all', '--object', 'account', '--json', '--config', config],
        env(),
      );
      expect(both.code).toBe(2);
      expect(json<{ error: { code: string } }>(both.stdout).error.code).toBe('USAGE');
      const unknown = await runTandem(['failed', 'discard', '--object', 'nope', '--config', config], env());
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain("unknown object 'nope'");
      const missing = await runTandem(
        ['failed', 'retry', '--object', 'account', '--key', 'C9', '--config', config],
        env(),
      );
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('no failed record for account C9');
      const keyNowhere = await runTandem(['failed', 'retry', '--key', 'C9', '--config', config], env());
      expect(keyNowhere.code).toBe(2);
      expect(keyNowhere.stderr).toContain("no failed record with key 'C9'");

      // skip by key alone (only account has it), then the list shows it skipped.
      const skip = await runTandem(
        ['failed', 'skip', '--key', 'C2', '--by', 'ops', '--json', '--config', config],
        env(),
      );
      expect(skip.code).toBe(0);
      expect(json<{ action: string; affected: number; selector: unknown }>(skip.stdout)).toMatchObject({
        action: 'failed-skip',
        affected: 1,
        selector: { object: 'account', key: 'C2' },
      });
      const skippedList = await runTandem(['failed', 'list', '--config', config], env());
      expect(skippedList.stdout).toMatch(/account C2 -> crm rejected \(attempt 1, skipped .* by ops\)/);

      const retry = await runTandem(['failed', 'retry', '--object', 'account', '--config', config], env());
      expect(retry.code).toBe(0);
      expect(retry.stdout).toContain('due now: 1 failed entry');
      expect(retry.stdout).toContain('the next tandem sync');
      const emptyObject = await runTandem(['failed', 'retry', '--object', 'contact', '--config', config], env());
      expect(emptyObject.code).toBe(0);
      expect(emptyObject.stdout).toContain('no failed records in contact: nothing to retry');

      const discard = await runTandem(['failed', 'discard', '--all', '--by', 'ops', '--config', config], env());
      expect(discard.code).toBe(0);
      expect(discard.stdout).toContain('discarded: 1 failed entry');
      expect(discard.stdout).toContain('account C2 -> crm');
      expect((await runTandem(['failed', 'list', '--config', config], env())).stdout.trim()).toBe('no failed records');

      const history = await runTandem(['failed', 'history', '--json', '--config', config], env());
      expect(history.code).toBe(0);
      expect(json<{ action: string }[]>(history.stdout).map((a) => a.action)).toEqual([
        'failed-discard',
        'failed-retry',
        'failed-skip',
      ]);

      // status shows the audit trail and the queues, as tables.
      const status = await runTandem(['status', '--config', config], env());
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(/Operator actions on failed records/);
      expect(status.stdout).toMatch(/#\d+ failed-discard\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ, .*\s+all\s+1\s+ops/);
      const statusJson = json<StatusJson>((await runTandem(['status', '--json', '--config', config], env())).stdout);
      expect(statusJson.operatorActions.map((a) => a.action)).toContain('failed-discard');
      expect(statusJson.queues['account']).toMatchObject({ failed: 0, skipped: 0 });
    },
    SLOW,
  );

  it(
    'conflicts show and resolve by key alone: a unique key works, an ambiguous one names its objects and the fix',
    async () => {
      const config = await configFile('conflicts');
      expect((await runTandem(['sync', '--config', config], env())).code).toBe(1);
      // Queue conflicts directly in the state store: A1 in account only, X1 in both objects.
      const store = new StateStore(
        await openStateDatabase({ kind: 'embedded', dataDir: join(fx.dir, 'conflicts', 'state') }),
      );
      try {
        const conflict = (key: string) => ({
          key,
          fields: [{ field: 'city', base: 'Lyon', erp: 'Paris', crm: 'Nice' }],
          existence: null,
          erpModifiedAt: null,
          crmModifiedAt: null,
          rule: 'manual',
          reason: 'both sides changed city',
          policyVersion: 'test',
        });
        await store.records.apply('demo', 'account', { conflicts: [conflict('A1'), conflict('X1')] });
        await store.records.apply('demo', 'contact', { conflicts: [conflict('X1')] });
      } finally {
        await store.close();
      }
      const show = await runTandem(['conflicts', 'show', 'A1', '--config', config], env());
      expect(show.code).toBe(0);
      expect(show.stdout).toContain('account A1 (open)');
      const ambiguous = await runTandem(['conflicts', 'show', 'X1', '--json', '--config', config], env());
      expect(ambiguous.code).toBe(2);
      expect(
        json<{ error: { code: string; message: string; context: unknown } }>(ambiguous.stdout).error,
      ).toMatchObject({
        code: 'AMBIGUOUS_KEY',
        context: { key: 'X1', objects: ['account', 'contact'] },
      });
      const ambiguousText = await runTandem(['conflicts', 'resolve', 'X1', '--take', 'erp', '--config', config], env());
      expect(ambiguousText.code).toBe(2);
      expect(ambiguousText.stderr).toContain('in several objects: account, contact');
      expect(ambiguousText.stderr).toContain('--object account or --object contact');
      const resolved = await runTandem(
        ['conflicts', 'resolve', 'A1', '--take', 'crm', '--by', 'ops', '--config', config],
        env(),
      );
      expect(resolved.code).toBe(0);
      expect(resolved.stdout).toContain('answered account A1');
      const withObject = await runTandem(
        ['conflicts', 'resolve', 'X1', '--object', 'contact', '--take', 'erp', '--config', config],
        env(),
      );
      expect(withObject.code).toBe(0);
      const nowhere = await runTandem(['conflicts', 'show', 'ZZ', '--config', config], env());
      expect(nowhere.code).toBe(2);
      expect(nowhere.stderr).toContain("no conflict with key 'ZZ' in any mapped object");
    },
    SLOW,
  );

  it(
    'status is a readable table: counts per side, queues, policy versions, watermarks as times with their age',
    async () => {
      const config = await configFile('status');
      expect((await runTandem(['sync', '--config', config], env())).code).toBe(1);
      const status = await runTandem(['status', '--config', config], env());
      expect(status.code).toBe(0);
      expect(status.stdout).not.toMatch(/\{"kind"/); // no raw JSON watermarks
      expect(status.stdout).toMatch(/RUN\s+STARTED\s+STATUS\s+TOOK\s+OBJECTS/);
      expect(status.stdout).toMatch(/#\d+\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ, (just now|\d+ (s|min) ago)\s+partial/);
      expect(status.stdout).toMatch(
        /OBJECT\s+RUN\s+SIDE\s+CAPTURED\s+CREATED\s+UPDATED\s+DELETED\s+REJECTED\s+UNPROCESSED/,
      );
      expect(status.stdout).toMatch(/account\s+#\d+\s+crm(\s+\d+){6}/);
      expect(status.stdout).toMatch(/OBJECT\s+RECORDS\s+CAPTURED WAITING\s+WRITES WAITING\s+CONFLICTS OPEN\s+FAILED/);
      expect(status.stdout).toMatch(/Policy versions[^\n]*\n\s+OBJECT\s+POLICY VERSION\s+RUN\n\s+account\s+\S+/);
      expect(status.stdout).toMatch(
        /account\s+erp\s+changes up to \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ, \d+ (s|min|h|d) ago/,
      );
      const report = json<StatusJson>((await runTandem(['status', '--json', '--config', config], env())).stdout);
      expect(Object.keys(report)).toEqual(
        expect.arrayContaining([
          'sync',
          'runs',
          'queues',
          'watermarks',
          'openJobs',
          'lastRunByObject',
          'operatorActions',
        ]),
      );
      expect(report.runs[0]).toMatchObject({ status: 'partial' });
      expect(report.lastRunByObject['account']?.policyVersion).toBeTruthy();
    },
    SLOW,
  );

  /** Starts `tandem sync`, waits until the run is recorded, then kills it with SIGKILL. */
  async function killMidRun(config: string, loginUrl: string): Promise<void> {
    const child = spawn(process.execPath, [...tandemNodeArgs(), 'sync', '--config', config], {
      cwd: repoRoot,
      env: { ...process.env, ...env(), TANDEM_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    let log = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('sync started')) resolve();
      });
      child.on('exit', () => reject(new Error(`sync ended before it started a run (${loginUrl}): ${log}`)));
    });
    await sleep(500); // inside the run: the emulator holds its query jobs (jobDelayMs)
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
  }

  for (const backend of ['postgres', 'embedded'] as const) {
    it.skipIf(backend === 'postgres' && !realDatabaseUrl())(
      `status shows a run killed with kill -9 as interrupted, not running (${backend} state)`,
      async () => {
        // Its own emulator, slow enough that the run is still capturing when it is killed.
        const slow = await startSalesforceEmulator({
          port: 0,
          clientId: fx.emulator.clientId,
          clientSecret: fx.emulator.clientSecret,
        });
        try {
          slow.setFaults({ jobDelayMs: 60_000 });
          const state =
            backend === 'postgres'
              ? `state:\n  url: ${realDatabaseUrl()!}\n  schema: ${uniqueSchemaName('killed')}`
              : undefined;
          // Its own copy of the ERP: the killed process leaves the ERP's data directory locked too.
          const erpDir = join(fx.dir, `erp-${backend}`);
          await cp(fx.erpDir, erpDir, { recursive: true });
          const config = await configFile(`killed-${backend}`, state, slow.url, erpDir);
          await killMidRun(config, slow.url);
          // The killed holder's lock of the embedded store's data directory is left behind, fresh, but it dies with
          // its holder: status opens the store at once.
          const status = await runTandem(['status', '--json', '--config', config], env());
          expect(status.code).toBe(0);
          const report = json<StatusJson>(status.stdout);
          expect(report.runs[0]).toMatchObject({ status: 'interrupted', recordedStatus: 'running', holder: 'gone' });
          const text = await runTandem(['status', '--config', config], env());
          expect(text.stdout).toMatch(/interrupted\s+-\s+account, contact\s+its process is gone/);
          expect(text.stdout).not.toMatch(/\srunning\s/);
        } finally {
          await slow.close();
        }
      },
      SLOW,
    );
  }
});
