/**
 * Iterates `source` one item ahead: while the consumer works on an item, the next one is already being read (a page
 * of a source read from one system while the previous page is written to another), so the two systems work at the
 * same time. The items and their order are those of `source`.
 *
 * When the consumer stops early (break, or an error in its loop body), the read already under way is awaited, its
 * item or error dropped, and the source is closed (`return`), so no read is left running behind the caller.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
  const iterator = source[Symbol.asyncIterator]();
  let next: Promise<IteratorResult<T>> | undefined = iterator.next();
  try {
    for (;;) {
      const current: IteratorResult<T> = await next;
      next = undefined;
      if (current.done === true) return;
      next = iterator.next();
      // A read that fails while the consumer is busy is reported when the consumer asks for it (or dropped above).
      next.catch(() => undefined);
      yield current.value;
    }
  } finally {
    if (next !== undefined) {
      await next.catch(() => undefined);
      await iterator.return?.();
    }
  }
}
