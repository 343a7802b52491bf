import { describe, expect, it } from 'vitest';
import { readAhead } from '../../../src/util/read-ahead.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A source of `n` items that logs when each read starts and ends, and when it is closed. */
function source(n: number, log: string[], failAt?: number): AsyncIterable<number> {
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for (let i = 0; i < n; i++) {
          log.push(`read ${i}`);
          await tick();
          if (i === failAt) throw new Error(`read ${i} failed`);
          log.push(`got ${i}`);
          yield i;
        }
      } finally {
        log.push('closed');
      }
    },
  };
}

describe('readAhead', () => {
  it('gives the items in order and reads the next one while the consumer works on the current one', async () => {
    const log: string[] = [];
    const seen: number[] = [];
    for await (const item of readAhead(source(4, log))) {
      log.push(`work ${item} start`);
      await tick();
      await tick();
      log.push(`work ${item} end`);
      seen.push(item);
    }
    expect(seen).toEqual([0, 1, 2, 3]);
    // Item 1 is read while item 0 is worked on.
    expect(log.indexOf('read 1')).toBeLessThan(log.indexOf('work 0 end'));
    expect(log.indexOf('got 1')).toBeLessThan(log.indexOf('work 0 end'));
    expect(log.at(-1)).toBe('work 3 end');
    expect(log).toContain('closed');
  });

  it('reports a failed read when the consumer comes to it, after the items before it', async () => {
    const log: string[] = [];
    const seen: number[] = [];
    await expect(async () => {
      for await (const item of readAhead(source(5, log, 2))) seen.push(item);
    }).rejects.toThrow('read 2 failed');
    expect(seen).toEqual([0, 1]);
  });

  it('when the consumer stops, waits for the read under way and closes the source before going on', async () => {
    const log: string[] = [];
    await expect(async () => {
      for await (const item of readAhead(source(10, log))) {
        if (item === 1) throw new Error('consumer stopped');
      }
    }).rejects.toThrow('consumer stopped');
    log.push('caller goes on');
    expect(log.slice(-2)).toEqual(['closed', 'caller goes on']);
    expect(log).toContain('got 2');
    expect(log).not.toContain('read 3');
  });
});
