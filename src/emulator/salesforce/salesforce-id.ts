/**
 * Salesforce record ids: 15 case-sensitive characters (3-character key prefix + 12), plus a 3-character
 * case-safe suffix that encodes which of the 15 characters are upper case, giving the 18-character form
 * the APIs return.
 *
 * @example
 * ```ts
 * toCaseSafeId('001Ex0000000001') // '001Ex0000000001AAE'-style, 18 chars
 * ```
 */
const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Appends the case-safe suffix to a 15-character id (an 18-character id is returned unchanged). */
export function toCaseSafeId(id: string): string {
  if (id.length === 18) return id;
  if (id.length !== 15) throw new RangeError(`a Salesforce id has 15 or 18 characters, got ${id.length}: '${id}'`);
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id.charCodeAt(chunk * 5 + i);
      if (c >= 65 && c <= 90) bits |= 1 << i;
    }
    suffix += SUFFIX_ALPHABET[bits];
  }
  return id + suffix;
}

/** True for a well-formed 15- or 18-character id whose suffix (if any) matches. */
export function isValidSalesforceId(id: string): boolean {
  if (!/^[a-zA-Z0-9]{15}([a-zA-Z0-5]{3})?$/.test(id)) return false;
  return id.length === 15 || toCaseSafeId(id.slice(0, 15)) === id;
}

/**
 * Normalises an id as Salesforce accepts it in input (15 or 18 characters) to the 18-character form,
 * or returns undefined when it is malformed.
 */
export function normaliseSalesforceId(id: string): string | undefined {
  if (!isValidSalesforceId(id)) return undefined;
  return toCaseSafeId(id.slice(0, 15));
}

/** Hands out ids for one key prefix; `Ex` marks them as emulator ids, then a base-62 counter. */
export class SalesforceIdGenerator {
  #counter: number;
  constructor(
    readonly prefix: string,
    start = 1,
  ) {
    if (!/^[a-zA-Z0-9]{3}$/.test(prefix)) throw new RangeError(`key prefix must be 3 alphanumerics, got '${prefix}'`);
    this.#counter = start;
  }
  /** The counter the next id uses (persisted so ids never repeat across restarts). */
  get nextCounter(): number {
    return this.#counter;
  }
  /** Moves the counter past an id seen elsewhere (e.g. loaded from disk). */
  observe(id: string): void {
    if (!id.startsWith(this.prefix) || id.slice(3, 5) !== 'Ex') return;
    let n = 0;
    for (const ch of id.slice(5, 15)) n = n * 62 + BASE62.indexOf(ch);
    if (n >= this.#counter) this.#counter = n + 1;
  }
  next(): string {
    let n = this.#counter++;
    let digits = '';
    for (let i = 0; i < 10; i++) {
      digits = BASE62[n % 62] + digits;
      n = Math.floor(n / 62);
    }
    return toCaseSafeId(`${this.prefix}Ex${digits}`);
  }
}
