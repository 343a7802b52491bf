import type { FieldMapping } from '../config/tandem-config.js';
import type { FieldValue, Fields } from '../model/record.js';
import type { SystemId } from '../model/system.js';
import { normalizeValue } from './normalize-value.js';
import { createStringPipeline } from './string-pipeline.js';

/**
 * One field's conversions between native fields and its canonical value. Pure.
 *
 * @example
 * ```ts
 * const codec = createFieldCodec(contactField) // erp: contact_name, crm: [FirstName, LastName], split ' '
 * codec.toNative('crm', 'Ada Lovelace') // { FirstName: 'Ada', LastName: 'Lovelace' }
 * ```
 */
export interface FieldCodec {
  readonly name: string;
  /** The canonical value from a native record; undefined when the record lacks any of the field's native fields. */
  fromNative(system: SystemId, native: Fields): FieldValue | undefined;
  /** The native fields for a canonical value (several for the split side of a split-join). */
  toNative(system: SystemId, value: FieldValue): Fields;
  /** The canonical normal form of a canonical value. Idempotent. */
  normalize(value: FieldValue): FieldValue;
}

export function createFieldCodec(field: FieldMapping): FieldCodec {
  const split = field.transforms.find((t) => t.kind === 'split-join');
  const separator = split?.kind === 'split-join' ? split.separator : ' ';
  const text = createStringPipeline(field.transforms);
  const typed = (value: FieldValue): FieldValue => normalizeValue(field.type, value);
  // Only string fields have transforms (validated), and only strings go through them.
  const viaText = (fn: (s: string | null) => string | null, value: FieldValue): FieldValue => {
    const v = typed(value);
    return field.type === 'string' && (typeof v === 'string' || v === null) ? fn(v) : v;
  };
  const normalize = (value: FieldValue) => viaText((s) => text.normalize(s), value);

  return {
    name: field.name,
    normalize,
    fromNative(system, native) {
      const names = field[system];
      if (!names.every((name) => Object.hasOwn(native, name))) return undefined;
      // Several native fields (the split side): join the non-empty parts, then normalise as one string.
      const joined =
        names.length === 1
          ? (native[names[0] ?? ''] ?? null)
          : names
              .map((name) => typed(native[name] ?? null))
              .filter((part) => part !== null)
              .map(String)
              .join(separator);
      return viaText((s) => (system === 'erp' ? text.fromErp(s) : text.normalize(s)), joined);
    },
    toNative(system, value) {
      const names = field[system];
      const canonical = system === 'erp' ? viaText((s) => text.toErp(s), value) : normalize(value);
      if (names.length === 1) return { [names[0] ?? '']: canonical };
      // The split side: the first parts one each, the last part takes the rest (`Ada King Lovelace` -> Ada | King Lovelace).
      const parts = canonical === null ? [] : String(canonical).split(separator);
      return Object.fromEntries(
        names.map((name, i) => {
          const part = i === names.length - 1 ? parts.slice(i).join(separator) : parts[i];
          return [name, part === undefined || part === '' ? null : part];
        }),
      );
    },
  };
}
