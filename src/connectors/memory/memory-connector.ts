import type { Fields } from '../../model/record.js';
import type { StreamRef } from '../../model/stream.js';
import type { SystemId } from '../../model/system.js';
import { compareWatermarks, type Watermark } from '../../model/watermark.js';
import type {
  CallOptions,
  ChangeBatch,
  Connector,
  ConnectorCapabilities,
  KeyEntry,
  OutboundRecord,
  ReadOptions,
  Sink,
  Source,
  WriteOptions,
  WriteResult,
} from '../connector.js';
import type { MemorySystem, MemoryRow } from './memory-system.js';

export interface MemoryConnectorOptions {
  readonly system: SystemId;
  readonly data: MemorySystem;
  /** Largest batch the sink wants. Default 1000. */
  readonly maxBatchSize?: number;
  /** Rejects a record with the returned reason (simulates validation rules). */
  readonly reject?: (stream: StreamRef, record: OutboundRecord) => string | undefined;
}

/**
 * The reference connector: an in-memory system that honours the same contract as the real ones (and runs the same
 * contract suite). Reads changes in (modifiedAt, nativeId) order after a cursor watermark; reports soft deletes as
 * tombstones; upserts on the key; rejections are results.
 */
export class MemoryConnector implements Connector {
  readonly system: SystemId;
  readonly capabilities: ConnectorCapabilities;
  readonly #options: MemoryConnectorOptions;
  /** Calls to the sink, for tests that check a quiet run writes nothing. */
  writeCalls = 0;

  constructor(options: MemoryConnectorOptions) {
    this.system = options.system;
    this.#options = options;
    this.capabilities = { supportsKeyListing: true, reportsDeletes: true, maxBatchSize: options.maxBatchSize ?? 1000 };
  }

  async init(_streams: readonly StreamRef[], _options?: CallOptions): Promise<void> {}

  createSource(): Source {
    const data = this.#options.data;
    return {
      // eslint-disable-next-line @typescript-eslint/require-await -- pages rows already in memory: nothing to await
      async *readChanges(
        stream: StreamRef,
        since: Watermark | undefined,
        options: ReadOptions,
      ): AsyncIterable<ChangeBatch> {
        const pageSize = options.batchSize ?? 1000;
        const rows = [...data.rows(stream.entity).values()]
          .map((row) => ({ row, cursor: { kind: 'cursor', modifiedAt: row.modifiedAt, id: row.nativeId } as const }))
          .filter(({ cursor }) => since === undefined || compareWatermarks(cursor, since) > 0)
          .sort((a, b) => compareWatermarks(a.cursor, b.cursor));
        for (let i = 0; i < rows.length; i += pageSize) {
          options.signal?.throwIfAborted();
          const page = rows.slice(i, i + pageSize);
          yield {
            records: page.map(({ row }) => ({
              key: row.key,
              nativeId: row.nativeId,
              fields: pick(row.fields, stream.fields),
              modifiedAt: row.modifiedAt,
              deleted: row.deleted,
            })),
            watermark: page[page.length - 1]!.cursor,
          };
        }
      },
      // eslint-disable-next-line @typescript-eslint/require-await -- keys already in memory: nothing to await
      async *listKeys(stream: StreamRef): AsyncIterable<readonly KeyEntry[]> {
        yield data.live(stream.entity).map((row) => ({ key: row.key, nativeId: row.nativeId }));
      },
    };
  }

  createSink(): Sink {
    const options = this.#options;
    const countWrite = (): void => {
      this.writeCalls += 1;
    };
    return {
      async *write(
        stream: StreamRef,
        batches: AsyncIterable<readonly OutboundRecord[]>,
        _options: WriteOptions,
      ): AsyncIterable<readonly WriteResult[]> {
        countWrite();
        for await (const batch of batches) {
          yield batch.map((record) => writeOne(options, stream, record));
        }
      },
      async *resume(): AsyncIterable<readonly WriteResult[]> {},
    };
  }

  async close(): Promise<void> {}
}

function pick(fields: Fields, names: readonly string[]): Fields {
  const out: Record<string, Fields[string]> = {};
  for (const name of names) out[name] = fields[name] ?? null;
  return out;
}

function writeOne(options: MemoryConnectorOptions, stream: StreamRef, record: OutboundRecord): WriteResult {
  const data = options.data;
  const reason = options.reject?.(stream, record);
  if (reason) return { key: record.key, status: 'rejected', reason };
  let row: MemoryRow | undefined = record.nativeId ? data.rows(stream.entity).get(record.nativeId) : undefined;
  if (row?.deleted) row = undefined;
  row ??= data.findByKey(stream.entity, record.key);
  if (record.op === 'delete') {
    if (row) data.delete(stream.entity, row.nativeId);
    return row
      ? { key: record.key, status: 'deleted', nativeId: row.nativeId }
      : { key: record.key, status: 'deleted' };
  }
  for (const field of Object.keys(record.fields)) {
    if (!stream.fields.includes(field))
      return { key: record.key, status: 'rejected', reason: `unknown field '${field}' on ${stream.entity}` };
  }
  if (!row) {
    const created = data.insert(stream.entity, record.key, record.fields);
    return { key: record.key, status: 'created', nativeId: created.nativeId };
  }
  const updated = data.update(stream.entity, row.nativeId, record.fields);
  if (updated.key !== record.key) data.setKey(stream.entity, row.nativeId, record.key, updated.modifiedAt);
  return { key: record.key, status: 'updated', nativeId: row.nativeId };
}
