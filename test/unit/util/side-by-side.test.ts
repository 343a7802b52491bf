import { describe, expect, it } from 'vitest';
import { sideBySide } from '../../../src/util/side-by-side.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A cursor over 0..n-1 that fails if it is ever read by two callers at once. */
function cursor(n: number): () => Promise<number | null> {
  let at = 0;
  let reading = false;
  return async () => {
    if (reading) throw new Error('next() called while another call was running');
    reading = true;
    await tick();
    reading = false;
    return at < n ? at++ : null;
  };
}

describe('sideBySide', () => {
  it('runs every item once, at most `workers` at a time, reading the cursor one call at a time', async () => {
    for (const workers of [1, 2, 3]) {
      const done: number[] = [];
      let running = 0;
      let most = 0;
      await sideBySide(workers, cursor(25), async (item) => {
        running += 1;
        most = Math.max(most, running);
        for (let t = 0; t < 6; t++) await tick();
        running -= 1;
        done.push(item);
      });
      expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
      expect(most).toBe(workers);
    }
  });

  it('after a failure takes no item, waits for the items still running, then throws the first error', async () => {
    const events: string[] = [];
    const failing = sideBySide(2, cursor(50), async (item) => {
      events.push(`start ${item}`);
      if (item === 4) throw new Error(`item ${item} failed`);
      await tick();
      await tick();
      await tick();
      events.push(`end ${item}`);
    });
    await expect(failing).rejects.toThrow('item 4 failed');
    const started = events.filter((e) => e.startsWith('start')).length;
    const ended = events.filter((e) => e.startsWith('end')).length;
    expect(ended).toBe(started - 1);
    expect(started).toBeLessThanOrEqual(6);
  });

  it('does not start an item a worker was waiting for when another worker failed meanwhile', async () => {
    const started: number[] = [];
    const failing = sideBySide(2, cursor(10), async (item) => {
      started.push(item);
      if (item === 0) throw new Error('item 0 failed');
      await tick();
    });
    await expect(failing).rejects.toThrow('item 0 failed');
    // Item 1 was being read (one tick) when item 0 failed: it is taken but not started.
    expect(started).toEqual([0]);
  });

  it('throws an error of the cursor itself', async () => {
    await expect(
      sideBySide(
        2,
        async () => {
          throw new Error('no cursor');
        },
        async () => {},
      ),
    ).rejects.toThrow('no cursor');
  });
});
