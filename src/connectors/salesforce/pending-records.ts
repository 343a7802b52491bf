/** Marks an entry whose key is its match value (upserts), so the key is stored once. */
const SAME = 0xffff_ffff;

/**
 * The records sent in one ingest job that have not been matched to a result row yet, by the value the result rows
 * echo back (the external ID for upsert, the Id for update and delete). Every record gets exactly one result: each
 * result row settles one record, and whatever is left when the three result files are read is `unprocessed`.
 * Salesforce does not promise result rows in upload order, so records are looked up by value.
 *
 * Memory: a JS Set of a million keys costs ~80-100 MB (a string object per key plus the entry); here the values live
 * as UTF-8 bytes in one growing buffer, with an open-addressing hash table of typed arrays: the key's bytes plus
 * 25 bytes per record, up to half again while the arrays grow (a million 14-character keys: 40-55 MB).
 *
 * @example
 * ```ts
 * const pending = new PendingRecords()
 * pending.add('001xx000003DGb2AAG', 'K-1')
 * pending.settle('001xx000003DGb2AAG') // 'K-1'
 * for (const { match, key } of pending.drain()) console.log(match, key, 'unprocessed')
 * ```
 */
export class PendingRecords {
  #bytes = Buffer.allocUnsafe(64 * 1024);
  #used = 0;
  /** Per entry: start of its match value in #bytes, the match's byte length, the key's byte length (or SAME). */
  #start = new Uint32Array(1024);
  #matchLen = new Uint32Array(1024);
  #keyLen = new Uint32Array(1024);
  #hash = new Uint32Array(1024);
  #settled = new Uint8Array(1024);
  #count = 0;
  #open = 0;
  /** Entry index + 1 per slot (0: empty); size a power of two, at most half full. */
  #table = new Uint32Array(2048);
  #scratch = Buffer.allocUnsafe(256);

  /** Records still pending. */
  get size(): number {
    return this.#open;
  }

  add(match: string, key: string): void {
    const same = match === key;
    const need = Buffer.byteLength(match, 'utf8') + (same ? 0 : Buffer.byteLength(key, 'utf8'));
    this.#reserveBytes(need);
    if (this.#count === this.#start.length) this.#growEntries();
    if ((this.#count + 1) * 2 > this.#table.length) this.#rehash(this.#table.length * 2);
    const i = this.#count;
    const start = this.#used;
    const matchLen = this.#bytes.write(match, start, 'utf8');
    const keyLen = same ? SAME : this.#bytes.write(key, start + matchLen, 'utf8');
    this.#used += matchLen + (same ? 0 : keyLen);
    const hash = fnv1a(this.#bytes, start, start + matchLen);
    this.#start[i] = start;
    this.#matchLen[i] = matchLen;
    this.#keyLen[i] = keyLen;
    this.#hash[i] = hash;
    this.#settled[i] = 0;
    this.#count += 1;
    this.#open += 1;
    this.#place(i, hash);
  }

  /** Settles one record with this match value; returns its key, or undefined when none is pending. */
  settle(match: string): string | undefined {
    if (this.#open === 0) return undefined;
    const len = Buffer.byteLength(match, 'utf8');
    if (len > this.#scratch.length) this.#scratch = Buffer.allocUnsafe(Math.max(len, this.#scratch.length * 2));
    this.#scratch.write(match, 0, 'utf8');
    const hash = fnv1a(this.#scratch, 0, len);
    const mask = this.#table.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const ref = this.#table[slot]!;
      if (ref === 0) return undefined;
      const i = ref - 1;
      if (this.#settled[i] === 1 || this.#hash[i] !== hash || this.#matchLen[i] !== len) continue;
      const start = this.#start[i]!;
      if (this.#bytes.compare(this.#scratch, 0, len, start, start + len) !== 0) continue;
      this.#settled[i] = 1;
      this.#open -= 1;
      return this.#keyLen[i] === SAME ? match : this.#keyOf(i);
    }
  }

  /** Match value (`nativeId` when it is an Id) and key of every record still pending, then empties the set. */
  *drain(): Generator<{ match: string; key: string }> {
    for (let i = 0; i < this.#count; i += 1) {
      if (this.#settled[i] === 1) continue;
      const start = this.#start[i]!;
      const match = this.#bytes.toString('utf8', start, start + this.#matchLen[i]!);
      yield { match, key: this.#keyLen[i] === SAME ? match : this.#keyOf(i) };
    }
    this.#used = 0;
    this.#count = 0;
    this.#open = 0;
    this.#table.fill(0);
  }

  #keyOf(i: number): string {
    const from = this.#start[i]! + this.#matchLen[i]!;
    return this.#bytes.toString('utf8', from, from + this.#keyLen[i]!);
  }

  #place(i: number, hash: number): void {
    const mask = this.#table.length - 1;
    let slot = hash & mask;
    while (this.#table[slot] !== 0) slot = (slot + 1) & mask;
    this.#table[slot] = i + 1;
  }

  #rehash(size: number): void {
    this.#table = new Uint32Array(size);
    for (let i = 0; i < this.#count; i += 1) this.#place(i, this.#hash[i]!);
  }

  #reserveBytes(need: number): void {
    if (this.#used + need <= this.#bytes.length) return;
    // Grow by half (not double): the buffer is most of this structure's memory.
    const next = Buffer.allocUnsafe(Math.max(this.#used + need, Math.ceil(this.#bytes.length * 1.5)));
    this.#bytes.copy(next, 0, 0, this.#used);
    this.#bytes = next;
  }

  #growEntries(): void {
    const size = Math.ceil(this.#start.length * 1.5);
    const grow = <T extends Uint32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.#start = grow(this.#start, (n) => new Uint32Array(n));
    this.#matchLen = grow(this.#matchLen, (n) => new Uint32Array(n));
    this.#keyLen = grow(this.#keyLen, (n) => new Uint32Array(n));
    this.#hash = grow(this.#hash, (n) => new Uint32Array(n));
    this.#settled = grow(this.#settled, (n) => new Uint8Array(n));
  }
}

/** 32-bit FNV-1a of bytes [from, to). */
function fnv1a(bytes: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i += 1) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}
