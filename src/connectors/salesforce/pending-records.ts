/**
 * The records sent in one ingest job that have not been matched to a result row yet, by the value the result rows
 * echo back (the external ID for upsert, the Id for update and delete). Every record gets exactly one result: each
 * result row settles one record, and whatever is left when the three result files are read is `unprocessed`.
 * Memory: one Set entry per record when the match value is the key itself (upsert), one Map entry otherwise.
 */
export class PendingRecords {
  /** Match values that are also the record's key. */
  #same = new Set<string>();
  /** Match value -> key, when they differ (Id -> external ID). */
  #mapped = new Map<string, string>();
  /** Extra copies of a match value sent more than once in one job. */
  #extra = new Map<string, number>();

  get size(): number {
    let extra = 0;
    for (const n of this.#extra.values()) extra += n;
    return this.#same.size + this.#mapped.size + extra;
  }

  add(match: string, key: string): void {
    if (this.#same.has(match) || this.#mapped.has(match)) {
      this.#extra.set(match, (this.#extra.get(match) ?? 0) + 1);
      return;
    }
    if (match === key) this.#same.add(match);
    else this.#mapped.set(match, key);
  }

  /** Settles one record with this match value; returns its key, or undefined when none is pending. */
  settle(match: string): string | undefined {
    const extra = this.#extra.get(match);
    if (extra !== undefined) {
      if (extra <= 1) this.#extra.delete(match);
      else this.#extra.set(match, extra - 1);
      return this.#same.has(match) ? match : this.#mapped.get(match);
    }
    if (this.#same.delete(match)) return match;
    const key = this.#mapped.get(match);
    if (key !== undefined) this.#mapped.delete(match);
    return key;
  }

  /** Match value (`nativeId` when it is an Id) and key of every record still pending, then empties the set. */
  *drain(): Generator<{ match: string; key: string }> {
    for (const [match, n] of this.#extra) {
      const key = this.#same.has(match) ? match : (this.#mapped.get(match) ?? match);
      for (let i = 0; i < n; i += 1) yield { match, key };
    }
    for (const match of this.#same) yield { match, key: match };
    for (const [match, key] of this.#mapped) yield { match, key };
    this.#same = new Set();
    this.#mapped = new Map();
    this.#extra = new Map();
  }
}
