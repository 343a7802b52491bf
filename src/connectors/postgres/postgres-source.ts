import type { ChangeBatch, CallOptions, KeyEntry, ReadOptions, Source } from '../connector.js';
import type { Fields, FieldValue, NativeRecord } from '../../model/record.js';
import type { StreamRef } from '../../model/stream.js';
import { compareWatermarks, type Watermark } from '../../model/watermark.js';
import { decodePosition, encodePosition, logTable, logTableName, type LogPosition } from './change-log.js';
import { quoteIdent } from './identifiers.js';
import { CompleteKeySet, IncompleteKeyScanError } from './complete-key-set.js';
import type { SqlClient } from './sql-client.js';
import type { Logger } from '../../util/logger.js';
import { NOW_EXPRESSION, recordSelectList, type PlanResolver, type RecordRow, type StreamPlan } from './stream-plan.js';
import { naiveLowerBound } from './naive-timestamps.js';
import { parseValue, readExpression } from './table-shape.js';

/** One bucket of `bucketHashes`: how many live keyed rows fall in it and the hash of their mapped fields. */
export interface BucketHash {
  readonly bucket: number;
  readonly count: number;
  readonly hash: string;
}

export interface PostgresSourceOptions {
  readonly client: SqlClient;
  readonly plan: PlanResolver;
  readonly tandemSchema: string;
  readonly batchSize: number;
  readonly logger?: Logger;
}

/** The log watermark a full read hands out until it finishes: resuming from it starts the full read again. */
const FULL_READ_PENDING: Watermark = Object.freeze({ kind: 'log', position: '0' });

/**
 * Reads a Postgres table's changes (watermark or changelog capture), its live keys and per-bucket hashes.
 * See docs/postgres-connector.md for the guarantees.
 *
 * @example
 * ```ts
 * const source = connector.createSource()
 * for await (const batch of source.readChanges(stream, stored, {})) { stage(batch.records); store(batch.watermark) }
 * ```
 */
export class PostgresSource implements Source {
  readonly #o: PostgresSourceOptions;
  #warnedHidden = false;

  constructor(options: PostgresSourceOptions) {
    this.#o = options;
  }

  readChanges(stream: StreamRef, since: Watermark | undefined, options: ReadOptions): AsyncIterable<ChangeBatch> {
    return this.#readChanges(stream, since, options);
  }

  /** The rows whose key column holds one of `keys`, read now (one statement). */
  async readKeys(stream: StreamRef, keys: readonly string[], options: CallOptions = {}): Promise<NativeRecord[]> {
    options.signal?.throwIfAborted();
    if (keys.length === 0) return [];
    const plan = await this.#o.plan(stream);
    const { rows } = await this.#o.client.query<RecordRow>(
      `SELECT ${recordSelectList(plan)} FROM ${plan.table} t WHERE t.${quoteIdent(plan.key.name)}::text = ANY($1::text[])`,
      [[...keys]],
    );
    return rows.map((row) => toRecord(plan, row, undefined));
  }

  async *#readChanges(
    stream: StreamRef,
    since: Watermark | undefined,
    options: ReadOptions,
  ): AsyncGenerator<ChangeBatch> {
    const plan = await this.#o.plan(stream);
    const pageSize = Math.max(1, Math.min(options.batchSize ?? this.#o.batchSize, this.#o.batchSize));
    if (plan.settings.capture === 'watermark') {
      // A log watermark (the stream switched modes) says nothing about timestamps: read everything.
      yield* this.#readByTimestamp(plan, since?.kind === 'cursor' ? since : undefined, pageSize, options);
    } else if (since?.kind === 'log' && since.position !== '0') {
      yield* this.#readLog(plan, since, pageSize, options);
    } else {
      yield* this.#fullReadForLog(plan, pageSize, options);
    }
  }

  /**
   * Watermark capture: ascending (updated_at, pk) keyset pages, starting `lookbackSeconds` before the stored
   * cursor. The watermark handed out is capped by the start of the oldest transaction still open and by now(), so
   * a transaction that stamps its rows with its own start time (now()) and commits late is read on the next run.
   */
  async *#readByTimestamp(
    plan: StreamPlan,
    since: Extract<Watermark, { kind: 'cursor' }> | undefined,
    pageSize: number,
    options: CallOptions,
  ): AsyncGenerator<ChangeBatch> {
    const db = this.#o.client;
    const u = plan.updatedAt;
    if (u === undefined) throw new Error('bug: watermark capture without an updatedAt column');
    const uRef = `t.${quoteIdent(u.name)}`;
    const pkRef = `t.${quoteIdent(plan.pk.name)}`;
    const cap = await this.#horizonCap();
    let after: { readonly ts: string; readonly pk: string } | undefined;
    for (;;) {
      options.signal?.throwIfAborted();
      let where: string;
      let params: unknown[];
      if (after !== undefined) {
        where = `(${uRef}, ${pkRef}) > ($1::${u.castType}, $2::${plan.pk.castType})`;
        params = [after.ts, after.pk];
      } else if (since !== undefined) {
        where =
          u.kind === 'timestamp'
            ? `${uRef} >= ${naiveLowerBound('$1', '$2')}`
            : `${uRef} >= $1::${u.castType} - make_interval(secs => $2::double precision)`;
        params = [since.modifiedAt, plan.settings.lookbackSeconds];
      } else {
        where = 'true';
        params = [];
      }
      const { rows } = await db.query<RecordRow>(
        `SELECT ${recordSelectList(plan)} FROM ${plan.table} t WHERE ${where}
          ORDER BY ${uRef}, ${pkRef} LIMIT ${pageSize}`,
        params,
      );
      const last = rows.at(-1);
      if (last === undefined) return;
      const lastTs = last.__ts ?? '';
      const seen: Watermark = { kind: 'cursor', modifiedAt: lastTs, id: last.__pk };
      let watermark = compareWatermarks(seen, cap) < 0 ? seen : cap;
      if (since !== undefined && compareWatermarks(watermark, since) < 0) watermark = since;
      yield Object.freeze({ records: Object.freeze(rows.map((r) => toRecord(plan, r, undefined))), watermark });
      if (rows.length < pageSize) return;
      // Pages follow the column's own order: a naive column pages by its local value, not by the instant.
      after = { ts: last.__tsk ?? lastTs, pk: last.__pk };
    }
  }

  /** min(now(), start of the oldest open transaction of another session), as a cursor below every id at that time. */
  async #horizonCap(): Promise<Watermark> {
    const { rows } = await this.#o.client.query<{ now: string; oldest: string | null; hidden: string }>(
      `SELECT ${NOW_EXPRESSION} AS now,
              (SELECT to_char(min(xact_start) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
                 FROM pg_stat_activity
                WHERE pid <> pg_backend_pid() AND xact_start IS NOT NULL AND datname = current_database()
                  AND backend_type = 'client backend') AS oldest,
              -- Sessions of other roles show NULLs unless tandem's role has pg_read_all_stats.
              (SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND backend_type IS NULL)::text AS hidden`,
    );
    const row = rows[0];
    if (row === undefined) throw new Error('bug: horizon query returned no row');
    if (row.hidden !== '0' && !this.#warnedHidden) {
      this.#warnedHidden = true;
      this.#o.logger?.warn(
        { hiddenSessions: Number(row.hidden) },
        'cannot see the transactions of other roles: late commits are caught only within lookbackSeconds; ' +
          'GRANT pg_read_all_stats TO the tandem role to also cap the watermark at the oldest open transaction',
      );
    }
    const now: Watermark = { kind: 'cursor', modifiedAt: row.now, id: '' };
    if (row.oldest === null) return now;
    const oldest: Watermark = { kind: 'cursor', modifiedAt: row.oldest, id: '' };
    return compareWatermarks(oldest, now) < 0 ? oldest : now;
  }

  /**
   * Changelog capture after a log watermark: prune what the stored watermark covers, then consume entries below the
   * xid horizon in (xid, seq) order. Entries of one page collapse per row into its current state.
   */
  async *#readLog(
    plan: StreamPlan,
    since: Extract<Watermark, { kind: 'log' }>,
    pageSize: number,
    options: CallOptions,
  ): AsyncGenerator<ChangeBatch> {
    const db = this.#o.client;
    const log = logTable(this.#o.tandemSchema);
    const tableName = logTableName(plan.settings);
    const start = decodePosition(since.position);
    // Entries at or below the stored watermark were staged by the engine: they can go.
    await db.query(`DELETE FROM ${log} WHERE table_name = $1 AND (xid, seq) <= ($2::text::xid8, $3::bigint)`, [
      tableName,
      start.xid.toString(),
      start.seq.toString(),
    ]);
    const horizon = await this.#xidHorizon();
    let from: LogPosition = start;
    for (;;) {
      options.signal?.throwIfAborted();
      const { rows: entries } = await db.query<{
        seq: string;
        xid: string;
        key: string | null;
        pk: string;
        at: string;
      }>(
        // Qualified names: a bare ORDER BY seq would sort by the text output column.
        `SELECT l.seq::text AS seq, l.xid::text AS xid, l.key, l.pk,
                to_char(l.captured_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
           FROM ${log} l
          WHERE l.table_name = $1 AND (l.xid, l.seq) > ($2::text::xid8, $3::bigint) AND l.xid < $4::text::xid8
          ORDER BY l.xid, l.seq LIMIT ${pageSize}`,
        [tableName, from.xid.toString(), from.seq.toString(), horizon.toString()],
      );
      const lastEntry = entries.at(-1);
      const finished = entries.length < pageSize;
      const reached: LogPosition = finished
        ? { xid: horizon, seq: 0n }
        : { xid: BigInt(lastEntry?.xid ?? 0), seq: BigInt(lastEntry?.seq ?? 0) };
      let position = encodePosition(reached);
      if (BigInt(position) < BigInt(since.position)) position = since.position;
      const records = await this.#collapse(plan, entries);
      if (records.length > 0 || BigInt(position) > BigInt(since.position)) {
        yield Object.freeze({ records: Object.freeze(records), watermark: Object.freeze({ kind: 'log', position }) });
      }
      if (finished) return;
      from = reached;
    }
  }

  async #xidHorizon(): Promise<bigint> {
    const { rows } = await this.#o.client.query<{ h: string }>(
      `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS h`,
    );
    const h = rows[0]?.h;
    if (h === undefined) throw new Error('bug: xid horizon query returned no row');
    return BigInt(h);
  }

  /** One record per (pk, key) seen in `entries`: the row's current state, or a tombstone when it is gone. */
  async #collapse(
    plan: StreamPlan,
    entries: readonly { key: string | null; pk: string; at: string }[],
  ): Promise<NativeRecord[]> {
    if (entries.length === 0) return [];
    const latest = new Map<string, { key: string | null; pk: string; at: string }>();
    for (const e of entries) {
      const id = JSON.stringify([e.pk, e.key]);
      latest.delete(id); // keep the order of last appearance
      latest.set(id, e);
    }
    const pks = [...new Set([...latest.values()].map((e) => e.pk))];
    const { rows } = await this.#o.client.query<RecordRow>(
      `SELECT ${recordSelectList(plan)} FROM ${plan.table} t WHERE t.${quoteIdent(plan.pk.name)} = ANY($1::text[]::${plan.pk.castType}[])`,
      [pks],
    );
    const current = new Map(rows.map((r) => [r.__pk, r]));
    const records: NativeRecord[] = [];
    for (const e of latest.values()) {
      const row = current.get(e.pk);
      if (row !== undefined && row.__key === e.key) {
        records.push(toRecord(plan, row, e.at));
      } else {
        // Deleted, or its key changed: this identity is gone. A row deleted before it had a key gets a tombstone too
        // (key ''): tandem may already know it under the key derived from its primary key.
        records.push(
          Object.freeze({
            key: e.key ?? '',
            nativeId: e.pk,
            fields: Object.freeze({}),
            modifiedAt: e.at,
            deleted: true,
          }),
        );
      }
    }
    return records;
  }

  /**
   * Changelog capture without a log watermark: a full keyset read by primary key. The horizon is taken first, so
   * every transaction that may have missed the scan has an xid at or above it and is consumed by the next read.
   * Pages carry log position 0 ("full read not finished") until the last one.
   */
  async *#fullReadForLog(plan: StreamPlan, pageSize: number, options: CallOptions): AsyncGenerator<ChangeBatch> {
    const horizon = await this.#xidHorizon();
    const { rows: nowRows } = await this.#o.client.query<{ now: string }>(`SELECT ${NOW_EXPRESSION} AS now`);
    const now = nowRows[0]?.now ?? '';
    const done: Watermark = Object.freeze({ kind: 'log', position: encodePosition({ xid: horizon, seq: 0n }) });
    for await (const rows of this.#pagesByPk<RecordRow>(plan, recordSelectList(plan), 'true', pageSize, options)) {
      const records = rows.rows.map((r) => toRecord(plan, r, now));
      yield Object.freeze({ records: Object.freeze(records), watermark: rows.last ? done : FULL_READ_PENDING });
    }
  }

  /** Keyset pages ordered by primary key; `last` marks the final page (possibly empty). */
  async *#pagesByPk<R extends { __pk: string }>(
    plan: StreamPlan,
    selectList: string,
    filter: string,
    pageSize: number,
    options: CallOptions,
  ): AsyncGenerator<{ rows: R[]; last: boolean }> {
    const pkRef = `t.${quoteIdent(plan.pk.name)}`;
    let after: string | undefined;
    for (;;) {
      options.signal?.throwIfAborted();
      const { rows } = await this.#o.client.query<R>(
        `SELECT ${selectList} FROM ${plan.table} t WHERE ${filter}
           ${after === undefined ? '' : `AND ${pkRef} > $1::${plan.pk.castType}`}
          ORDER BY ${pkRef} LIMIT ${pageSize}`,
        after === undefined ? [] : [after],
      );
      const last = rows.length < pageSize;
      yield { rows, last };
      if (last) return;
      after = rows.at(-1)?.__pk;
    }
  }

  /**
   * Every live row's key (not soft-deleted), in pages; a row without a key is listed with key '' (as the Source
   * contract asks), so key reconciliation can tell a keyless row tandem knows by its derived key from a deleted one.
   * On a real server one consistent snapshot through a server-side cursor; on PGlite keyset pages. Prefer
   * `readCompleteKeySet`, which cannot return a partial set.
   */
  listKeys(stream: StreamRef, options: CallOptions): AsyncIterable<readonly KeyEntry[]> {
    return this.#listKeys(stream, options);
  }

  async *#listKeys(stream: StreamRef, options: CallOptions): AsyncGenerator<readonly KeyEntry[]> {
    const plan = await this.#o.plan(stream);
    const keyRef = `t.${quoteIdent(plan.key.name)}`;
    const select = `${keyRef}::text AS __key, t.${quoteIdent(plan.pk.name)}::text AS __pk`;
    const filter = plan.softDelete === undefined ? 'true' : `t.${quoteIdent(plan.softDelete.name)} IS NULL`;
    const toEntries = (rows: readonly { __key: string | null; __pk: string }[]): readonly KeyEntry[] =>
      Object.freeze(rows.map((r) => Object.freeze({ key: r.__key ?? '', nativeId: r.__pk })));
    const stream_ = this.#o.client.stream;
    if (stream_ !== undefined) {
      for await (const rows of stream_<{ __key: string | null; __pk: string }>(
        `SELECT ${select} FROM ${plan.table} t WHERE ${filter}`,
        [],
        this.#o.batchSize,
      )) {
        options.signal?.throwIfAborted();
        yield toEntries(rows);
      }
      return;
    }
    for await (const page of this.#pagesByPk<{ __key: string | null; __pk: string }>(
      plan,
      select,
      filter,
      this.#o.batchSize,
      options,
    )) {
      if (page.rows.length > 0) yield toEntries(page.rows);
    }
  }

  /**
   * The complete set of live keys. Resolves only when the listing ran to its end; any failure or abort rejects with
   * IncompleteKeyScanError, so a partial listing can never be mistaken for proof that a record was deleted.
   */
  async readCompleteKeySet(stream: StreamRef, options: CallOptions = {}): Promise<CompleteKeySet> {
    const keys = new Map<string, string>();
    try {
      for await (const page of this.listKeys(stream, options))
        for (const e of page) if (e.key !== '') keys.set(e.key, e.nativeId);
    } catch (thrown) {
      throw new IncompleteKeyScanError(stream.name, keys.size, thrown);
    }
    return CompleteKeySet.fromFinishedScan(stream.name, keys);
  }

  /**
   * Per-bucket hashes of live keyed rows, so drift can be localised without pulling every record. A row's bucket is
   * `parseInt(md5(key).slice(0, 8), 16) % buckets`; its hash is `md5(key, value texts joined by U+001F, NULL as
   * U+001E)`; a bucket's hash is md5 of its rows' hashes concatenated in byte order of key. `bucketHashOf` computes the
   * same from NativeRecords.
   */
  async bucketHashes(
    stream: StreamRef,
    options: { readonly buckets: number; readonly fields?: readonly string[] } & CallOptions,
  ): Promise<readonly BucketHash[]> {
    const plan = await this.#o.plan(stream);
    const chosen = options.fields ?? plan.settings.fields;
    const cols = chosen.map((name) => {
      const col = plan.fields.find((f) => f.name === name);
      if (col === undefined)
        throw new RangeError(
          `bucketHashes: ${name} is not a mapped field of ${stream.name}; mapped: ${plan.settings.fields.join(', ')}`,
        );
      return col;
    });
    if (!Number.isInteger(options.buckets) || options.buckets < 1)
      throw new RangeError('bucketHashes: buckets must be a positive integer');
    const keyRef = `t.${quoteIdent(plan.key.name)}`;
    const parts = [`s.k`, ...cols.map((_, i) => `coalesce(s.c${i}, chr(30))`)];
    const { rows } = await this.#o.client.query<{ bucket: number | string; n: string; hash: string }>(
      `WITH s AS (
         SELECT ${keyRef}::text AS k${cols.map((c, i) => `, ${readExpression(c.kind, `t.${quoteIdent(c.name)}`)} AS c${i}`).join('')}
           FROM ${plan.table} t
          WHERE ${keyRef} IS NOT NULL${plan.softDelete === undefined ? '' : ` AND t.${quoteIdent(plan.softDelete.name)} IS NULL`}
       ), r AS (
         SELECT k, md5(concat_ws(chr(31), ${parts.join(', ')})) AS h FROM s
       )
       SELECT (('x' || substr(md5(k), 1, 8))::bit(32)::bigint % $1::bigint)::int AS bucket, count(*)::text AS n,
              md5(string_agg(h, '' ORDER BY k COLLATE "C")) AS hash
         FROM r GROUP BY 1 ORDER BY 1`,
      [options.buckets],
    );
    return Object.freeze(
      rows.map((r) => Object.freeze({ bucket: Number(r.bucket), count: Number(r.n), hash: r.hash })),
    );
  }
}

function toRecord(plan: StreamPlan, row: RecordRow, fallbackModifiedAt: string | undefined): NativeRecord {
  const fields: Record<string, FieldValue> = {};
  plan.fields.forEach((f, i) => {
    fields[f.name] = parseValue(f.kind, row[`c${i}`] ?? null);
  });
  return Object.freeze({
    key: row.__key ?? '',
    nativeId: row.__pk,
    fields: Object.freeze<Fields>(fields),
    modifiedAt: row.__ts ?? fallbackModifiedAt ?? '',
    deleted: row.__del === true || row.__del === 't' || row.__del === 'true',
  });
}
