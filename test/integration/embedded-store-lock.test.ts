import { scaled } from '../support/timeouts.js';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { openConnector } from '../../src/engine/open-engine.js';
import { openStateDatabase } from '../../src/state/state-database.js';
import { DEFAULT_LOCK_STALE_MS, DirectoryLockedError, lockDirectory } from '../../src/util/directory-lock.js';
import { silentLogger } from '../../src/util/logger.js';
import { tandemNodeArgs } from '../support/tandem-command.js';

const root = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);
const ENV = { TANDEM_DEMO_SF_URL: 'http://127.0.0.1:9', TANDEM_DEMO_CLIENT_ID: 'x', TANDEM_DEMO_CLIENT_SECRET: 'y' };

/** Runs the CLI in its own process (tandemNodeArgs); returns stderr and the exit code. */
async function tandem(args: readonly string[]): Promise<{ stderr: string; code: number }> {
  try {
    const { stderr } = await run(process.execPath, [...tandemNodeArgs(), ...args], {
      cwd: root,
      env: { ...process.env, TANDEM_LOG_LEVEL: 'error', ...ENV },
    });
    return { stderr, code: 0 };
  } catch (error) {
    const e = error as { stderr: string; code: number };
    return { stderr: e.stderr, code: e.code };
  }
}

/** Starts a process that opens the embedded state store in `dataDir` and holds it; resolves once it holds it. */
async function holder(dataDir: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'test/support/hold-embedded-store.ts'), dataDir],
    {
      cwd: root,
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`holder exited early with ${code}`)));
  });
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('[I14] the embedded stores serve one process at a time', () => {
  let dir: string;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-lock-'));
  });
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function writeConfig(name: string): Promise<string> {
    const file = join(dir, `${name}.yaml`);
    const example = await readFile(join(root, 'examples', 'demo.tandem.yaml'), 'utf8');
    await writeFile(
      file,
      example.replaceAll('../.tandem/demo/', `./${name}/`) +
        `\npolicies:\n  dir: ${JSON.stringify(join(root, 'conflict-rules'))}\n`,
    );
    return file;
  }

  it(
    'refuses a second open of the state store in the same process, and allows it after close',
    async () => {
      const dataDir = join(dir, 'in-process');
      const first = await openStateDatabase({ kind: 'embedded', dataDir });
      const second = openStateDatabase({ kind: 'embedded', dataDir });
      await expect(second).rejects.toBeInstanceOf(DirectoryLockedError);
      await expect(second).rejects.toThrow(/in use by another tandem process/);
      await first.close();
      const again = await openStateDatabase({ kind: 'embedded', dataDir });
      await again.close();
    },
    scaled(120_000),
  );

  it(
    'refuses a second open of the embedded ERP database in the same process',
    async () => {
      const config = await loadConfig(await writeConfig('erp-twice'), ENV);
      const first = await openConnector(config, 'erp', silentLogger());
      try {
        await expect(openConnector(config, 'erp', silentLogger())).rejects.toThrow(/embedded ERP database .* in use/);
      } finally {
        await first.close();
      }
      const again = await openConnector(config, 'erp', silentLogger());
      await again.close();
    },
    scaled(120_000),
  );

  it(
    'refuses a second process (exit 4, a clear message) while the first holds the store',
    async () => {
      const config = await writeConfig('two');
      const child = await holder(join(dir, 'two', 'state'));
      children.push(child);
      for (const command of [['migrate'], ['status']]) {
        const second = await tandem([...command, '--config', config]);
        expect(second.code).toBe(4);
        expect(second.stderr).toMatch(/embedded state store .* is in use by another tandem process/);
        expect(second.stderr).toContain('state.url');
      }
      child.stdin?.end();
      expect(await exited(child)).toBe(0);
      // The holder released the lock on close: the next process may open the store.
      const after = await tandem(['migrate', '--config', config]);
      expect(after.stderr).toBe('');
      expect(after.code).toBe(0);
    },
    scaled(120_000),
  );

  it(
    'a lock whose holder was killed (SIGKILL) is taken at once: it dies with its holder',
    async () => {
      const dataDir = join(dir, 'killed');
      const child = await holder(dataDir);
      children.push(child);
      await expect(lockDirectory(dataDir, { what: 'x', alternative: 'y' })).rejects.toBeInstanceOf(
        DirectoryLockedError,
      );
      child.kill('SIGKILL');
      await exited(child);
      // The killed holder's lock is still there, freshly refreshed (well within the stale time), but its process is
      // gone: the next open takes it without waiting.
      const lock = `${dataDir}.lock`;
      expect(Date.now() - (await stat(lock)).mtimeMs).toBeLessThan(DEFAULT_LOCK_STALE_MS);
      const database = await openStateDatabase({ kind: 'embedded', dataDir });
      await database.close();
    },
    scaled(120_000),
  );

  it(
    'a live holder keeps its lock however long it went without refreshing it (a process starved of CPU is not dead)',
    async () => {
      const dataDir = join(dir, 'starved');
      const child = await holder(dataDir);
      children.push(child);
      const lock = `${dataDir}.lock`;
      // A holder that cannot refresh its lock for longer than the stale time, as on a machine with a load of 30:
      // stop it (SIGSTOP) until its lock is older than a short stale time, then try to take the lock.
      child.kill('SIGSTOP');
      let refreshed: number;
      try {
        const stopped = (await stat(lock)).mtimeMs;
        while (Date.now() - stopped < 2500) await new Promise((resolve) => setTimeout(resolve, 250));
        refreshed = (await stat(lock)).mtimeMs;
        expect(refreshed).toBe(stopped);
        const taken = lockDirectory(dataDir, { what: 'the embedded state store', alternative: 'y', staleMs: 2000 });
        await expect(taken).rejects.toBeInstanceOf(DirectoryLockedError);
        await expect(taken).rejects.toThrow(new RegExp(`held by process ${child.pid}`));
      } finally {
        child.kill('SIGCONT');
      }
      // The holder carries on: it was not robbed of its lock (that would end it with DirectoryLockLostError), it
      // refreshes the lock again and releases it on close.
      while ((await stat(lock)).mtimeMs === refreshed) await new Promise((resolve) => setTimeout(resolve, 250));
      child.stdin?.end();
      expect(await exited(child)).toBe(0);
      const database = await openStateDatabase({ kind: 'embedded', dataDir });
      await database.close();
    },
    scaled(120_000),
  );

  it(
    'a lock whose holder cannot be checked (no owner file, as from another host) is taken once stale',
    async () => {
      const dataDir = join(dir, 'unknown-holder');
      await mkdir(dataDir, { recursive: true });
      const lock = `${dataDir}.lock`;
      await mkdir(lock);
      await expect(lockDirectory(dataDir, { what: 'x', alternative: 'y', staleMs: 2000 })).rejects.toBeInstanceOf(
        DirectoryLockedError,
      );
      const old = new Date(Date.now() - 3000);
      await utimes(lock, old, old);
      const release = await lockDirectory(dataDir, { what: 'x', alternative: 'y', staleMs: 2000 });
      await release();
      await expect(stat(lock)).rejects.toMatchObject({ code: 'ENOENT' });
    },
    scaled(120_000),
  );
});
