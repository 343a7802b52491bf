import { scaled } from '../support/timeouts.js';
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_TOKEN, createServeFixture, eventually, type ServeFixture } from '../support/serve-fixture.js';
import { tandemNodeArgs } from '../support/tandem-command.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

/**
 * The embedded state store lives in one folder that only one process may open. The lock itself is the state
 * database's (src/util/directory-lock.ts on main: "in use by another tandem process"); this checks that `serve` and `sync` both meet it.
 */
describe('a second process on the same embedded data directory is refused', () => {
  let fixture: ServeFixture;
  let first: ReturnType<typeof spawn> | undefined;
  const env = () => ({ ...process.env, ...fixture.env, TANDEM_API_TOKEN: API_TOKEN, TANDEM_LOG_LEVEL: 'error' });
  const tandem = async (args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [...tandemNodeArgs(), ...args], {
        cwd: root,
        env: env(),
        timeout: 120_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  beforeAll(async () => {
    fixture = await createServeFixture({ customers: 5 });
    first = spawn(process.execPath, [...tandemNodeArgs(), 'serve', '--config', fixture.configFile, '--port', '0'], {
      cwd: root,
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    first.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    await eventually(
      'the first serve to listen',
      async () => (out.includes('"listening"') ? true : undefined),
      180_000,
    );
  }, scaled(300_000));
  afterAll(async () => {
    if (first && first.exitCode === null) {
      const exited = new Promise((resolve) => first!.once('exit', resolve));
      first.kill('SIGTERM');
      await exited;
    }
    await fixture?.close();
  });

  it(
    'tandem sync and tandem serve exit with a clear message while serve holds the folder',
    async () => {
      for (const args of [
        ['sync', '--config', fixture.configFile],
        ['serve', '--config', fixture.configFile, '--port', '0'],
      ]) {
        const result = await tandem(args);
        expect(result.code, `${args[0]}: ${result.stderr}`).not.toBe(0);
        expect(result.stderr).toMatch(/in use by another tandem process/);
      }
    },
    scaled(400_000),
  );
});
