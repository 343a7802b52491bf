import { afterEach, beforeEach, describe, expect, it, type TestContext } from 'vitest';
import type { ChangeBatch, Connector, KeyEntry, OutboundRecord, WriteResult } from '../../src/connectors/connector.js';
import { instantToEpochNanos } from '../../src/model/instant.js';
import type { FieldValue, Fields, NativeRecord } from '../../src/model/record.js';
import type { StreamRef } from '../../src/model/stream.js';
import { compareWatermarks, type Watermark } from '../../src/model/watermark.js';
import { MemoryJobLedger } from '../support/memory-job-ledger.js';

/**
 * The native names of the stream's typed fields. `text` holds at most 40 characters (the system refuses longer
 * values: that is how the suite provokes a rejection); `boolean` and `date` are optional, for systems without them.
 */
export interface ContractFields {
  readonly text: string;
  readonly number: string;
  readonly boolean?: string;
  readonly date?: string;
}

/** A row as a user of the system creates it: `key` '' means no key (created there, never synced). */
export interface UserRow {
  readonly key: string;
  readonly fields: Fields;
}

/**
 * One connector under test, on a fresh entity (table, object) of its own, plus the means to act on that system as
 * its users do, bypassing tandem. Built anew for every test by the factory given to `connectorContract`.
 *
 * @example
 * ```ts
 * connectorContract('memory', async () => {
 *   const data = new MemorySystem()
 *   const connector = new MemoryConnector({ system: 'erp', data })
 *   return { connector, stream, fields: { text: 'title', number: 'amount' }, refused: { title: 'x'.repeat(41) },
 *            insert: async (key, fields) => data.insert('widgets', key, fields).nativeId, ... }
 * })
 * ```
 */
export interface ConnectorFixture {
  /** Already `init`-ed with `stream`. */
  readonly connector: Connector;
  readonly stream: StreamRef;
  readonly fields: ContractFields;
  /** Fields (for an upsert) the system refuses, e.g. a text longer than its column allows. */
  readonly refused: Fields;
  /** Creates a record as a user would; returns its native id. */
  insert(key: string, fields: Fields): Promise<string>;
  /** Creates records that all share one modification time (the system's clock does not move between them). */
  insertSameTime(rows: readonly UserRow[]): Promise<readonly string[]>;
  update(nativeId: string, fields: Fields): Promise<void>;
  delete(nativeId: string): Promise<void>;
  /**
   * For systems whose clock is coarse (Salesforce: whole seconds): waits until the clock has just started a new
   * tick, so that what the test does next happens within one tick. Absent when the clock is fine-grained.
   */
  startOfClockTick?(): Promise<void>;
  /**
   * True when the source never returns tandem's own writes as changes (Postgres changelog capture skips rows written
   * in transactions tagged `tandem.origin`): there is no echo to recognise, so an incremental read after a write must
   * return none of it, while a full read still returns what was written.
   */
  readonly suppressesOwnWrites?: boolean;
  /**
   * True when the source reports deletes by native id only, with key '' (Zoho's deleted-records endpoint names no
   * field values): the capture stage keys such tombstones through the native ids tandem stores.
   */
  readonly tombstonesByNativeId?: boolean;
  /** Closes the connector and drops the entity. */
  cleanup(): Promise<void>;
}

/** Contract checks a connector is known to fail, by name, with the reason (the test then runs as `it.fails`). */
export type KnownGaps = Partial<Record<ContractCheck, string>>;

export type ContractCheck =
  | 'full-read'
  | 'reread'
  | 'change-after-watermark'
  | 'same-time-across-pages'
  | 'keyless-record'
  | 'tombstone'
  | 'list-keys'
  | 'list-keys-keyless'
  | 'idempotent-upsert'
  | 'adopt-by-native-id'
  | 'delete'
  | 'delete-retry'
  | 'reject'
  | 'opaque-keys'
  | 'null-and-absent'
  | 'read-back'
  | 'resume-empty'
  | 'close-twice';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** Upper bound on pages in any one read: a source that never ends fails the test instead of hanging it. */
const MAX_PAGES = 200;

/**
 * Registers the connector contract (src/connectors/connector.ts) as a vitest suite for one implementation: reads,
 * watermarks, deletes, key listing, sink upserts, rejections, read-back of writes, resume and close. Every check
 * builds a fresh fixture, so checks never see each other's records.
 *
 * @example
 * ```ts
 * connectorContract('postgres (pglite)', () => makePostgresFixture(lite), { knownGaps: { 'list-keys-keyless': 'why' } })
 * ```
 */
export function connectorContract(
  name: string,
  makeFixture: () => Promise<ConnectorFixture>,
  options: { readonly knownGaps?: KnownGaps } = {},
): void {
  const gaps = options.knownGaps ?? {};
  /** `it`, or `it.fails` for a check the connector is known to break (the reason is in `knownGaps`). */
  const check = (id: ContractCheck, title: string, fn: (ctx: TestContext) => Promise<void>): void => {
    (gaps[id] === undefined ? it : it.fails)(
      `${title}${gaps[id] === undefined ? '' : ` [known gap: ${gaps[id]}]`}`,
      fn,
    );
  };

  describe(`connector contract: ${name}`, () => {
    let fx: ConnectorFixture;
    beforeEach(async () => {
      fx = await makeFixture();
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    /** Typed values for the i-th sample record (exactly representable on every side: 2 decimals, a plain date). */
    const sample = (i: number, text = `Widget ${i}`): Fields => {
      const f = fx.fields;
      const out: Record<string, FieldValue> = { [f.text]: text, [f.number]: i * 100 + 0.25 };
      if (f.boolean !== undefined) out[f.boolean] = i % 2 === 0;
      if (f.date !== undefined) out[f.date] = `2024-03-${String((i % 28) + 1).padStart(2, '0')}`;
      return out;
    };

    check(
      'full-read',
      'readChanges(stream, undefined) returns every live record once, typed, in pages of at most batchSize, watermarks non-decreasing',
      async () => {
        const rows = [1, 2, 3, 4, 5].map((i) => ({ key: `K-${i}`, fields: sample(i) }));
        const ids = new Map<string, string>();
        for (const row of rows) ids.set(await fx.insert(row.key, row.fields), row.key);

        const { batches, records } = await read(fx, undefined, 2);
        expect(batches.length).toBeGreaterThanOrEqual(3);
        for (const batch of batches) expect(batch.records.length).toBeLessThanOrEqual(2);
        expectNonDecreasing(batches, undefined);
        expect(records.map((r) => r.nativeId).sort()).toEqual([...ids.keys()].sort());
        for (const record of records) {
          const key = ids.get(record.nativeId);
          expect(record.key).toBe(key);
          expect(record.deleted).toBe(false);
          expectInstant(record.modifiedAt);
          expect(Object.keys(record.fields).sort()).toEqual([...fx.stream.fields].sort());
          expect(record.fields).toEqual(rows.find((r) => r.key === key)?.fields);
          expectTyped(fx.fields, record.fields);
        }
      },
    );

    check('reread', 'reading again from the last watermark returns nothing new (re-reads are identical)', async () => {
      for (const i of [1, 2, 3]) await fx.insert(`K-${i}`, sample(i));
      const first = await read(fx, undefined);
      expect(first.records).toHaveLength(3);
      const seen = new Map(first.records.map((r) => [r.nativeId, r]));
      const again = await read(fx, first.watermark);
      expectNonDecreasing(again.batches, first.watermark);
      for (const record of again.records) expect(record).toEqual(seen.get(record.nativeId));
    });

    check(
      'change-after-watermark',
      'a record changed or created after a read is returned by a read from that watermark',
      async () => {
        // Within one clock tick on purpose: a cursor that cannot tell the change from what it already read skips it.
        await fx.startOfClockTick?.();
        const a = await fx.insert('K-a', sample(1));
        const b = await fx.insert('K-b', sample(2));
        const first = await read(fx, undefined);
        expect(first.records.map((r) => r.nativeId).sort()).toEqual([a, b].sort());
        const changed = { [fx.fields.text]: 'Changed after the read', [fx.fields.number]: 7.5 };
        await fx.update(a, changed);
        const c = await fx.insert('K-c', sample(3));

        const next = await read(fx, first.watermark);
        expectNonDecreasing(next.batches, first.watermark);
        const gotA = next.records.filter((r) => r.nativeId === a);
        expect(gotA.length, 'the changed record is returned').toBeGreaterThanOrEqual(1);
        expect(gotA.at(-1)?.fields).toEqual({ ...sample(1), ...changed });
        expect(next.records.filter((r) => r.nativeId === c).at(-1)?.fields).toEqual(sample(3));
        const before = first.records.find((r) => r.nativeId === b);
        for (const r of next.records.filter((r) => r.nativeId === b)) expect(r).toEqual(before);
      },
    );

    check(
      'same-time-across-pages',
      '[I6] records sharing one modification time are all returned across pages, also when a read resumes from any page',
      async () => {
        await fx.insert('K-0', sample(0));
        const start = (await read(fx, undefined)).watermark;
        await fx.startOfClockTick?.();
        const rows = [1, 2, 3, 4, 5, 6, 7].map((i) => ({ key: `K-${i}`, fields: sample(i) }));
        const ids = await fx.insertSameTime(rows);
        expect(new Set(ids).size).toBe(rows.length);

        const { batches, records } = await read(fx, start, 2);
        expectNonDecreasing(batches, start);
        const wanted = new Set(ids);
        const sameTime = records.filter((r) => wanted.has(r.nativeId));
        expect(new Set(sameTime.map((r) => r.nativeId))).toEqual(wanted);
        expect(
          new Set(sameTime.map((r) => r.modifiedAt)).size,
          'the fixture made them share one modification time',
        ).toBe(1);
        // A process that stops after any page and resumes from that page's watermark must still get all of them.
        const before = new Set<string>();
        for (const batch of batches) {
          for (const r of batch.records) before.add(r.nativeId);
          const rest = await read(fx, batch.watermark, 2);
          expectNonDecreasing(rest.batches, batch.watermark);
          const union = new Set([...before, ...rest.records.map((r) => r.nativeId)]);
          for (const id of ids) expect(union.has(id), `${id} skipped when resuming after a page`).toBe(true);
        }
      },
    );

    check('keyless-record', "a record created without a key comes back with key ''", async () => {
      const id = await fx.insert('', sample(4));
      const { records } = await read(fx, undefined);
      const got = records.filter((r) => r.nativeId === id);
      expect(got).toHaveLength(1);
      expect(got[0]?.key).toBe('');
      expect(got[0]?.fields).toEqual(sample(4));
    });

    check(
      'tombstone',
      'when reportsDeletes: a deleted record comes back as a tombstone from a read after its deletion',
      async (ctx) => {
        if (!fx.connector.capabilities.reportsDeletes) return ctx.skip();
        await fx.startOfClockTick?.(); // the delete lands in the tick of the read's watermark
        const a = await fx.insert('K-a', sample(1));
        const b = await fx.insert('K-b', sample(2));
        const first = await read(fx, undefined);
        await fx.delete(a);
        const next = await read(fx, first.watermark);
        const tombstones = next.records.filter((r) => r.nativeId === a);
        expect(tombstones.length).toBeGreaterThanOrEqual(1);
        expect(tombstones.at(-1)?.deleted).toBe(true);
        expect(tombstones.at(-1)?.key).toBe(fx.tombstonesByNativeId ? '' : 'K-a');
        expectInstant(tombstones.at(-1)?.modifiedAt ?? '');
        for (const r of next.records.filter((r) => r.nativeId === b)) expect(r.deleted).toBe(false);
        // A full read never shows the deleted record as live.
        const full = await read(fx, undefined);
        for (const r of full.records.filter((r) => r.nativeId === a)) expect(r.deleted).toBe(true);
      },
    );

    check('list-keys', 'when supportsKeyListing: listKeys lists exactly the live keyed records', async (ctx) => {
      const source = fx.connector.createSource();
      if (!fx.connector.capabilities.supportsKeyListing) return ctx.skip();
      expect(typeof source.listKeys, 'supportsKeyListing without listKeys').toBe('function');
      const ids = new Map<string, string>();
      for (const i of [1, 2, 3, 4]) ids.set(`K-${i}`, await fx.insert(`K-${i}`, sample(i)));
      await fx.delete(ids.get('K-2') ?? '');
      const keyless = await fx.insert('', sample(5));
      const entries = await listKeys(fx);
      const keyed = entries.filter((e) => e.key !== '');
      expect(new Set(keyed.map((e) => e.key)).size, 'each key once').toBe(keyed.length);
      expect(Object.fromEntries(keyed.map((e) => [e.key, e.nativeId]))).toEqual(
        Object.fromEntries([...ids].filter(([k]) => k !== 'K-2')),
      );
      // Entries without a key (see the next check) may only name the record that has none.
      for (const e of entries.filter((e) => e.key === '')) expect(e.nativeId).toBe(keyless);
    });

    // The engine's key reconciliation (src/pipeline/reconcile-stage.ts) reads a '' key as the record's derived key and
    // stages a tombstone for every known key the listing did not return: a live record whose key was never written
    // back (the write-back was refused) must therefore be listed, with key '', or a full sync takes it for deleted
    // (and, the other side still having it, plans to create it again on this side: a duplicate).
    check(
      'list-keys-keyless',
      "when supportsKeyListing: listKeys also lists live records without a key, with key ''",
      async (ctx) => {
        if (!fx.connector.capabilities.supportsKeyListing) return ctx.skip();
        await fx.insert('K-1', sample(1));
        const keyless = await fx.insert('', sample(2));
        const entries = await listKeys(fx);
        expect(entries.filter((e) => e.key === '')).toEqual([{ key: '', nativeId: keyless }]);
      },
    );

    check(
      'idempotent-upsert',
      '[I9] writing the same batch twice creates no duplicate: created, then updated, one result per record',
      async () => {
        const batch: OutboundRecord[] = [1, 2, 3].map((i) => ({ key: `W-${i}`, op: 'upsert', fields: sample(i) }));
        const first = await write(fx, [batch]);
        expectStatuses(first, Object.fromEntries(batch.map((r) => [r.key, 'created'])));
        const second = await write(fx, [batch]);
        expectStatuses(second, Object.fromEntries(batch.map((r) => [r.key, 'updated'])));
        for (const r of second) {
          const created = first.find((f) => f.key === r.key);
          if (r.nativeId !== undefined && created?.nativeId !== undefined) expect(r.nativeId).toBe(created.nativeId);
        }
        const live = (await read(fx, undefined)).records.filter((r) => !r.deleted);
        expect(live.map((r) => r.key).sort()).toEqual(['W-1', 'W-2', 'W-3']);
      },
    );

    check('adopt-by-native-id', 'an upsert with nativeId sets the key on a record created without one', async () => {
      const id = await fx.insert('', sample(1));
      const results = await write(fx, [
        [{ key: 'W-adopted', nativeId: id, op: 'upsert', fields: { [fx.fields.text]: 'Adopted' } }],
      ]);
      expect(results).toHaveLength(1);
      expect(results[0]).toMatchObject({ key: 'W-adopted', status: 'updated' });
      const { records } = await read(fx, undefined);
      const live = records.filter((r) => !r.deleted);
      expect(live).toHaveLength(1);
      expect(live[0]).toMatchObject({
        nativeId: id,
        key: 'W-adopted',
        fields: { ...sample(1), [fx.fields.text]: 'Adopted' },
      });
    });

    check(
      'delete',
      'a delete by nativeId (and one by key) removes the record: deleted results, gone from reads and key listings',
      async () => {
        const a = await fx.insert('K-a', sample(1));
        const b = await fx.insert('K-b', sample(2));
        const c = await fx.insert('K-c', sample(3));
        const results = await write(fx, [
          [
            { key: 'K-a', nativeId: a, op: 'delete', fields: {} },
            { key: 'K-b', op: 'delete', fields: {} },
          ],
        ]);
        expectStatuses(results, { 'K-a': 'deleted', 'K-b': 'deleted' });
        const live = (await read(fx, undefined)).records.filter((r) => !r.deleted);
        expect(live.map((r) => r.nativeId)).toEqual([c]);
        if (fx.connector.capabilities.supportsKeyListing) {
          expect((await listKeys(fx)).map((e) => e.nativeId)).toEqual([c]);
        }
        expect(b).not.toBe(c);
      },
    );

    check('delete-retry', 'a retried delete (the record is already gone) is deleted again, not rejected', async () => {
      const a = await fx.insert('K-a', sample(1));
      const b = await fx.insert('K-b', sample(2));
      const deletes: OutboundRecord[] = [
        { key: 'K-a', nativeId: a, op: 'delete', fields: {} },
        { key: 'K-b', op: 'delete', fields: {} },
      ];
      expectStatuses(await write(fx, [deletes]), { 'K-a': 'deleted', 'K-b': 'deleted' });
      // A process that died before recording the results sends the same deletes again.
      expectStatuses(await write(fx, [deletes]), { 'K-a': 'deleted', 'K-b': 'deleted' });
      expect(
        (await read(fx, undefined)).records.filter((r) => !r.deleted && (r.nativeId === a || r.nativeId === b)),
      ).toEqual([]);
    });

    check(
      'reject',
      '[I10] a refused record is a rejected result with a reason and does not stop the others',
      async () => {
        const results = await write(fx, [
          [
            { key: 'W-1', op: 'upsert', fields: sample(1) },
            { key: 'W-bad', op: 'upsert', fields: { ...sample(2), ...fx.refused } },
            { key: 'W-3', op: 'upsert', fields: sample(3) },
          ],
        ]);
        expectStatuses(results, { 'W-1': 'created', 'W-bad': 'rejected', 'W-3': 'created' });
        const bad = results.find((r) => r.key === 'W-bad');
        expect(bad?.reason).toBeTypeOf('string');
        expect(bad?.reason?.length).toBeGreaterThan(0);
        const live = (await read(fx, undefined)).records.filter((r) => !r.deleted);
        expect(live.map((r) => r.key).sort()).toEqual(['W-1', 'W-3']);
      },
    );

    check(
      'opaque-keys',
      'keys and text are opaque: quotes, commas, backslashes, newlines and non-ASCII survive write, read and delete by key',
      async () => {
        const keys = [`O'Brien, "Ltd"`, 'back\\slash;semi', 'zoë-日本-1', '  spaced  '];
        const text = 'line one\nline "two", \'three\' é';
        const records: OutboundRecord[] = keys.map((key, i) => ({
          key,
          op: 'upsert',
          fields: { ...sample(i), [fx.fields.text]: text },
        }));
        expectStatuses(await write(fx, [records]), Object.fromEntries(keys.map((k) => [k, 'created'])));
        const read1 = (await read(fx, undefined)).records;
        expect(read1.map((r) => r.key).sort()).toEqual([...keys].sort());
        for (const r of read1) expect(r.fields[fx.fields.text]).toBe(text);
        expectStatuses(
          await write(fx, [keys.map((key) => ({ key, op: 'delete' as const, fields: {} }))]),
          Object.fromEntries(keys.map((k) => [k, 'deleted'])),
        );
        expect((await read(fx, undefined)).records.filter((r) => !r.deleted)).toEqual([]);
      },
    );

    check('null-and-absent', 'null sets null and an absent field is left alone', async () => {
      const f = fx.fields;
      await write(fx, [[1, 2, 3].map((i) => ({ key: `W-${i}`, op: 'upsert' as const, fields: sample(i) }))]);
      // One batch, three different sets of present fields.
      const results = await write(fx, [
        [
          { key: 'W-1', op: 'upsert', fields: { [f.number]: null } },
          { key: 'W-2', op: 'upsert', fields: { [f.text]: 'Only the text' } },
          { key: 'W-3', op: 'upsert', fields: {} },
        ],
      ]);
      expectStatuses(results, { 'W-1': 'updated', 'W-2': 'updated', 'W-3': 'updated' });
      const byKey = new Map((await read(fx, undefined)).records.map((r) => [r.key, r.fields]));
      expect(byKey.get('W-1')).toEqual({ ...sample(1), [f.number]: null });
      expect(byKey.get('W-2')).toEqual({ ...sample(2), [f.text]: 'Only the text' });
      expect(byKey.get('W-3')).toEqual(sample(3));
    });

    check(
      'read-back',
      'what a sink wrote is returned by the next read with the same values (echoes can be recognised)',
      async () => {
        await fx.startOfClockTick?.(); // the writes land in the tick of the reads' watermarks
        await fx.insert('K-0', sample(0));
        const start = (await read(fx, undefined)).watermark;
        const created: OutboundRecord[] = [1, 2].map((i) => ({
          key: `W-${i}`,
          op: 'upsert',
          fields: sample(i, `Written ${i}`),
        }));
        const createdResults = await write(fx, [created]);
        const echo = await read(fx, start);
        expectNonDecreasing(echo.batches, start);
        const full = await read(fx, undefined);
        for (const w of created) {
          // The incremental read carries the echo (or, for a source that suppresses own writes, nothing of it); a full
          // read always returns what was written, typed as written.
          const echoed = echo.records.filter((r) => r.key === w.key);
          if (fx.suppressesOwnWrites === true) expect(echoed, `${w.key} must not come back as a change`).toEqual([]);
          else expect(echoed.length, `${w.key} read back`).toBeGreaterThanOrEqual(1);
          const versions = [
            full.records.find((r) => r.key === w.key),
            ...(fx.suppressesOwnWrites === true ? [] : [echoed.at(-1)]),
          ];
          for (const got of versions) {
            expect(got, `${w.key} in a full read`).toBeDefined();
            expect(got?.fields).toEqual(w.fields);
            expect(got?.deleted).toBe(false);
            const nativeId = createdResults.find((r) => r.key === w.key)?.nativeId;
            if (nativeId !== undefined) expect(got?.nativeId).toBe(nativeId);
          }
        }
        // An update's echo carries the merged state, typed as a read would type it.
        const update: OutboundRecord = { key: 'W-1', op: 'upsert', fields: { [fx.fields.number]: 42.5 } };
        await write(fx, [[update]]);
        const merged = { ...sample(1, 'Written 1'), [fx.fields.number]: 42.5 };
        const next = await read(fx, echo.watermark);
        const updated = next.records.filter((r) => r.key === 'W-1');
        if (fx.suppressesOwnWrites === true) expect(updated).toEqual([]);
        else expect(updated.at(-1)?.fields).toEqual(merged);
        expect((await read(fx, undefined)).records.find((r) => r.key === 'W-1')?.fields).toEqual(merged);
      },
    );

    check('resume-empty', 'resume with an empty ledger yields nothing', async () => {
      const ledger = new MemoryJobLedger();
      const yielded: (readonly WriteResult[])[] = [];
      for await (const results of fx.connector.createSink().resume(fx.stream, { ledger })) yielded.push(results);
      expect(yielded.flat()).toEqual([]);
      expect(ledger.entries.size).toBe(0);
    });

    check('close-twice', 'close() twice is safe', async () => {
      await fx.connector.close();
      await expect(fx.connector.close()).resolves.toBeUndefined();
    });
  });
}

/** Every batch of one readChanges call (bounded by MAX_PAGES), its records, and the watermark to resume from. */
export async function read(
  fx: ConnectorFixture,
  since: Watermark | undefined,
  batchSize?: number,
): Promise<{ batches: ChangeBatch[]; records: NativeRecord[]; watermark: Watermark | undefined }> {
  const batches: ChangeBatch[] = [];
  for await (const batch of fx.connector
    .createSource()
    .readChanges(fx.stream, since, batchSize === undefined ? {} : { batchSize })) {
    batches.push(batch);
    if (batches.length > MAX_PAGES) throw new Error(`readChanges yielded more than ${MAX_PAGES} pages`);
  }
  return { batches, records: batches.flatMap((b) => [...b.records]), watermark: batches.at(-1)?.watermark ?? since };
}

/** Writes the batches through one Sink.write call and collects every result; the ledger must end with no open job. */
export async function write(
  fx: ConnectorFixture,
  batches: readonly (readonly OutboundRecord[])[],
): Promise<WriteResult[]> {
  const ledger = new MemoryJobLedger();
  async function* gen(): AsyncGenerator<readonly OutboundRecord[]> {
    yield* batches;
  }
  const out: WriteResult[] = [];
  for await (const results of fx.connector.createSink().write(fx.stream, gen(), { ledger })) out.push(...results);
  expect(out).toHaveLength(batches.reduce((n, b) => n + b.length, 0));
  expect(await ledger.listOpen(fx.connector.system, fx.stream.name), 'every job of the write finished').toEqual([]);
  return out;
}

async function listKeys(fx: ConnectorFixture): Promise<KeyEntry[]> {
  const source = fx.connector.createSource();
  if (source.listKeys === undefined) throw new Error('the source has no listKeys');
  const out: KeyEntry[] = [];
  for await (const page of source.listKeys(fx.stream, {})) out.push(...page);
  return out;
}

/** Checks the status of every result by key (one result per key); a failure shows the results, reasons included. */
function expectStatuses(results: readonly WriteResult[], expected: Readonly<Record<string, string>>): void {
  expect(statusByKey(results), JSON.stringify(results)).toEqual(expected);
}

/** Status by key, failing when a key has two results. */
function statusByKey(results: readonly WriteResult[]): Record<string, string> {
  const m: Record<string, string> = {};
  for (const r of results) {
    expect(r.key in m, `one result per record, ${r.key} twice`).toBe(false);
    m[r.key] = r.status;
  }
  return m;
}

function expectNonDecreasing(batches: readonly ChangeBatch[], since: Watermark | undefined): void {
  let previous = since;
  for (const batch of batches) {
    if (previous !== undefined)
      expect(compareWatermarks(batch.watermark, previous), 'watermark went back').toBeGreaterThanOrEqual(0);
    previous = batch.watermark;
  }
}

function expectInstant(text: string): void {
  expect(text).toMatch(ISO_INSTANT);
  expect(() => instantToEpochNanos(text)).not.toThrow();
}

function expectTyped(f: ContractFields, fields: Fields): void {
  expect(typeof fields[f.text]).toBe('string');
  expect(typeof fields[f.number]).toBe('number');
  if (f.boolean !== undefined) expect(typeof fields[f.boolean]).toBe('boolean');
  if (f.date !== undefined) expect(String(fields[f.date])).toMatch(ISO_DATE);
}
