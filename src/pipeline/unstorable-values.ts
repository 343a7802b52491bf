import type { Fields, FieldValue, NativeRecord } from '../model/record.js';
import type { SystemId } from '../model/system.js';
import type { FailedEntry } from '../model/record-rows.js';
import { hasNul, withoutNul } from '../util/storable-text.js';
import { derivedKey } from './staged-change.js';

/**
 * Captured records screened for U+0000 (NUL), which neither Postgres (the ERP, tandem's state) can store:
 * - a NUL in a text field value is removed (the rule of docs/spec.md I14): the record syncs, `stripped` says where;
 * - a NUL in the key cannot be removed (the key would name another record): the record is left out of the run and
 *   reported as a failed entry under the key derived from its native id, with the reason.
 */
export interface ScreenedRecords {
  readonly records: readonly NativeRecord[];
  /** Records whose values lost a NUL: key and native field names. */
  readonly stripped: readonly { readonly key: string; readonly fields: readonly string[] }[];
  readonly failed: readonly FailedEntry[];
}

export function screenUnstorable(system: SystemId, object: string, records: readonly NativeRecord[]): ScreenedRecords {
  let out: NativeRecord[] | undefined;
  const stripped: { key: string; fields: string[] }[] = [];
  const failed: FailedEntry[] = [];
  records.forEach((record, i) => {
    const cleaned = screenOne(system, object, record, stripped, failed);
    if (cleaned === record && out === undefined) return;
    out ??= records.slice(0, i);
    if (cleaned !== undefined) out.push(cleaned);
  });
  return { records: out ?? records, stripped, failed };
}

function screenOne(
  system: SystemId,
  object: string,
  record: NativeRecord,
  stripped: { key: string; fields: string[] }[],
  failed: FailedEntry[],
): NativeRecord | undefined {
  if (hasNul(record.key) || hasNul(record.nativeId)) {
    failed.push({
      // The failed entry names the record the way tandem would without a key (the side's own id).
      system: system === 'erp' ? 'crm' : 'erp',
      key: derivedKey(system, withoutNul(record.nativeId)),
      status: 'rejected',
      reason:
        `the ${system.toUpperCase()} record ${withoutNul(record.nativeId)} of ${object} has a U+0000 (NUL) character ` +
        `in its key ${JSON.stringify(record.key)}, which Postgres cannot store; it is not synced. Fix: edit the ` +
        `key on the ${system.toUpperCase()} side; the next capture then carries the record through.`,
      payload: null,
    });
    return undefined;
  }
  let fields: Record<string, FieldValue> | undefined;
  for (const [name, value] of Object.entries(record.fields)) {
    if (typeof value !== 'string' || !hasNul(value)) continue;
    fields ??= { ...record.fields };
    fields[name] = withoutNul(value);
  }
  if (fields === undefined) return record;
  stripped.push({ key: record.key, fields: Object.keys(fields).filter((n) => fields[n] !== record.fields[n]) });
  const cleaned: Fields = Object.freeze(fields);
  return Object.freeze({ ...record, fields: cleaned });
}
