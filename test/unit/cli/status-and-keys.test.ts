import { describe, expect, it } from 'vitest';
import type { TandemConfig } from '../../../src/config/tandem-config.js';
import { UsageError } from '../../../src/cli/cli-errors.js';
import { objectForKey } from '../../../src/cli/object-for-key.js';
import { formatAge, formatInstant } from '../../../src/report/status-report.js';

describe('status times', () => {
  const now = new Date('2026-12-01T01:05:03.000Z');
  it('prints a time as UTC with its age', () => {
    expect(formatInstant('2026-12-01T01:02:03.123456Z', now)).toBe('2026-12-01 01:02:03Z, 3 min ago');
    expect(formatInstant('2026-11-29T01:05:03Z', now)).toBe('2026-11-29 01:05:03Z, 2 d ago');
    expect(formatInstant('not a time', now)).toBe('not a time');
  });
  it('says how old in the largest whole unit', () => {
    expect(formatAge(0)).toBe('just now');
    expect(formatAge(42_000)).toBe('42 s ago');
    expect(formatAge(5 * 3600_000 + 59_000)).toBe('5 h ago');
    expect(formatAge(-120_000)).toBe('in 2 min');
  });
});

describe('the object of a key given alone', () => {
  const config = {
    file: '/x/tandem.yaml',
    objects: [{ name: 'account' }, { name: 'contact' }],
  } as unknown as TandemConfig;
  const lookup = (found: readonly string[]) => ({
    queue: 'conflict',
    list: 'tandem conflicts list',
    objectsWithKey: () => Promise.resolve(found),
  });
  it('takes --object when given (it must be mapped), else the one object that has the key', async () => {
    expect(await objectForKey(config, 'contact', 'K', lookup([]))).toBe('contact');
    await expect(objectForKey(config, 'nope', 'K', lookup([]))).rejects.toThrow("unknown object 'nope'");
    expect(await objectForKey(config, undefined, 'K', lookup(['contact']))).toBe('contact');
  });
  it('names the objects and the fix when the key is ambiguous, and says so when it is nowhere', async () => {
    const ambiguous = objectForKey(config, undefined, 'K', lookup(['account', 'contact']));
    await expect(ambiguous).rejects.toBeInstanceOf(UsageError);
    await expect(ambiguous).rejects.toMatchObject({
      code: 'AMBIGUOUS_KEY',
      context: { key: 'K', objects: ['account', 'contact'] },
      message: expect.stringContaining('--object account or --object contact'),
    });
    await expect(objectForKey(config, undefined, 'K', lookup([]))).rejects.toThrow("no conflict with key 'K'");
  });
});
