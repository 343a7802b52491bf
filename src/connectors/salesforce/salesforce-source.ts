import type { ChangeBatch, KeyEntry, CallOptions, ReadOptions, Source } from '../connector.js';
import { normalizeInstant } from '../../model/instant.js';
import type { Fields, FieldValue, NativeRecord } from '../../model/record.js';
import type { StreamRef } from '../../model/stream.js';
import { laterWatermark, type Watermark } from '../../model/watermark.js';
import type { BulkClient, PollOptions } from './bulk-client.js';
import { fromCsvValue, type SObjectField } from './field-types.js';
import { parseSalesforceStreamOptions } from './salesforce-connector-config.js';
import { buildChangesQuery, buildKeysQuery, buildRecordsByKeyQuery } from './soql.js';
import { TandemError } from '../../util/errors.js';

export interface SalesforceSourceSettings {
  readonly poll: Omit<PollOptions, 'signal'>;
  readonly queryPageSize: number;
  /** Field name (lower case) -> describe field of an entity (from `Connector.init`, or fetched on first use). */
  readonly fieldTypes: (entity: string, signal?: AbortSignal) => Promise<ReadonlyMap<string, SObjectField>>;
}

const DEFAULT_BATCH = 10_000;

/**
 * Reads Salesforce changes with Bulk API 2.0 query jobs: records after the (SystemModstamp, Id) watermark in that
 * order (`queryAll` with IsDeleted when the stream's `deletes` option is `delete`), typed by the object's describe,
 * streamed page by page so memory stays bounded whatever the result size.
 *
 * @example
 * ```ts
 * for await (const batch of source.readChanges(stream, watermark, { batchSize: 5000 })) await stage(batch)
 * ```
 */
export class SalesforceSource implements Source {
  readonly #bulk: BulkClient;
  readonly #settings: SalesforceSourceSettings;

  constructor(bulk: BulkClient, settings: SalesforceSourceSettings) {
    this.#bulk = bulk;
    this.#settings = settings;
  }

  async *readChanges(
    stream: StreamRef,
    since: Watermark | undefined,
    options: ReadOptions,
  ): AsyncGenerator<ChangeBatch> {
    const streamOptions = parseSalesforceStreamOptions(stream.name, stream.options);
    if (since !== undefined && since.kind !== 'cursor') {
      throw new TandemError(
        `stream '${stream.name}': the Salesforce source reads (SystemModstamp, Id) cursor watermarks, but the stored watermark is a '${since.kind}' one. ` +
          "Reset the stream's watermark (full read) after switching connectors.",
        { code: 'WATERMARK_KIND_MISMATCH', context: { stream: stream.name, kind: since.kind } },
      );
    }
    const withDeletes = streamOptions.deletes === 'delete';
    const soql = buildChangesQuery({
      entity: stream.entity,
      fields: [stream.keyField, ...stream.fields],
      ...(since ? { since: { modifiedAt: since.modifiedAt, id: since.id } } : {}),
      lookbackSeconds: streamOptions.lookbackSeconds,
      includeDeleted: withDeletes,
    });
    const types = await this.#settings.fieldTypes(stream.entity, options.signal);
    const batchSize = options.batchSize ?? DEFAULT_BATCH;
    let records: NativeRecord[] = [];
    let watermark: Watermark | undefined = since;
    const rows = this.#bulk.query(soql, {
      operation: withDeletes ? 'queryAll' : 'query',
      pageSize: this.#settings.queryPageSize,
      poll: { ...this.#settings.poll, ...(options.signal ? { signal: options.signal } : {}) },
      object: stream.entity,
    });
    for await (const row of rows) {
      const record = toNativeRecord(stream, row, types, withDeletes);
      records.push(record);
      // A lookback re-reads rows behind `since`; the watermark never goes back.
      watermark = laterWatermark(watermark, { kind: 'cursor', modifiedAt: record.modifiedAt, id: record.nativeId });
      if (records.length >= batchSize && watermark) {
        yield Object.freeze({ records: Object.freeze(records), watermark });
        records = [];
      }
    }
    if (records.length > 0 && watermark) yield Object.freeze({ records: Object.freeze(records), watermark });
  }

  /** The live records whose external ID is one of `keys`, read now by a Bulk API query. */
  async readKeys(stream: StreamRef, keys: readonly string[], options: CallOptions = {}): Promise<NativeRecord[]> {
    if (keys.length === 0) return [];
    const types = await this.#settings.fieldTypes(stream.entity, options.signal);
    const rows = this.#bulk.query(buildRecordsByKeyQuery(stream.entity, stream.keyField, stream.fields, keys), {
      operation: 'query',
      pageSize: this.#settings.queryPageSize,
      poll: { ...this.#settings.poll, ...(options.signal ? { signal: options.signal } : {}) },
      object: stream.entity,
    });
    const records: NativeRecord[] = [];
    for await (const row of rows) records.push(toNativeRecord(stream, row, types, false));
    return records;
  }

  async *listKeys(stream: StreamRef, options: CallOptions): AsyncGenerator<readonly KeyEntry[]> {
    const rows = this.#bulk.query(buildKeysQuery(stream.entity, stream.keyField), {
      operation: 'query',
      pageSize: this.#settings.queryPageSize,
      poll: { ...this.#settings.poll, ...(options.signal ? { signal: options.signal } : {}) },
      object: stream.entity,
    });
    let page: KeyEntry[] = [];
    for await (const row of rows) {
      page.push(Object.freeze({ key: row[stream.keyField] ?? '', nativeId: row['Id'] ?? '' }));
      if (page.length >= DEFAULT_BATCH) {
        yield Object.freeze(page);
        page = [];
      }
    }
    if (page.length > 0) yield Object.freeze(page);
  }
}

function toNativeRecord(
  stream: StreamRef,
  row: Record<string, string>,
  types: ReadonlyMap<string, SObjectField>,
  withDeletes: boolean,
): NativeRecord {
  const fields: Record<string, FieldValue> = {};
  for (const name of stream.fields) fields[name] = fromCsvValue(types.get(name.toLowerCase())?.type, row[name] ?? '');
  return Object.freeze({
    key: row[stream.keyField] ?? '',
    nativeId: row['Id'] ?? '',
    fields: Object.freeze<Fields>(fields),
    modifiedAt: normalizeInstant(row['SystemModstamp'] ?? ''),
    deleted: withDeletes && (row['IsDeleted'] ?? '').toLowerCase() === 'true',
  });
}
