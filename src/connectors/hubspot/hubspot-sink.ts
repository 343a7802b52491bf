import type { OutboundRecord, Sink, WriteOptions, WriteResult } from '../connector.js';
import type { Fields } from '../../model/record.js';
import type { StreamRef } from '../../model/stream.js';
import type { Logger } from '../../util/logger.js';
import { HubSpotAmbiguousWriteError } from './hubspot-errors.js';
import type { HubSpotResponse } from './hubspot-http.js';
import type { HubSpotObjectAccess } from './hubspot-source.js';
import { unexpected } from './hubspot-source.js';
import { fromWire, toWire, type PropertyInfo } from './property-schema.js';
import { textOf } from '../../util/text-of.js';

/** HubSpot's batch endpoints take at most 100 inputs. */
export const BATCH_LIMIT = 100;
/** How many times the records of an unanswered write are read back and re-sent before they count as unprocessed. */
const MAX_RESOLVE_ROUNDS = 3;

interface WireResult {
  readonly id?: unknown;
  readonly new?: unknown;
  readonly objectWriteTraceId?: unknown;
  readonly createdAt?: unknown;
  readonly properties?: Readonly<Record<string, unknown>>;
}

interface WireError {
  readonly category?: unknown;
  readonly message?: unknown;
  readonly context?: Readonly<Record<string, unknown>>;
}

/**
 * Writes to HubSpot with the batch API: upserts by the stream's key property (`idProperty`), 100 inputs a request
 * and several requests in flight (the rate budget paces them); records tandem addresses by native id (adopting a
 * record created in HubSpot) through batch update; deletes through batch archive. Every result is matched to its
 * input by `objectWriteTraceId` or the key property's value, never by position. A batch HubSpot refuses whole
 * (400/404/409) is split in halves until the refused records are alone; they are `rejected` with HubSpot's message
 * and the rest land. A request whose answer is lost (timeout, dropped connection) is resolved by reading the
 * records back by key: what landed is confirmed, only the rest is sent again (an upsert: never a blind create).
 */
export class HubSpotSink implements Sink {
  readonly #api: HubSpotObjectAccess;
  readonly #concurrency: number;
  readonly #traceIds: boolean;
  readonly #logger: Logger;
  /** Requests by kind (statistics and tests). */
  readonly requests = { upsert: 0, update: 0, archive: 0, read: 0, splits: 0, resolved: 0 };

  constructor(api: HubSpotObjectAccess, options: { concurrency: number; traceIds: boolean }, logger: Logger) {
    this.#api = api;
    this.#concurrency = options.concurrency;
    this.#traceIds = options.traceIds;
    this.#logger = logger;
  }

  async *resume(): AsyncIterable<readonly WriteResult[]> {
    // No remote jobs: every HubSpot batch request is answered (or resolved) within the run that sent it.
  }

  async *write(
    stream: StreamRef,
    batches: AsyncIterable<readonly OutboundRecord[]>,
    options: WriteOptions,
  ): AsyncIterable<readonly WriteResult[]> {
    const properties = await this.#api.properties(stream.entity, options.signal);
    const context: WriteContext = { stream, properties, ...(options.signal ? { signal: options.signal } : {}) };
    yield* pool(this.#requests(context, batches), this.#concurrency);
  }

  /**
   * The requests the batches make, in order, each with the (normalized) keys it writes: read-only refusals first
   * (no request), then per batch its rounds (the n-th write of a key in a batch goes in round n, so no request
   * carries a key twice), each round's upserts, adoptions (update by native id) and deletes, 100 a request.
   */
  async *#requests(
    context: WriteContext,
    batches: AsyncIterable<readonly OutboundRecord[]>,
  ): AsyncIterable<Request<WriteResult>> {
    const stream = context.stream;
    const keysOf = (records: readonly OutboundRecord[]) => records.map((r) => this.#normalizedKey(stream, r.key));
    for await (const batch of batches) {
      const early: WriteResult[] = [];
      const writable: OutboundRecord[] = [];
      for (const r of batch) {
        const readOnly =
          r.op === 'upsert' ? Object.keys(r.fields).filter((f) => context.properties.get(f)?.readOnly) : [];
        if (readOnly.length > 0) {
          early.push({
            key: r.key,
            status: 'rejected',
            reason: `HubSpot property ${readOnly.join(', ')} is read-only (calculated or system-maintained); map it crm-to-erp`,
          });
        } else writable.push(r);
      }
      if (early.length > 0) yield { keys: [], run: () => Promise.resolve(early) };
      for (const round of rounds(writable, (r) => this.#normalizedKey(stream, r.key))) {
        const upserts = round.filter((r) => r.op === 'upsert' && r.nativeId === undefined);
        const adopts = round.filter((r) => r.op === 'upsert' && r.nativeId !== undefined);
        const deletes = round.filter((r) => r.op === 'delete');
        for (const chunk of chunks(upserts, BATCH_LIMIT))
          yield { keys: keysOf(chunk), run: () => this.#upsert(context, chunk, 'upsert', 0) };
        for (const chunk of chunks(adopts, BATCH_LIMIT))
          yield { keys: keysOf(chunk), run: () => this.#upsert(context, chunk, 'update', 0) };
        for (const chunk of chunks(deletes, BATCH_LIMIT))
          yield { keys: keysOf(chunk), run: () => this.#archive(context, chunk) };
      }
    }
  }

  #normalizedKey(stream: StreamRef, key: string): string {
    return stream.keyField === 'email' ? key.trim().toLowerCase() : key;
  }

  #inputOf(context: WriteContext, r: OutboundRecord, mode: 'upsert' | 'update'): Record<string, unknown> {
    const properties: Record<string, string> = {};
    for (const [name, value] of Object.entries(r.fields))
      properties[name] = toWire(context.properties.get(name), value);
    const trace = this.#traceIds ? { objectWriteTraceId: r.key } : {};
    if (mode === 'update') {
      properties[context.stream.keyField] = r.key;
      return { id: r.nativeId, properties, ...trace };
    }
    return { id: r.key, idProperty: context.stream.keyField, properties, ...trace };
  }

  /** One upsert (by key) or update (by native id) request, split while HubSpot refuses it whole. */
  async #upsert(
    context: WriteContext,
    records: readonly OutboundRecord[],
    mode: 'upsert' | 'update',
    round: number,
  ): Promise<WriteResult[]> {
    const path = `/crm/v3/objects/${encodeURIComponent(context.stream.entity)}/batch/${mode}`;
    this.requests[mode]++;
    const sentAt = Date.now();
    let res: HubSpotResponse;
    try {
      res = await this.#api.http.call(
        'POST',
        path,
        { inputs: records.map((r) => this.#inputOf(context, r, mode)) },
        { write: true, ...(context.signal ? { signal: context.signal } : {}) },
      );
    } catch (error) {
      if (!(error instanceof HubSpotAmbiguousWriteError)) throw error;
      this.#logger.warn(
        { entity: context.stream.entity, records: records.length, round },
        'hubspot write unanswered; reading it back',
      );
      return this.#resolve(context, records, mode, round, sentAt);
    }
    if (res.status === 200 || res.status === 201 || res.status === 207) {
      const results = this.#results(context, records, mode, res.body);
      // Inputs no result or error could be matched to (HubSpot echoed neither trace id nor key): read them back.
      const unmatched = records.filter((r) => !results.has(r.key));
      const resolved = unmatched.length === 0 ? [] : await this.#resolve(context, unmatched, mode, round, sentAt);
      return [...results.values(), ...resolved];
    }
    if (res.status === 400 || res.status === 404 || res.status === 409) {
      const message = textOf(res.body['message'] ?? `HTTP ${res.status}`);
      if (records.length === 1)
        return [
          {
            key: records[0]!.key,
            status: 'rejected',
            reason: `${res.status} ${textOf(res.body['category'] ?? '')}: ${message}`,
          },
        ];
      if (/non-unique|Batch input limit|Duplicate IDs/i.test(message)) {
        return records.map((r) => ({ key: r.key, status: 'rejected', reason: `${res.status}: ${message}` }));
      }
      this.requests.splits++;
      const half = Math.ceil(records.length / 2);
      const [a, b] = await Promise.all([
        this.#upsert(context, records.slice(0, half), mode, round),
        this.#upsert(context, records.slice(half), mode, round),
      ]);
      return [...a, ...b];
    }
    throw unexpected(res.status, res.body, `POST ${path}`);
  }

  /** Matches results and per-record errors to inputs by trace id, key value or native id (never by position). */
  #results(
    context: WriteContext,
    records: readonly OutboundRecord[],
    mode: 'upsert' | 'update',
    body: Record<string, unknown>,
  ): Map<string, WriteResult> {
    const byTrace = new Map(records.map((r) => [r.key, r]));
    const byKey = new Map(records.map((r) => [this.#normalizedKey(context.stream, r.key), r]));
    const byNative = new Map(records.filter((r) => r.nativeId !== undefined).map((r) => [r.nativeId!, r]));
    const out = new Map<string, WriteResult>();
    const match = (trace: unknown, keyValue: unknown, id: unknown): OutboundRecord | undefined =>
      (typeof trace === 'string' ? byTrace.get(trace) : undefined) ??
      (keyValue === undefined || keyValue === null
        ? undefined
        : byKey.get(this.#normalizedKey(context.stream, textOf(keyValue)))) ??
      (mode === 'update' && id !== undefined ? byNative.get(textOf(id)) : undefined);
    for (const result of (Array.isArray(body['results']) ? body['results'] : []) as WireResult[]) {
      const r = match(result.objectWriteTraceId, result.properties?.[context.stream.keyField], result.id);
      if (!r) continue;
      out.set(r.key, {
        key: r.key,
        status: mode === 'upsert' && result.new === true ? 'created' : 'updated',
        nativeId: String(result.id),
      });
    }
    for (const error of (Array.isArray(body['errors']) ? body['errors'] : []) as WireError[]) {
      const traces = error.context?.['objectWriteTraceId'];
      const ids = error.context?.['ids'] ?? error.context?.['id'];
      const named = [
        ...(Array.isArray(traces) ? (traces as unknown[]) : []),
        ...(Array.isArray(ids) ? (ids as unknown[]) : []),
      ].map(String);
      for (const name of named) {
        const r = byTrace.get(name) ?? byKey.get(this.#normalizedKey(context.stream, name)) ?? byNative.get(name);
        if (r && !out.has(r.key)) {
          out.set(r.key, {
            key: r.key,
            status: 'rejected',
            reason: `${textOf(error.category ?? 'ERROR')}: ${textOf(error.message ?? '')}`,
          });
        }
      }
    }
    return out;
  }

  /**
   * A write whose answer was lost: reads the records back (by key, or by native id for updates). Those holding what
   * was sent are confirmed; the rest are sent again as the same keyed upsert/update, never as a create.
   */
  async #resolve(
    context: WriteContext,
    records: readonly OutboundRecord[],
    mode: 'upsert' | 'update',
    round: number,
    sentAt: number,
  ): Promise<WriteResult[]> {
    this.requests.resolved++;
    const found = await this.#readBack(context, records, mode);
    const confirmed: WriteResult[] = [];
    const again: OutboundRecord[] = [];
    for (const r of records) {
      const wire = found.get(mode === 'update' ? r.nativeId! : this.#normalizedKey(context.stream, r.key));
      if (wire && holds(context.properties, wire.properties ?? {}, r.fields)) {
        const created =
          mode === 'upsert' &&
          typeof wire.createdAt === 'string' &&
          Date.parse(wire.createdAt) >= sentAt &&
          !wasKnown(r);
        confirmed.push({ key: r.key, status: created ? 'created' : 'updated', nativeId: String(wire.id) });
      } else again.push(r);
    }
    if (again.length === 0) return confirmed;
    if (round + 1 >= MAX_RESOLVE_ROUNDS) {
      return [
        ...confirmed,
        ...again.map((r) => ({
          key: r.key,
          status: 'unprocessed' as const,
          reason: 'HubSpot did not answer the write; retried next run',
        })),
      ];
    }
    return [...confirmed, ...(await this.#upsert(context, again, mode, round + 1))];
  }

  async #readBack(
    context: WriteContext,
    records: readonly OutboundRecord[],
    mode: 'upsert' | 'update',
  ): Promise<Map<string, WireResult>> {
    const keyField = context.stream.keyField;
    const wanted = [...new Set([keyField, ...records.flatMap((r) => Object.keys(r.fields))])];
    this.requests.read++;
    const res = await this.#api.http.call(
      'POST',
      `/crm/v3/objects/${encodeURIComponent(context.stream.entity)}/batch/read`,
      {
        inputs: records.map((r) => ({ id: mode === 'update' ? r.nativeId : r.key })),
        ...(mode === 'update' ? {} : { idProperty: keyField }),
        properties: wanted,
        propertiesWithHistory: [],
      },
      context.signal ? { signal: context.signal } : {},
    );
    if (res.status !== 200 && res.status !== 207) throw unexpected(res.status, res.body, 'POST batch/read');
    const out = new Map<string, WireResult>();
    for (const w of (Array.isArray(res.body['results']) ? res.body['results'] : []) as WireResult[]) {
      const k =
        mode === 'update' ? textOf(w.id) : this.#normalizedKey(context.stream, textOf(w.properties?.[keyField] ?? ''));
      out.set(k, w);
    }
    return out;
  }

  /** Archives by native id; keys without one are looked up by the key property first (absent: already gone). */
  async #archive(context: WriteContext, records: readonly OutboundRecord[]): Promise<WriteResult[]> {
    const ids = new Map<string, string>();
    const lookup = records.filter((r) => r.nativeId === undefined);
    for (const r of records) if (r.nativeId !== undefined) ids.set(r.key, r.nativeId);
    if (lookup.length > 0) {
      const found = await this.#readBack(context, lookup, 'upsert');
      for (const r of lookup) {
        const w = found.get(this.#normalizedKey(context.stream, r.key));
        if (w?.id !== undefined) ids.set(r.key, textOf(w.id));
      }
    }
    const inputs = [...new Set(ids.values())].map((id) => ({ id }));
    if (inputs.length > 0) {
      this.requests.archive++;
      const path = `/crm/v3/objects/${encodeURIComponent(context.stream.entity)}/batch/archive`;
      // Archiving is idempotent: a lost answer is simply sent again.
      const res = await this.#api.http.call('POST', path, { inputs }, context.signal ? { signal: context.signal } : {});
      if (res.status !== 204 && res.status !== 200) {
        if (res.status === 400 || res.status === 404) {
          const reason = `${res.status}: ${textOf(res.body['message'] ?? '')}`;
          return records.map((r) => ({ key: r.key, status: 'rejected', reason }));
        }
        throw unexpected(res.status, res.body, `POST ${path}`);
      }
    }
    return records.map((r) => ({
      key: r.key,
      status: 'deleted',
      ...(ids.has(r.key) ? { nativeId: ids.get(r.key)! } : {}),
    }));
  }
}

interface WriteContext {
  readonly stream: StreamRef;
  readonly properties: ReadonlyMap<string, PropertyInfo>;
  readonly signal?: AbortSignal;
}

/** Whether a record read back holds every value that was sent (compared typed, as a read would return them). */
function holds(
  properties: ReadonlyMap<string, PropertyInfo>,
  wire: Readonly<Record<string, unknown>>,
  fields: Fields,
): boolean {
  for (const [name, value] of Object.entries(fields)) {
    const p = properties.get(name);
    const sent = fromWire(p, toWire(p, value));
    const got = fromWire(p, wire[name]);
    if (sent !== got) return false;
  }
  return true;
}

/** Records tandem addresses by native id already exist; an upsert's created/updated is only a statistic. */
function wasKnown(r: OutboundRecord): boolean {
  return r.nativeId !== undefined;
}

/** Splits records into rounds so that each key appears at most once per round, keeping their order. */
function rounds(records: readonly OutboundRecord[], keyOf: (r: OutboundRecord) => string): OutboundRecord[][] {
  const out: OutboundRecord[][] = [];
  const seen = new Map<string, number>();
  for (const r of records) {
    const k = keyOf(r);
    const n = seen.get(k) ?? 0;
    seen.set(k, n + 1);
    (out[n] ??= []).push(r);
  }
  return out;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** One request to make: the keys it writes and the call that makes it (and resolves its results). */
interface Request<T> {
  readonly keys: readonly string[];
  readonly run: () => Promise<T[]>;
}

/**
 * Makes the requests in order with at most `concurrency` in flight, across batches: the next batch's first requests
 * start while the last ones of the previous batch are still answered, so the rate budget, not the batch boundaries,
 * sets the pace. A request that writes a key an unanswered request also writes waits for that one (a key is never
 * written by two requests at once, and its writes land in order). Each yield holds the results of every request
 * answered since the last one, so the consumer applies them in one go while the next requests are in flight.
 */
async function* pool<T>(requests: AsyncIterable<Request<T>>, concurrency: number): AsyncIterable<T[]> {
  const iterator = requests[Symbol.asyncIterator]();
  const running = new Map<number, Promise<void>>();
  const answered = new Map<number, T[]>();
  const busy = new Map<string, number>();
  let waiting: Request<T> | undefined;
  let exhausted = false;
  let started = 0;
  const blocked = (r: Request<T>) => r.keys.some((k) => busy.has(k));
  const start = (r: Request<T>): void => {
    const id = started++;
    for (const k of r.keys) busy.set(k, (busy.get(k) ?? 0) + 1);
    const release = (): void => {
      for (const k of r.keys) {
        const n = busy.get(k)! - 1;
        if (n === 0) busy.delete(k);
        else busy.set(k, n);
      }
    };
    running.set(
      id,
      r.run().then(
        (value) => {
          release();
          answered.set(id, value);
        },
        (error: unknown) => {
          release();
          throw error;
        },
      ),
    );
  };
  try {
    for (;;) {
      while (running.size < concurrency) {
        if (waiting === undefined && !exhausted) {
          const next = await iterator.next();
          if (next.done) exhausted = true;
          else waiting = next.value;
        }
        if (waiting === undefined || blocked(waiting)) break;
        start(waiting);
        waiting = undefined;
      }
      if (running.size === 0) return;
      await Promise.race(running.values());
      const out: T[] = [];
      for (const [id, value] of answered) {
        running.delete(id);
        out.push(...value);
      }
      answered.clear();
      if (out.length > 0) yield out;
    }
  } finally {
    // A consumer that stops early (or a failure) leaves no promise rejecting unobserved.
    for (const p of running.values()) p.catch(() => undefined);
    await iterator.return?.();
  }
}
