import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import config from '../../vitest.config.js';
import { scaled, timeoutScale } from '../support/timeouts.js';

const root = join(import.meta.dirname, '..', '..');

async function testFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await testFiles(path)));
    else if (entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

describe('test time budgets scale with the machine (a loaded machine must not fail tests by chance)', () => {
  it('TANDEM_TEST_TIMEOUT_SCALE multiplies every budget; without it budgets are at least four times the quiet figure', () => {
    expect(scaled(60_000, { TANDEM_TEST_TIMEOUT_SCALE: '3' })).toBe(180_000);
    expect(scaled(60_000, { TANDEM_TEST_TIMEOUT_SCALE: '0.5' })).toBe(30_000);
    expect(() => timeoutScale({ TANDEM_TEST_TIMEOUT_SCALE: 'fast' })).toThrow(/positive number/);
    expect(timeoutScale({})).toBeGreaterThanOrEqual(4);
  });

  it('the vitest defaults are scaled budgets', () => {
    expect(config.test?.testTimeout).toBe(scaled(60_000));
    expect(config.test?.hookTimeout).toBe(scaled(60_000));
    expect(config.test?.testTimeout).toBeGreaterThanOrEqual(240_000);
  });

  it('no test file gives a test a fixed, unscaled time budget', async () => {
    const fixed: string[] = [];
    for (const file of await testFiles(join(root, 'test'))) {
      if (file === import.meta.filename) continue; // this file quotes the pattern in a comment
      const text = await readFile(file, 'utf8');
      // `}, 120_000)` or `}, Math.max(...))` closing an it()/describe(): a budget that ignores the scale.
      for (const m of text.matchAll(/\}\s*,\s*(\d[\d_]*|Math\.max\([^)]*\))\s*,?\s*\)/g)) {
        const line = text.slice(0, m.index).split('\n').length;
        fixed.push(`${relative(root, file)}:${line} ${m[1]}`);
      }
    }
    expect(fixed, 'wrap these budgets in scaled() from test/support/timeouts.ts').toEqual([]);
  });
});
