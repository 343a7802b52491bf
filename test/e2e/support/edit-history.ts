import type { FieldValue } from '../../../src/model/record.js';
import type { SystemId } from '../../../src/model/system.js';

/** One user edit of one field, as its canonical value. */
export interface FieldWrite {
  readonly side: SystemId;
  readonly value: FieldValue;
}

/**
 * What users did to each (key, field) since the start, in order, and which keys a user deleted. The oracle of the
 * end-to-end model: tandem's own writes are not in it.
 *
 * @example
 * ```ts
 * const history = new EditHistory()
 * history.write('erp', 'K1', 'name', 'Acme')
 * history.sides('K1', 'name') // Set { 'erp' }
 * ```
 */
export class EditHistory {
  readonly #writes = new Map<string, FieldWrite[]>();
  readonly #deleted = new Set<string>();
  readonly #keys = new Set<string>();
  readonly #seeds = new Map<string, FieldValue[]>();

  write(side: SystemId, key: string, field: string, value: FieldValue): void {
    this.#keys.add(key);
    const id = JSON.stringify([key, field]);
    const list = this.#writes.get(id) ?? [];
    list.push({ side, value });
    this.#writes.set(id, list);
  }

  /** A value (key, field) held without anyone editing it (a record created with the field empty). */
  seed(key: string, field: string, value: FieldValue): void {
    this.#keys.add(key);
    const id = JSON.stringify([key, field]);
    this.#seeds.set(id, [...(this.#seeds.get(id) ?? []), value]);
  }

  delete(key: string): void {
    this.#deleted.add(key);
  }

  isDeleted(key: string): boolean {
    return this.#deleted.has(key);
  }

  /** Every key a user created or edited. */
  keys(): readonly string[] {
    return [...this.#keys].sort();
  }

  writes(key: string, field: string): readonly FieldWrite[] {
    return this.#writes.get(JSON.stringify([key, field])) ?? [];
  }

  /** Which sides ever edited (key, field). */
  sides(key: string, field: string): ReadonlySet<SystemId> {
    return new Set(this.writes(key, field).map((w) => w.side));
  }

  /** The last value `side` wrote to (key, field), or undefined when it never did. */
  lastBy(side: SystemId, key: string, field: string): FieldWrite | undefined {
    return this.writes(key, field)
      .filter((w) => w.side === side)
      .at(-1);
  }

  /**
   * The last write of all when its value was never written to (key, field) before: a three-way merge must then see
   * it as a change (an edit back to an older value may legitimately look like no change at all).
   */
  freshLast(key: string, field: string): FieldWrite | undefined {
    const all = this.writes(key, field);
    const last = all.at(-1);
    if (!last) return undefined;
    const seeded = this.#seeds.get(JSON.stringify([key, field])) ?? [];
    return seeded.includes(last.value) || all.slice(0, -1).some((w) => w.value === last.value) ? undefined : last;
  }
}
