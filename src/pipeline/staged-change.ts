import type { NativeRecord } from '../model/record.js';
import type { SystemId } from '../model/system.js';
import type { StagedChange } from '../model/record-rows.js';
import type { FieldMapper } from './sync-object.js';

/**
 * The key tandem gives a record that one side holds without a key (created there, never synced): the side's name
 * and its native id. Deterministic, so the same record always gets the same key, even before the key is written
 * back to that side.
 */
export function derivedKey(system: SystemId, nativeId: string): string {
  return `${system}-${nativeId}`;
}

/** A captured native record, mapped to canonical fields and keyed, ready for the inbox. */
export function toStagedChange(system: SystemId, record: NativeRecord, mapper: FieldMapper): StagedChange {
  const keyMissing = record.key === '';
  return {
    key: keyMissing ? derivedKey(system, record.nativeId) : record.key,
    nativeId: record.nativeId,
    fields: record.deleted ? {} : mapper.toCanonical(system, record.fields),
    modifiedAt: record.modifiedAt,
    deleted: record.deleted,
    keyMissing,
  };
}
