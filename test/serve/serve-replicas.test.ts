import { scaled, timeoutScale } from '../support/timeouts.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { realDatabaseUrl } from '../support/test-databases.js';
import { API_TOKEN, createServeFixture, eventually, type ServeFixture } from '../support/serve-fixture.js';
import { tandemNodeArgs } from '../support/tandem-command.js';

const root = join(import.meta.dirname, '..', '..');
const url = realDatabaseUrl();

/** One `tandem serve` process, started as a user would (tandemNodeArgs), with its log lines collected. */
interface ServeProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logs: Record<string, unknown>[];
  baseUrl(): Promise<string>;
  exited(): Promise<number | null>;
}

function startServeProcess(fixture: ServeFixture, name: string): ServeProcess {
  const child = spawn(
    process.execPath,
    [...tandemNodeArgs(), 'serve', '--config', fixture.configFile, '--port', '0', '--replica', name],
    {
      cwd: root,
      env: { ...process.env, ...fixture.env, TANDEM_API_TOKEN: API_TOKEN, TANDEM_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: Record<string, unknown>[] = [];
  let listening: string | undefined;
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    const match = /"listening":"([^"]+)"/.exec(stdout);
    if (match) listening = match[1];
  });
  let pending = '';
  child.stderr.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    }
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name,
    child,
    logs,
    baseUrl: () => eventually(`${name} to listen`, async () => listening, scaled(180_000)),
    exited: () => exit,
  };
}

async function stateQuery<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

function stateSchemaOf(fixture: ServeFixture): Promise<string> {
  return import('node:fs/promises')
    .then((fs) => fs.readFile(fixture.configFile, 'utf8'))
    .then((text) => /schema: (\S+)/.exec(text)![1]!);
}

/** The CRM's accounts by external id: every ERP customer exactly once, with the ERP's name. */
async function expectConverged(fixture: ServeFixture, customers: number): Promise<void> {
  const accounts = fixture.emulator.store.list('Account');
  const byKey = new Map<string, number>();
  for (const a of accounts) byKey.set(String(a['External_Id__c']), (byKey.get(String(a['External_Id__c'])) ?? 0) + 1);
  expect(accounts).toHaveLength(customers);
  expect([...byKey.values()].every((n) => n === 1)).toBe(true);
  const erp = await fixture.erpQuery<{ customer_no: string; name: string }>(
    'select customer_no, name from public.customers',
  );
  const names = new Map(accounts.map((a) => [String(a['External_Id__c']), a['Name']]));
  for (const row of erp) expect(names.get(row.customer_no)).toBe(row.name);
}

/**
 * The lease: 15 s on a quiet machine (where timeoutScale() is 4), longer on a loaded one, so that a replica starved of
 * CPU mid-run keeps its job instead of seeing it expire and handed to the other (the kill -9 test waits it out).
 */
const LEASE_SECONDS = Math.ceil((15 * timeoutScale()) / 4);

const SERVE_YAML = `serve:
  leaseSeconds: ${LEASE_SECONDS}
  retryDelaySeconds: 1
  retryLimit: 20
  pollSeconds: 0.5
  graceSeconds: 60
`;

describe.skipIf(!url)('tandem serve replicas on one Postgres state database (real processes and sockets)', () => {
  const processes: ServeProcess[] = [];
  let fixture: ServeFixture | undefined;
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail')
      for (const p of processes)
        process.stderr.write(
          `--- ${p.name} log ---\n${p.logs
            .map((l) => JSON.stringify(l))
            .join('\n')
            .slice(-6000)}\n`,
        );
    for (const p of processes.splice(0))
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await fixture?.close();
    fixture = undefined;
  });

  const post = async (p: ServeProcess, body: unknown) =>
    fetch(new URL('/runs', await p.baseUrl()), {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const started = (p: ServeProcess) => p.logs.filter((l) => l['msg'] === 'run started');
  const finished = (p: ServeProcess) => p.logs.filter((l) => l['msg'] === 'run finished');

  it(
    '[I17] kill -9 of the replica running a sync: the other takes the run over after the lease; nothing lost or duplicated',
    async () => {
      const customers = 1500;
      fixture = await createServeFixture({
        serverUrl: url!,
        customers,
        crmYaml: '  maxUploadBytes: 2048\n',
        extraYaml: SERVE_YAML,
      });
      const a = startServeProcess(fixture, 'replica-a');
      const b = startServeProcess(fixture, 'replica-b');
      processes.push(a, b);
      await Promise.all([a.baseUrl(), b.baseUrl()]);
      expect((await post(a, { objects: ['account'] })).status).toBe(202);
      // Whichever replica took the job holds the run; the other waits.
      const [holder, other] = await eventually(
        'a replica to start the run',
        async () => (started(a).length > 0 ? [a, b] : started(b).length > 0 ? [b, a] : undefined),
        scaled(120_000),
      );
      await eventually(
        `${holder.name} to be mid-run`,
        async () => {
          const n = fixture!.emulator.store.list('Account').length;
          return n > 0 && n < customers ? true : undefined;
        },
        scaled(120_000),
      );
      expect(started(other)).toHaveLength(0);
      const killedAt = Date.now();
      holder.child.kill('SIGKILL');
      await holder.exited();
      expect(fixture.emulator.store.list('Account').length).toBeLessThan(customers);

      const takeover = await eventually(
        `${other.name} to take the run over`,
        async () => started(other)[0],
        LEASE_SECONDS * 1000 + scaled(240_000),
      );
      const seconds = (Date.now() - killedAt) / 1000;
      // The lease plus pg-boss's expiry check and the retry delay; generous for a loaded machine.
      expect(seconds).toBeLessThan(LEASE_SECONDS + 120);
      expect(takeover['objects']).toEqual(['account']);
      await eventually(`${other.name} to finish the run`, async () => finished(other)[0], scaled(240_000));
      expect(finished(other)[0]!['status']).toBe('succeeded');
      await expectConverged(fixture, customers);
      const schema = await stateSchemaOf(fixture);
      const runs = await stateQuery<{ status: string }>(`select status from ${schema}.sync_run order by id`);
      expect(runs.map((r) => r.status)).toEqual(['interrupted', 'succeeded']);
    },
    scaled(600_000),
  );

  it(
    'SIGTERM mid-run: the process stops at a safe point and exits 0; the next run resumes and completes',
    async () => {
      const customers = 1500;
      fixture = await createServeFixture({
        serverUrl: url!,
        customers,
        crmYaml: '  maxUploadBytes: 2048\n',
        extraYaml: SERVE_YAML,
      });
      const a = startServeProcess(fixture, 'replica-a');
      processes.push(a);
      expect((await post(a, { objects: ['account'] })).status).toBe(202);
      await eventually(
        'replica-a to be mid-run',
        async () => {
          const n = fixture!.emulator.store.list('Account').length;
          return n > 0 && n < customers ? true : undefined;
        },
        scaled(120_000),
      );
      a.child.kill('SIGTERM');
      expect(await a.exited()).toBe(0);
      expect(finished(a)[0]!['status']).toBe('interrupted');
      expect(fixture.emulator.store.list('Account').length).toBeLessThan(customers);

      const again = startServeProcess(fixture, 'replica-a2');
      processes.push(again);
      // The job the stopped process handed back is retried by the new one.
      await eventually('the next run to finish', async () => finished(again)[0], scaled(300_000));
      expect(finished(again)[0]!['status']).toBe('succeeded');
      await expectConverged(fixture, customers);
      again.child.kill('SIGTERM');
      expect(await again.exited()).toBe(0);
    },
    scaled(600_000),
  );

  it(
    '[I17] two replicas run each scheduled tick once and share the objects of a sync',
    async () => {
      fixture = await createServeFixture({
        serverUrl: url!,
        customers: 300,
        contacts: 300,
        crmYaml: '  maxUploadBytes: 2048\n',
        extraYaml: `${SERVE_YAML}schedule:\n  increment: "* * * * *"\n`,
      });
      const a = startServeProcess(fixture, 'replica-a');
      const b = startServeProcess(fixture, 'replica-b');
      processes.push(a, b);
      await Promise.all([a.baseUrl(), b.baseUrl()]);
      const schema = await stateSchemaOf(fixture);
      // The first tick: one run of each object, in all the replicas together.
      const firstTick = await eventually(
        'the first scheduled tick to run both objects',
        async () => {
          const rows = await stateQuery<{ objects: string[]; replica: string; trigger: string }>(
            `select objects, replica, trigger from ${schema}.serve_run order by run_id`,
          );
          return rows.length >= 2 ? rows : undefined;
        },
        scaled(240_000),
      );
      expect(
        firstTick
          .slice(0, 2)
          .map((r) => r.objects[0])
          .sort(),
      ).toEqual(['account', 'contact']);
      expect(firstTick.slice(0, 2).every((r) => r.trigger === 'increment')).toBe(true);
      // Shared: each replica ran one of them (a replica runs one object at a time; both were due together).
      expect(new Set(firstTick.slice(0, 2).map((r) => r.replica))).toEqual(new Set(['replica-a', 'replica-b']));
      // Never two runs of one object at once, nor twice in one tick: per object, runs do not overlap in time.
      const runs = await stateQuery<{ objects: string[]; started_at: Date; finished_at: Date }>(
        `select objects, started_at, finished_at from ${schema}.sync_run order by id`,
      );
      for (const object of ['account', 'contact']) {
        const mine = runs.filter((r) => r.objects.includes(object));
        for (let i = 1; i < mine.length; i++)
          expect(mine[i]!.started_at.getTime()).toBeGreaterThanOrEqual(mine[i - 1]!.finished_at.getTime());
        const minutes = mine.map((r) => Math.floor(r.started_at.getTime() / 60_000));
        expect(new Set(minutes).size).toBe(minutes.length);
      }
    },
    scaled(600_000),
  );
});
