import type { ObjectMapping } from '../config/tandem-config.js';
import type { Direction } from '../model/direction.js';
import type { FieldValue, Fields } from '../model/record.js';
import type { SystemId } from '../model/system.js';
import { createFieldCodec } from './field-codec.js';

/**
 * Converts one object's records between native field names (each side's own) and canonical field names (what diff
 * and resolve see), applying types and transforms. Pure; built once per mapping.
 *
 * Normalisation is what makes echo detection work: a value read from either side gives the same canonical value,
 * and `toCanonical(s, toNative(s, c))` equals `c` for every canonical record `c` in normal form.
 *
 * @example
 * ```ts
 * const mapper = createObjectMapper(config.objects[0])
 * const canonical = mapper.toCanonical('crm', { Name: 'Acme', AnnualRevenue: '9.12260031E8' })
 * // { name: 'Acme', annual_revenue: 912260031 }
 * mapper.toNative('erp', canonical) // { name: 'Acme', annual_revenue: 912260031 }
 * ```
 */
export interface ObjectMapper {
  /** The mapping name, e.g. `account`. */
  readonly object: string;
  /** Canonical field names, sorted. */
  readonly fieldNames: readonly string[];
  /** Which way each canonical field flows. `toNative` does not filter by direction: see `writableFields`. */
  readonly directions: Readonly<Record<string, Direction>>;
  /** Columns / CRM fields to read and write on `system` (key excluded), in field order. */
  nativeFields(system: SystemId): readonly string[];
  /** Native names -> canonical names, typed and normalised; a field whose native fields are absent is absent. */
  toCanonical(system: SystemId, native: Fields): Fields;
  /** Canonical -> native names, transformed toward `system`; only the canonical fields given are produced. */
  toNative(system: SystemId, canonical: Fields): Fields;
  /** The canonical normal form of canonical fields (unknown names dropped). Idempotent. */
  normalize(canonical: Fields): Fields;
  /** Canonical fields whose direction allows writing them to `system`, sorted. */
  writableFields(system: SystemId): readonly string[];
}

export function createObjectMapper(mapping: ObjectMapping): ObjectMapper {
  const codecs = new Map(mapping.fields.map((field) => [field.name, createFieldCodec(field)]));
  const fieldNames = Object.freeze([...codecs.keys()].sort());
  const directions = Object.freeze(Object.fromEntries(mapping.fields.map((f) => [f.name, f.direction])));
  const native = {
    erp: Object.freeze(mapping.fields.flatMap((f) => f.erp)),
    crm: Object.freeze(mapping.fields.flatMap((f) => f.crm)),
  };
  const writable = {
    erp: Object.freeze(fieldNames.filter((name) => directions[name] !== 'erp-to-crm')),
    crm: Object.freeze(fieldNames.filter((name) => directions[name] !== 'crm-to-erp')),
  };

  const build = (entries: Iterable<readonly [string, FieldValue]>): Fields =>
    Object.freeze(Object.fromEntries(entries));
  return Object.freeze({
    object: mapping.name,
    fieldNames,
    directions,
    nativeFields: (system: SystemId) => native[system],
    writableFields: (system: SystemId) => writable[system],
    toCanonical(system: SystemId, fields: Fields): Fields {
      const out: [string, FieldValue][] = [];
      for (const [name, codec] of codecs) {
        const value = codec.fromNative(system, fields);
        if (value !== undefined) out.push([name, value]);
      }
      return build(out);
    },
    toNative(system: SystemId, canonical: Fields): Fields {
      const out: [string, FieldValue][] = [];
      for (const [name, value] of Object.entries(canonical)) {
        const codec = codecs.get(name);
        if (codec !== undefined) out.push(...Object.entries(codec.toNative(system, value)));
      }
      return build(out);
    },
    normalize(canonical: Fields): Fields {
      const out: [string, FieldValue][] = [];
      for (const [name, value] of Object.entries(canonical)) {
        const codec = codecs.get(name);
        if (codec !== undefined) out.push([name, codec.normalize(value)]);
      }
      return build(out);
    },
  });
}
