import type { ChangeBatch, KeyEntry, ReadOptions, Source, CallOptions } from '../connector.js';
import { instantToEpochNanos } from '../../model/instant.js';
import type { NativeRecord } from '../../model/record.js';
import type { StreamRef } from '../../model/stream.js';
import { laterWatermark, type Watermark } from '../../model/watermark.js';
import { HubSpotSchemaError } from './hubspot-errors.js';
import type { HubSpotHttp } from './hubspot-http.js';
import type { HubSpotStreamOptions } from './hubspot-settings.js';
import { fieldsFromWire, fromWire, type PropertyInfo } from './property-schema.js';
import { textOf } from '../../util/text-of.js';

/** What the source needs from its connector. */
export interface HubSpotObjectAccess {
  readonly http: HubSpotHttp;
  properties(entity: string, signal?: AbortSignal): Promise<ReadonlyMap<string, PropertyInfo>>;
  modifiedProperty(entity: string, signal?: AbortSignal): Promise<string>;
  streamOptions(stream: StreamRef): HubSpotStreamOptions;
  /** Seconds re-read by default (the search index lag). */
  readonly indexLagSeconds: number;
}

/** Search returns at most this many results per query; `after + limit` past it is a 400. */
export const SEARCH_RESULT_CAP = 10_000;
export const SEARCH_PAGE = 200;
const LIST_PAGE = 100;
/** Search bodies may not exceed 3,000 characters: longer property lists are read back by id instead. */
const MAX_SEARCH_BODY = 2900;

interface WireObject {
  readonly id: string;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly updatedAt?: string;
  readonly archivedAt?: string;
}

const objectsOf = (body: Record<string, unknown>): WireObject[] =>
  Array.isArray(body['results']) ? (body['results'] as WireObject[]) : [];
const nextAfter = (body: Record<string, unknown>): string | undefined => {
  const next = (body['paging'] as { next?: { after?: unknown } } | undefined)?.next?.after;
  return next === undefined || next === null ? undefined : textOf(next);
};
const epochMs = (iso: string): number => Number(instantToEpochNanos(iso) / 1_000_000n);

/**
 * Reads HubSpot changes. Increments come from the search API on the object's last-modified property, from
 * the watermark − lookback on, sorted by `hs_object_id` with `hs_object_id > last id` so that
 * a query is re-anchored before the 10,000-result cap and any number of changes is read. The lookback (default the
 * index lag, 30 s) re-reads what search had not indexed yet; the diff drops what did not change. Deletes come from
 * the archived listing. Full reads and key listings page through the list endpoint's `after` cursor.
 *
 * @example
 * ```ts
 * for await (const batch of source.readChanges(stream, watermark, { batchSize: 500 })) await stage(batch)
 * ```
 */
export class HubSpotSource implements Source {
  readonly #api: HubSpotObjectAccess;
  /** Search requests made (statistics and tests). */
  searches = 0;
  /** Times a search was re-anchored before the 10,000 cap. */
  reanchors = 0;

  constructor(api: HubSpotObjectAccess) {
    this.#api = api;
  }

  async *readChanges(
    stream: StreamRef,
    since: Watermark | undefined,
    options: ReadOptions,
  ): AsyncIterable<ChangeBatch> {
    const batchSize = Math.max(1, options.batchSize ?? 500);
    if (since !== undefined && since.kind !== 'cursor') {
      throw new HubSpotSchemaError(
        `stream '${stream.name}': the HubSpot source reads (modified time, id) cursor watermarks, but the stored watermark is a '${since.kind}' one. Reset the stream's watermark (full read) after switching connectors.`,
        { stream: stream.name },
      );
    }
    const started = Date.now();
    const end: Watermark = laterWatermark(since, {
      kind: 'cursor',
      modifiedAt: new Date(started).toISOString(),
      id: '',
    })!;
    // Mid-read pages keep the starting watermark: a read interrupted anywhere re-reads its whole window.
    const hold: Watermark = since ?? { kind: 'cursor', modifiedAt: new Date(0).toISOString(), id: '' };
    let pending: NativeRecord[] = [];
    const flush = function* (watermark: Watermark): Generator<ChangeBatch> {
      while (pending.length > 0) {
        const records = pending.slice(0, batchSize);
        pending = pending.slice(batchSize);
        yield Object.freeze({ records: Object.freeze(records), watermark: pending.length > 0 ? hold : watermark });
      }
    };
    const source =
      since === undefined ? this.#listAll(stream, false, options.signal) : this.#search(stream, since, options.signal);
    for await (const records of source) {
      pending.push(...records);
      if (pending.length > batchSize) {
        const full = pending.length - (pending.length % batchSize);
        const ready = pending.slice(0, full);
        pending = pending.slice(full);
        for (let i = 0; i < ready.length; i += batchSize) {
          yield Object.freeze({ records: Object.freeze(ready.slice(i, i + batchSize)), watermark: hold });
        }
      }
    }
    const opts = this.#api.streamOptions(stream);
    if (since !== undefined && opts.deletes === 'delete') {
      const fromMs = epochMs(since.modifiedAt) - this.#lookbackMs(stream);
      for await (const records of this.#listAll(stream, true, options.signal)) {
        pending.push(...records.filter((r) => epochMs(r.modifiedAt) >= fromMs));
      }
    }
    if (pending.length === 0) {
      yield Object.freeze({ records: Object.freeze([]), watermark: end });
      return;
    }
    yield* flush(end);
  }

  async *listKeys(stream: StreamRef, options: CallOptions): AsyncIterable<readonly KeyEntry[]> {
    let after: string | undefined;
    do {
      const query = new URLSearchParams({ limit: String(LIST_PAGE), archived: 'false', properties: stream.keyField });
      if (after !== undefined) query.set('after', after);
      const res = await this.#get(
        `/crm/v3/objects/${encodeURIComponent(stream.entity)}?${query.toString()}`,
        options.signal,
      );
      const page = objectsOf(res).map((o) => ({
        key: stringOrEmpty(o.properties[stream.keyField]),
        nativeId: String(o.id),
      }));
      if (page.length > 0) yield Object.freeze(page);
      after = nextAfter(res);
    } while (after !== undefined);
  }

  #lookbackMs(stream: StreamRef): number {
    return (this.#api.streamOptions(stream).lookbackSeconds ?? this.#api.indexLagSeconds) * 1000;
  }

  async #get(path: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const res = await this.#api.http.call('GET', path, undefined, signal ? { signal } : {});
    if (res.status !== 200) throw unexpected(res.status, res.body, `GET ${path.split('?')[0]}`);
    return res.body;
  }

  /** Every live (or every archived) record through the list endpoint's `after` cursor. */
  async *#listAll(stream: StreamRef, archived: boolean, signal?: AbortSignal): AsyncIterable<NativeRecord[]> {
    const properties = await this.#api.properties(stream.entity, signal);
    const modified = await this.#api.modifiedProperty(stream.entity, signal);
    const wanted = [stream.keyField, modified, ...stream.fields];
    let after: string | undefined;
    do {
      const query = new URLSearchParams({
        limit: String(LIST_PAGE),
        archived: String(archived),
        properties: wanted.join(','),
      });
      if (after !== undefined) query.set('after', after);
      const res = await this.#get(`/crm/v3/objects/${encodeURIComponent(stream.entity)}?${query.toString()}`, signal);
      yield objectsOf(res).map((o) => this.#record(stream, properties, modified, o, archived));
      after = nextAfter(res);
    } while (after !== undefined);
  }

  #record(
    stream: StreamRef,
    properties: ReadonlyMap<string, PropertyInfo>,
    modified: string,
    o: WireObject,
    deleted: boolean,
  ): NativeRecord {
    const stamp = deleted ? (o.archivedAt ?? o.updatedAt) : (o.properties[modified] ?? o.updatedAt);
    const modifiedAt = fromWire(
      { name: modified, label: modified, type: 'datetime', fieldType: 'date', hasUniqueValue: false, readOnly: true },
      stamp,
    );
    return Object.freeze({
      key: stringOrEmpty(o.properties[stream.keyField]),
      nativeId: String(o.id),
      fields: deleted ? Object.freeze({}) : fieldsFromWire(stream, properties, o.properties),
      modifiedAt: typeof modifiedAt === 'string' ? modifiedAt : new Date(0).toISOString(),
      deleted,
    });
  }

  /**
   * Changes modified since `since − lookback`, by search, id-ordered, re-anchored on the last id before the cap. No
   * upper bound: records created during the read come last (higher ids), and a change to a record already passed
   * is later than the read's start, which the next read covers.
   */
  async *#search(
    stream: StreamRef,
    since: Watermark & { kind: 'cursor' },
    signal?: AbortSignal,
  ): AsyncIterable<NativeRecord[]> {
    const properties = await this.#api.properties(stream.entity, signal);
    const modified = await this.#api.modifiedProperty(stream.entity, signal);
    const fromMs = epochMs(since.modifiedAt) - this.#lookbackMs(stream);
    const wanted = [...new Set([stream.keyField, modified, ...stream.fields])];
    const path = `/crm/v3/objects/${encodeURIComponent(stream.entity)}/search`;
    let lastId = '0';
    for (;;) {
      let after = 0;
      for (;;) {
        const body = {
          filterGroups: [
            {
              filters: [
                { propertyName: modified, operator: 'GTE', value: String(fromMs) },
                { propertyName: 'hs_object_id', operator: 'GT', value: lastId },
              ],
            },
          ],
          sorts: [{ propertyName: 'hs_object_id', direction: 'ASCENDING' }],
          properties: wanted,
          limit: SEARCH_PAGE,
          after: String(after),
        };
        const readBack = JSON.stringify(body).length > MAX_SEARCH_BODY;
        const sent = readBack ? { ...body, properties: ['hs_object_id'] } : body;
        this.searches++;
        const res = await this.#api.http.call('POST', path, sent, { search: true, ...(signal ? { signal } : {}) });
        if (res.status !== 200) throw unexpected(res.status, res.body, `POST ${path}`);
        let objects = objectsOf(res.body);
        if (readBack && objects.length > 0)
          objects = await this.#readByIds(
            stream,
            objects.map((o) => String(o.id)),
            wanted,
            signal,
          );
        if (objects.length > 0) yield objects.map((o) => this.#record(stream, properties, modified, o, false));
        const next = nextAfter(res.body);
        if (next === undefined) return;
        const last = objectsOf(res.body).at(-1);
        after = Number(next);
        if (after + SEARCH_PAGE > SEARCH_RESULT_CAP && last !== undefined) {
          // The next page would pass the cap: a fresh query from the last id read.
          lastId = String(last.id);
          this.reanchors++;
          break;
        }
      }
    }
  }

  async #readByIds(
    stream: StreamRef,
    ids: readonly string[],
    wanted: readonly string[],
    signal?: AbortSignal,
  ): Promise<WireObject[]> {
    const out: WireObject[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      const res = await this.#api.http.call(
        'POST',
        `/crm/v3/objects/${encodeURIComponent(stream.entity)}/batch/read`,
        { inputs: ids.slice(i, i + 100).map((id) => ({ id })), properties: wanted, propertiesWithHistory: [] },
        signal ? { signal } : {},
      );
      if (res.status !== 200 && res.status !== 207) throw unexpected(res.status, res.body, 'batch/read');
      out.push(...objectsOf(res.body));
    }
    return out.sort((a, b) => Number(a.id) - Number(b.id));
  }
}

function stringOrEmpty(v: unknown): string {
  return v === null || v === undefined ? '' : textOf(v);
}

export function unexpected(status: number, body: Record<string, unknown>, what: string): Error {
  return new HubSpotSchemaError(
    `HubSpot answered ${status} ${textOf(body['category'] ?? '')} to ${what}: ${textOf(body['message'] ?? '')}`,
    {
      status,
      what,
    },
  );
}
