import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forEachKeyedChunk, laneOf } from '../../../src/util/keyed-lanes.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('forEachKeyedChunk', () => {
  it('hands every item over once, each key in one lane and in its order, chunks no larger than asked (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'K1', 'K2', 'ü'), n: fc.nat() })),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 5 }),
        async (items, lanes, chunkSize) => {
          const seen: { key: string; n: number; chunk: number }[] = [];
          const chunkKeys: string[][] = [];
          await forEachKeyedChunk(
            items,
            (i) => i.key,
            { lanes, chunkSize },
            async (chunk) => {
              expect(chunk.length).toBeGreaterThan(0);
              expect(chunk.length).toBeLessThanOrEqual(chunkSize);
              const id = chunkKeys.push(chunk.map((i) => i.key)) - 1;
              await tick();
              for (const item of chunk) seen.push({ ...item, chunk: id });
            },
          );
          expect(seen.map(({ key, n }) => ({ key, n })).sort(byKeyThenN)).toEqual([...items].sort(byKeyThenN));
          for (const key of new Set(items.map((i) => i.key))) {
            // Each key's items come in their original order, from chunks of one lane only.
            expect(seen.filter((s) => s.key === key).map((s) => s.n)).toEqual(
              items.filter((i) => i.key === key).map((i) => i.n),
            );
            const lanesOfKey = new Set(
              chunkKeys.filter((keys) => keys.includes(key)).flatMap((keys) => keys.map((k) => laneOf(k, lanes))),
            );
            expect(lanesOfKey.size).toBe(1);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('runs the lanes side by side', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `K${i}`);
    let running = 0;
    let most = 0;
    await forEachKeyedChunk(
      keys,
      (k) => k,
      { lanes: 2, chunkSize: 5 },
      async () => {
        running += 1;
        most = Math.max(most, running);
        await tick();
        running -= 1;
      },
    );
    expect(most).toBe(2);
  });

  it('after a failure starts no chunk, waits for the chunk still running, then throws the first error', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `K${i}`);
    const events: string[] = [];
    let calls = 0;
    const failing = forEachKeyedChunk(
      keys,
      (k) => k,
      { lanes: 2, chunkSize: 5 },
      async (chunk) => {
        const call = ++calls;
        events.push(`start ${call}`);
        if (call === 3) throw new Error(`chunk ${call} failed`);
        await tick();
        await tick();
        events.push(`end ${call}`);
        void chunk;
      },
    );
    await expect(failing).rejects.toThrow('chunk 3 failed');
    // Every chunk that started has ended (or failed) by the time the error comes out, and none started after it.
    const started = events.filter((e) => e.startsWith('start')).length;
    const ended = events.filter((e) => e.startsWith('end')).length;
    expect(ended).toBe(started - 1);
    expect(events.indexOf('start 3')).toBeGreaterThan(-1);
    expect(started).toBeLessThan(8);
  });

  it('with one lane works through the chunks in order', async () => {
    const order: string[] = [];
    await forEachKeyedChunk(
      ['x', 'y', 'z', 'x'],
      (k) => k,
      { lanes: 1, chunkSize: 3 },
      async (chunk) => {
        order.push(chunk.join(''));
      },
    );
    expect(order).toEqual(['xyz', 'x']);
  });
});

function byKeyThenN(a: { key: string; n: number }, b: { key: string; n: number }): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : a.n - b.n;
}
