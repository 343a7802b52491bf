/**
 * Takes work items one at a time from `next` (never two calls of it at once, so it may read a cursor) and runs up
 * to `workers` of them side by side, until `next` returns null. Used for transactions on disjoint key ranges, so that
 * the store's server works on both cores of a small machine while Node waits.
 *
 * When an item fails, no further item is taken; the items already running are awaited (a transaction still in
 * flight must end before the caller goes on, as it would if the process had stopped) and the first error is thrown.
 */
export async function sideBySide<T>(
  workers: number,
  next: () => Promise<T | null>,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let failure: { error: unknown } | undefined;
  let taking: Promise<unknown> = Promise.resolve();
  const take = (): Promise<T | null> => {
    const taken = taking.then(() => (failure === undefined ? next() : null));
    taking = taken.catch(() => undefined);
    return taken;
  };
  const worker = async (): Promise<void> => {
    while (failure === undefined) {
      try {
        const item = await take();
        // Another worker may have failed while this one waited for its item: it is not started then.
        if (item === null || failure !== undefined) return;
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.floor(workers)) }, worker));
  if (failure !== undefined) throw failure.error;
}
