import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tandemNodeArgs } from '../support/tandem-command.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

/** Runs the CLI as a user would (tandemNodeArgs). */
async function tandem(args: readonly string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...tandemNodeArgs(), ...args], {
      cwd: root,
      env: { ...process.env, TANDEM_LOG_LEVEL: 'error', TANDEM_CONFIG: '' },
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

/** The one JSON error shape: exactly { error: { code, name, message, context } }. */
function errorOf(stdout: string): { code: string; name: string; message: string; context: Record<string, unknown> } {
  const parsed = JSON.parse(stdout) as { error: { code: string; name: string; message: string; context: never } };
  expect(Object.keys(parsed)).toEqual(['error']);
  expect(Object.keys(parsed.error).sort()).toEqual(['code', 'context', 'message', 'name']);
  expect(typeof parsed.error.message).toBe('string');
  return parsed.error;
}

describe('every tandem command ends an error the same way', () => {
  let dir: string;
  let existing: string;
  let missing: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-cli-errors-'));
    existing = join(dir, 'tandem.yaml');
    missing = join(dir, 'missing.yaml');
    await writeFile(existing, 'sync: [not, a, name\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // Each row: a command that fails, the error code it must report, and a fact its context must carry.
  const cases: readonly { args: (d: { existing: string; missing: string }) => string[]; code: string }[] = [
    { args: ({ existing }) => ['init', '--config', existing], code: 'FILE_EXISTS' },
    { args: ({ missing }) => ['sync', '--config', missing], code: 'CONFIG_INVALID' },
    { args: ({ existing }) => ['status', '--config', existing], code: 'CONFIG_INVALID' },
    { args: () => ['conflicts', 'resolve', 'K1', '--take', 'erp', '--set', 'phone=1'], code: 'USAGE' },
    { args: ({ missing }) => ['policy', 'check', '--config', missing], code: 'CONFIG_INVALID' },
    { args: ({ missing }) => ['erp', 'install-capture', '--config', missing], code: 'CONFIG_INVALID' },
    { args: () => ['emulator', 'salesforce', '--fault-kinds', '418'], code: 'EMULATOR_CONFIG_INVALID' },
    { args: () => ['sync', '--no-such-option'], code: 'USAGE' },
    { args: () => ['conflicts', 'show'], code: 'USAGE' },
  ];

  for (const c of cases) {
    const shown = c.args({ existing: '<existing>', missing: '<missing>' }).join(' ');
    it(`tandem ${shown} --json: exit 2 and { error: { code: ${c.code}, ... } } on stdout`, async () => {
      const result = await tandem([...c.args({ existing, missing }), '--json']);
      expect(result.code, result.stderr).toBe(2);
      const error = errorOf(result.stdout);
      expect(error.code).toBe(c.code);
      if (c.code === 'CONFIG_INVALID') expect(error.context['issues']).toEqual(expect.any(Array));
    });
  }

  it('without --json the same errors go to stderr as one line starting with tandem: or error:, exit 2', async () => {
    const usage = await tandem(['conflicts', 'resolve', 'K1']);
    expect(usage.code).toBe(2);
    expect(usage.stdout).toBe('');
    expect(usage.stderr).toMatch(/^tandem: give exactly one of --take/);
    const parse = await tandem(['sync', '--no-such-option']);
    expect(parse.code).toBe(2);
    expect(parse.stderr).toMatch(/^error: unknown option '--no-such-option'/);
  });
});
