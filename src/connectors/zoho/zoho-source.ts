import type { CallOptions, ChangeBatch, KeyEntry, ReadOptions, Source } from '../connector.js';
import { instantToEpochNanos, normalizeInstant } from '../../model/instant.js';
import type { Fields, FieldValue, NativeRecord } from '../../model/record.js';
import type { StreamRef } from '../../model/stream.js';
import { laterWatermark, type Watermark } from '../../model/watermark.js';
import { TandemError } from '../../util/errors.js';
import type { ZohoApi } from './zoho-api.js';
import { bulkReadRows } from './zoho-bulk-read.js';
import { parseZohoStreamOptions } from './zoho-connector-config.js';
import { fromZohoValue, type ZohoField } from './zoho-fields.js';
import type { PollSettings } from './zoho-polling.js';
import { textOf } from '../../util/text-of.js';

const DEFAULT_BATCH = 5_000;
/** REST listings stop at 100,000 records per page-token chain: restart from the last timestamp before that. */
const TOKEN_CHAIN_LIMIT = 99_800;

export interface ZohoSourceSettings {
  readonly poll: PollSettings;
  readonly fields: (module: string, signal?: AbortSignal) => Promise<ReadonlyMap<string, ZohoField>>;
}

/**
 * Reads Zoho changes. A full read (no watermark) and key listing go through Bulk Read (50 credits a job, 200,000
 * rows a page), ordered by (Modified_Time, id) and de-duplicated locally since Bulk Read rows are unsorted. An
 * increment lists by REST with `If-Modified-Since` one second (plus the lookback) before the watermark, sorted by
 * Modified_Time, 200 a page with page tokens: Modified_Time has whole seconds, so the watermark's whole second is
 * read again and a change made later in that second is never skipped. With the stream option `deletes: delete`
 * (default) an increment also reads the deleted-records endpoint over the same window and reports each delete as a
 * tombstone with the Zoho id and no key; the capture stage gives it the key tandem stores for that id.
 *
 * @example
 * ```ts
 * for await (const batch of source.readChanges(stream, watermark, { batchSize: 1000 })) await stage(batch)
 * ```
 */
export class ZohoSource implements Source {
  readonly #api: ZohoApi;
  readonly #settings: ZohoSourceSettings;

  constructor(api: ZohoApi, settings: ZohoSourceSettings) {
    this.#api = api;
    this.#settings = settings;
  }

  async *readChanges(
    stream: StreamRef,
    since: Watermark | undefined,
    options: ReadOptions,
  ): AsyncGenerator<ChangeBatch> {
    const streamOptions = parseZohoStreamOptions(stream.name, stream.options);
    if (since !== undefined && since.kind !== 'cursor') {
      throw new TandemError(
        `stream '${stream.name}': the Zoho source reads (Modified_Time, id) cursor watermarks, but the stored watermark is a '${since.kind}' one. Reset the stream's watermark (full read) after switching connectors.`,
        { code: 'WATERMARK_KIND_MISMATCH', context: { stream: stream.name, kind: since.kind } },
      );
    }
    const types = await this.#settings.fields(stream.entity, options.signal);
    const batchSize = options.batchSize ?? DEFAULT_BATCH;
    const wanted = [stream.keyField, ...stream.fields, 'Modified_Time'];
    if (since === undefined) {
      const byId = new Map<string, { record: NativeRecord; at: bigint }>();
      for await (const rows of bulkReadRows(
        this.#api,
        { module: stream.entity, fields: wanted },
        this.#settings.poll,
        options.signal,
      )) {
        for (const row of rows) {
          const record = toNativeRecord(stream, row, types);
          const at = instantToEpochNanos(record.modifiedAt);
          const seen = byId.get(record.nativeId);
          if (!seen || at >= seen.at) byId.set(record.nativeId, { record, at });
        }
      }
      const ordered = [...byId.values()]
        .sort((a, b) => (a.at !== b.at ? (a.at < b.at ? -1 : 1) : a.record.nativeId < b.record.nativeId ? -1 : 1))
        .map((e) => e.record);
      for (let i = 0; i < ordered.length; i += batchSize) {
        const records = ordered.slice(i, i + batchSize);
        const last = records[records.length - 1]!;
        yield Object.freeze({
          records: Object.freeze(records),
          watermark: { kind: 'cursor' as const, modifiedAt: last.modifiedAt, id: last.nativeId },
        });
      }
      return;
    }
    // Increment: REST listing from one second (plus lookback) before the watermark's second.
    const fromNanos = instantToEpochNanos(since.modifiedAt);
    const floorSeconds = Number(fromNanos / 1_000_000_000n) - streamOptions.lookbackSeconds;
    let sinceSeconds = floorSeconds - 1;
    let watermark: Watermark = since;
    let records: NativeRecord[] = [];
    for (;;) {
      let pageToken: string | undefined;
      let inChain = 0;
      let lastSeconds = sinceSeconds;
      let restart = false;
      for (;;) {
        const page = await this.#api.list(
          stream.entity,
          { fields: wanted, since: zohoInstant(sinceSeconds), pageToken },
          options.signal,
        );
        if (page === undefined) break;
        for (const row of page.data) {
          const record = toNativeRecord(stream, row, types);
          const seconds = Number(instantToEpochNanos(record.modifiedAt) / 1_000_000_000n);
          lastSeconds = Math.max(lastSeconds, seconds);
          if (seconds < floorSeconds) continue;
          records.push(record);
          watermark =
            laterWatermark(watermark, { kind: 'cursor', modifiedAt: record.modifiedAt, id: record.nativeId }) ??
            watermark;
          if (records.length >= batchSize) {
            yield Object.freeze({ records: Object.freeze(records), watermark });
            records = [];
          }
        }
        inChain += page.data.length;
        if (!page.moreRecords || page.nextPageToken === undefined) break;
        if (inChain >= TOKEN_CHAIN_LIMIT) {
          // Start a new chain from just before the last second seen: that second is read again, nothing skipped.
          restart = lastSeconds - 1 > sinceSeconds;
          if (!restart) {
            throw new TandemError(
              `stream '${stream.name}': more than 100,000 Zoho records share one Modified_Time second; REST listing cannot page past them. Run a full read (Bulk Read).`,
              { code: 'ZOHO_LISTING_LIMIT', context: { stream: stream.name } },
            );
          }
          sinceSeconds = lastSeconds - 1;
          break;
        }
        pageToken = page.nextPageToken;
      }
      if (!restart) break;
    }
    if (streamOptions.deletes === 'delete') {
      // After the listing, so that a delete made while it ran is either listed here (deleted before this call) or
      // at or after the watermark's second (read again next time): tombstones never move the watermark.
      for await (const tombstones of this.#deleted(stream.entity, floorSeconds, options.signal)) {
        for (const tombstone of tombstones) {
          records.push(tombstone);
          if (records.length >= batchSize) {
            yield Object.freeze({ records: Object.freeze(records), watermark });
            records = [];
          }
        }
      }
    }
    if (records.length > 0) yield Object.freeze({ records: Object.freeze(records), watermark });
  }

  /**
   * Tombstones of the records deleted from `floorSeconds` on, by Zoho id only (the deleted-records endpoint names
   * no field values): the engine finds their keys through the native ids it stores.
   */
  async *#deleted(module: string, floorSeconds: number, signal?: AbortSignal): AsyncGenerator<NativeRecord[]> {
    for (let page = 1; ; page++) {
      const answer = await this.#api.deleted(module, { since: zohoInstant(floorSeconds - 1), page }, signal);
      if (answer === undefined) return;
      const tombstones: NativeRecord[] = [];
      for (const d of answer.data) {
        const deletedAt = normalizeInstant(d.deletedTime);
        if (Number(instantToEpochNanos(deletedAt) / 1_000_000_000n) < floorSeconds) continue;
        tombstones.push(
          Object.freeze({ key: '', nativeId: d.id, fields: Object.freeze({}), modifiedAt: deletedAt, deleted: true }),
        );
      }
      yield tombstones;
      if (!answer.moreRecords) return;
    }
  }

  async *listKeys(stream: StreamRef, options: CallOptions): AsyncGenerator<readonly KeyEntry[]> {
    const seen = new Set<string>();
    for await (const rows of bulkReadRows(
      this.#api,
      { module: stream.entity, fields: [stream.keyField] },
      this.#settings.poll,
      options.signal,
    )) {
      const page: KeyEntry[] = [];
      for (const row of rows) {
        const id = row['id'] ?? '';
        if (id === '' || seen.has(id)) continue;
        seen.add(id);
        page.push(Object.freeze({ key: row[stream.keyField] ?? '', nativeId: id }));
      }
      if (page.length > 0) yield Object.freeze(page);
    }
  }
}

function toNativeRecord(
  stream: StreamRef,
  row: Record<string, unknown>,
  types: ReadonlyMap<string, ZohoField>,
): NativeRecord {
  const fields: Record<string, FieldValue> = {};
  for (const name of stream.fields) fields[name] = fromZohoValue(types.get(name), row[name]);
  const key = row[stream.keyField];
  return Object.freeze({
    key: key === null || key === undefined ? '' : textOf(key),
    nativeId: textOf(row['id'] ?? ''),
    fields: Object.freeze<Fields>(fields),
    modifiedAt: normalizeInstant(textOf(row['Modified_Time'] ?? '')),
    deleted: false,
  });
}

/** Epoch seconds -> `yyyy-MM-ddTHH:mm:ss+00:00`. */
function zohoInstant(seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}+00:00`;
}
