/**
 * Runs work on items split into `lanes` lanes by key, the lanes side by side, each lane's chunks one after another
 * in the items' order. Every item of one key lands in the same lane, so the work on one key keeps its order; work on
 * different lanes touches disjoint keys and may overlap (two state-store transactions on two connections, so that
 * Postgres works on both cores while Node waits).
 *
 * When a chunk fails, no lane starts another chunk; the chunks already running are awaited (a transaction still in
 * flight must end before the caller goes on, as it would if the process had stopped) and the first error is thrown.
 */
export async function forEachKeyedChunk<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  options: { readonly lanes: number; readonly chunkSize: number },
  work: (chunk: readonly T[]) => Promise<void>,
): Promise<void> {
  const lanes = Math.max(1, Math.floor(options.lanes));
  const byLane: T[][] = Array.from({ length: lanes }, () => []);
  for (const item of items) byLane[lanes === 1 ? 0 : laneOf(keyOf(item), lanes)]!.push(item);
  let failure: { error: unknown } | undefined;
  const runLane = async (laneItems: readonly T[]): Promise<void> => {
    for (let i = 0; i < laneItems.length && failure === undefined; i += options.chunkSize) {
      try {
        await work(laneItems.slice(i, i + options.chunkSize));
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(byLane.filter((l) => l.length > 0).map(runLane));
  if (failure !== undefined) throw failure.error;
}

/** The lane of a key: FNV-1a of its UTF-16 code units, modulo the number of lanes. */
export function laneOf(key: string, lanes: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % lanes;
}
