import { TandemError, EXIT } from '../../util/errors.js';

const FINISHED = Symbol('finished key scan');

/**
 * The live keys of one stream, from a listing that ran to its end. There is no public way to build one from a
 * partial listing: only `PostgresSource.readCompleteKeySet` creates it, after the last page.
 *
 * @example
 * ```ts
 * const live = await source.readCompleteKeySet(stream)
 * const deleted = knownKeys.filter((k) => !live.has(k))
 * ```
 */
export class CompleteKeySet {
  readonly object: string;
  readonly #keys: ReadonlyMap<string, string>;

  private constructor(token: symbol, object: string, keys: ReadonlyMap<string, string>) {
    if (token !== FINISHED) throw new TypeError('CompleteKeySet is only built from a finished key scan');
    this.object = object;
    this.#keys = keys;
  }

  /** @internal Used by the source once its listing has finished. */
  static fromFinishedScan(object: string, keys: ReadonlyMap<string, string>): CompleteKeySet {
    return new CompleteKeySet(FINISHED, object, keys);
  }

  get size(): number {
    return this.#keys.size;
  }

  has(key: string): boolean {
    return this.#keys.has(key);
  }

  /** The native id (primary key) of a live key. */
  nativeIdOf(key: string): string | undefined {
    return this.#keys.get(key);
  }

  keys(): IterableIterator<string> {
    return this.#keys.keys();
  }
}

/** A key listing stopped before its end; nothing may be concluded about deletes from it. */
export class IncompleteKeyScanError extends TandemError {
  constructor(object: string, keysSeen: number, cause: unknown) {
    super(
      `object ${object}: the key listing stopped after ${keysSeen} keys (${(cause as Error)?.message ?? String(cause)}); ` +
        `no record is treated as deleted from an incomplete listing. Run reconciliation again.`,
      { code: 'POSTGRES_KEY_SCAN_INCOMPLETE', context: { object, keysSeen }, cause, exitCode: EXIT.unavailable },
    );
  }
}
