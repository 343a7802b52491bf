/** What the index needs of a stored record: its id, its current property values and whether it is archived. */
export interface IndexedRecord {
  readonly id: string;
  readonly properties: Readonly<Record<string, string>>;
  readonly archived: boolean;
}

/**
 * Live (not archived) records of one object type by the exact value they hold in a property, so a lookup by a
 * unique value (upsert by `idProperty`, unique-value conflict checks) costs O(1) instead of a scan of every record.
 *
 * A property's index is built on its first lookup and kept from then on. The owner must call `remove` before it
 * changes a record's properties or archives it and `add` after (a record is indexed by the values it holds while
 * indexed), and `reset` when records are replaced wholesale (load, purge). The answer is the one a scan of `records`
 * in order would give: when several live records hold the value (possible for values written before a property
 * became unique), the first of them in `records` order.
 *
 * @example
 * ```ts
 * const index = new UniqueValueIndex(type.records)
 * index.find('email', 'ana@acme.io') // builds the email index once, then answers from it
 * index.remove(record); record.properties = next; index.add(record)
 * ```
 */
export class UniqueValueIndex<R extends IndexedRecord> {
  readonly #records: ReadonlyMap<string, R>;
  /** property name -> value -> live records holding it */
  readonly #byProperty = new Map<string, Map<string, Set<R>>>();

  constructor(records: ReadonlyMap<string, R>) {
    this.#records = records;
  }

  /** The first live record (in `records` order) whose property `name` is exactly `value`. */
  find(name: string, value: string): R | undefined {
    let byValue = this.#byProperty.get(name);
    if (!byValue) {
      byValue = new Map();
      for (const r of this.#records.values()) if (!r.archived) this.#put(byValue, r, name);
      this.#byProperty.set(name, byValue);
    }
    const holders = byValue.get(value);
    if (!holders) return undefined;
    if (holders.size === 1) return holders.values().next().value;
    for (const r of this.#records.values()) if (holders.has(r)) return r;
    return undefined;
  }

  /** Indexes a record by its current values (archived records are not indexed). */
  add(record: R): void {
    if (record.archived) return;
    for (const [name, byValue] of this.#byProperty) this.#put(byValue, record, name);
  }

  /** Drops a record from the index, by the values it holds now. */
  remove(record: R): void {
    for (const [name, byValue] of this.#byProperty) {
      const value = valueOf(record, name);
      if (value === undefined) continue;
      const holders = byValue.get(value);
      if (!holders) continue;
      holders.delete(record);
      if (holders.size === 0) byValue.delete(value);
    }
  }

  /** Forgets every property index; each is rebuilt on its next lookup. */
  reset(): void {
    this.#byProperty.clear();
  }

  #put(byValue: Map<string, Set<R>>, record: R, name: string): void {
    const value = valueOf(record, name);
    if (value === undefined) return;
    const holders = byValue.get(value);
    if (holders) holders.add(record);
    else byValue.set(value, new Set([record]));
  }
}

/** A record's own string value for a property (nothing for absent ones, as a scan comparing strings would see). */
function valueOf(record: IndexedRecord, name: string): string | undefined {
  if (!Object.hasOwn(record.properties, name)) return undefined;
  const value = record.properties[name];
  return typeof value === 'string' ? value : undefined;
}
