import type { OutboundRecord, Sink, WriteOptions, WriteResult } from '../connector.js';
import type { StreamRef } from '../../model/stream.js';
import { UnavailableError } from '../../util/errors.js';
import { ORIGIN_SETTING } from './change-log.js';
import { quoteIdent } from './identifiers.js';
import { databaseErrorText, rejectionReason } from './rejection-reason.js';
import { sqlState, type SqlClient, type SqlSession } from './sql-client.js';
import type { PlanResolver, StreamPlan } from './stream-plan.js';
import { formatValue, type ColumnInfo } from './table-shape.js';

export interface PostgresSinkOptions {
  readonly client: SqlClient;
  readonly plan: PlanResolver;
}

/** SQLSTATE classes that are about one record's data: data exception, integrity constraint, trigger RAISE. */
const RECORD_ERROR_CLASSES = new Set(['21', '22', '23', 'P0']);
/** Transient failures of the whole transaction: serialization failure, deadlock. Retried once. */
const RETRYABLE_STATES = new Set(['40001', '40P01']);
const STAGE = 'pg_temp.tandem_stage';

/** One staged record: its position in the staging table and what to do with it. */
interface Staged {
  readonly ord: number;
  readonly record: OutboundRecord;
  /** Every input record this one stands for (duplicates of one key in a batch collapse, the later fields win). */
  readonly originals: OutboundRecord[];
}

/**
 * Writes upserts and deletes into a Postgres table, one transaction per batch, tagged with `tandem.origin` so that
 * changelog capture does not read tandem's own writes back. Rows go through COPY (pg) or unnest() (PGlite) into a
 * temporary table, then one `INSERT ... ON CONFLICT (key) DO UPDATE` per set of present fields. A record the
 * database refuses is found by bisecting the failing statement under savepoints and reported as `rejected` with the
 * database's reason; the rest of the batch is written.
 *
 * @example
 * ```ts
 * for await (const results of connector.createSink().write(stream, batches, { ledger })) report(results)
 * ```
 */
export class PostgresSink implements Sink {
  readonly #o: PostgresSinkOptions;

  constructor(options: PostgresSinkOptions) {
    this.#o = options;
  }

  write(
    stream: StreamRef,
    batches: AsyncIterable<readonly OutboundRecord[]>,
    options: WriteOptions,
  ): AsyncIterable<readonly WriteResult[]> {
    return this.#write(stream, batches, options);
  }

  /** Postgres writes are transactional: nothing is ever left half-done to resume. */
  resume(_stream: StreamRef, _options: WriteOptions): AsyncIterable<readonly WriteResult[]> {
    return (async function* () {})();
  }

  async *#write(
    stream: StreamRef,
    batches: AsyncIterable<readonly OutboundRecord[]>,
    options: WriteOptions,
  ): AsyncGenerator<readonly WriteResult[]> {
    const plan = await this.#o.plan(stream);
    for await (const batch of batches) {
      options.signal?.throwIfAborted();
      if (batch.length === 0) continue;
      yield Object.freeze(await this.#writeBatch(plan, batch));
    }
  }

  async #writeBatch(plan: StreamPlan, batch: readonly OutboundRecord[]): Promise<WriteResult[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#o.client.transaction((tx) => writeInTransaction(tx, plan, batch));
      } catch (thrown) {
        const state = sqlState(thrown);
        if (state !== undefined && RETRYABLE_STATES.has(state)) {
          if (attempt < 2) continue;
          const reason = `transaction failed twice: ${databaseErrorText(thrown)}`;
          return batch.map((r) => ({ key: r.key, status: 'unprocessed', reason }));
        }
        if (state === undefined && !(thrown instanceof UnavailableError) && isConnectionError(thrown)) {
          throw new UnavailableError(
            `object ${plan.settings.object}: lost the Postgres connection while writing to ${plan.table}: ` +
              `${(thrown as Error).message}. The batch was rolled back; the next run writes it again.`,
            { object: plan.settings.object, table: plan.table },
            thrown,
          );
        }
        throw thrown;
      }
    }
  }
}

function isConnectionError(thrown: unknown): boolean {
  const code = (thrown as { code?: unknown })?.code;
  return typeof code === 'string'
    ? /^E[A-Z]+$/.test(code)
    : /connection|terminat/i.test(String((thrown as Error)?.message));
}

async function writeInTransaction(
  tx: SqlSession,
  plan: StreamPlan,
  batch: readonly OutboundRecord[],
): Promise<WriteResult[]> {
  await tx.query(`SELECT set_config('${ORIGIN_SETTING}', 'tandem', true)`);
  const results: WriteResult[] = [];
  const mapped = new Set(plan.settings.fields);
  const keyed = new Map<string, Staged>();
  const byPk = new Map<string, Staged>();
  const deletes: Staged[] = [];
  let ord = 0;
  for (const record of batch) {
    const unknown = Object.keys(record.fields).filter((f) => !mapped.has(f));
    if (record.op === 'upsert' && unknown.length > 0) {
      results.push({
        key: record.key,
        status: 'rejected',
        reason: `unknown field(s) ${unknown.join(', ')}; mapped fields of ${plan.settings.object}: ${plan.settings.fields.join(', ')}`,
      });
      continue;
    }
    if (record.key === '' && record.nativeId === undefined) {
      results.push({ key: record.key, status: 'rejected', reason: 'record has neither a key nor a native id' });
      continue;
    }
    if (record.op === 'delete') {
      if (plan.settings.deletes === 'ignore') {
        results.push({
          key: record.key,
          status: 'deleted',
          reason: `ignored: object ${plan.settings.object} has deletes: ignore`,
        });
      } else {
        deletes.push({ ord: ord++, record, originals: [record] });
      }
      continue;
    }
    const [index, id] = record.nativeId !== undefined ? [byPk, record.nativeId] : [keyed, record.key];
    const prior = index.get(id);
    if (prior === undefined) {
      index.set(id, { ord: ord++, record, originals: [record] });
    } else {
      const merged: OutboundRecord = { ...record, fields: { ...prior.record.fields, ...record.fields } };
      index.set(id, { ord: prior.ord, record: merged, originals: [...prior.originals, record] });
    }
  }
  const staged = [...keyed.values(), ...byPk.values(), ...deletes];
  if (staged.length === 0) return results;
  await stage(tx, plan, staged);

  const groups = new Map<string, Staged[]>();
  for (const s of keyed.values()) pushTo(groups, `key:${Object.keys(s.record.fields).sort().join(',')}`, s);
  for (const s of byPk.values()) pushTo(groups, `pk:${Object.keys(s.record.fields).sort().join(',')}`, s);
  for (const s of deletes) pushTo(groups, s.record.key !== '' ? 'delete:key' : 'delete:pk', s);

  for (const [group, members] of groups) {
    const [mode, rest = ''] = group.split(':') as [string, string | undefined];
    const columns = rest === '' ? [] : rest.split(',').map((name) => plan.fields.findIndex((f) => f.name === name));
    const sql =
      mode === 'key'
        ? upsertByKeySql(plan, columns)
        : mode === 'pk'
          ? updateByPkSql(plan, columns)
          : deleteSql(plan, rest === 'key' ? 'key' : 'pk');
    const notReturned = (s: Staged): Outcome =>
      mode === 'delete'
        ? { status: 'deleted' } // already gone (or already soft-deleted): deleting is idempotent
        : { status: 'rejected', reason: `no row with ${plan.pk.name} = ${s.record.nativeId ?? ''} in ${plan.table}` };
    const report = (s: Staged, outcome: Outcome): void => {
      for (const original of s.originals) results.push({ key: original.key, ...outcome });
    };
    await applyBisecting(tx, plan, sql, mode === 'delete', members, report, notReturned);
  }
  return results;
}

function pushTo(groups: Map<string, Staged[]>, id: string, s: Staged): void {
  const list = groups.get(id);
  if (list === undefined) groups.set(id, [s]);
  else list.push(s);
}

/** Fills `pg_temp.tandem_stage (ord, k, p, v0..vN)`, text only; casts happen in the statements that read it. */
async function stage(tx: SqlSession, plan: StreamPlan, staged: readonly Staged[]): Promise<void> {
  const valueColumns = plan.fields.map((_, i) => `v${i}`);
  await tx.query(
    `CREATE TEMP TABLE tandem_stage (ord int PRIMARY KEY, k text, p text${valueColumns.map((c) => `, ${c} text`).join('')}) ON COMMIT DROP`,
  );
  const rows = staged.map((s) => [
    String(s.ord),
    s.record.key === '' ? null : s.record.key,
    s.record.nativeId ?? null,
    ...plan.fields.map((f) => (f.name in s.record.fields ? formatValue(s.record.fields[f.name] ?? null) : null)),
  ]);
  const columns = ['ord', 'k', 'p', ...valueColumns];
  if (tx.copyRows !== undefined) {
    await tx.copyRows(STAGE, columns, rows);
    return;
  }
  const arrays = columns.map((_, c) => rows.map((r) => r[c] ?? null));
  await tx.query(
    `INSERT INTO ${STAGE} (${columns.join(', ')}) SELECT * FROM unnest(${columns.map((_, i) => `$${i + 1}::${i === 0 ? 'int' : 'text'}[]`).join(', ')})`,
    arrays.map((a, i) => (i === 0 ? a.map(Number) : a)),
  );
}

/** A statement over the staged rows whose ord is in `$1::int[]`; returns (ord, pk, created) of the rows it wrote. */
type GroupSql = string;

function castValue(col: ColumnInfo, ref: string): string {
  return `${ref}::${col.castType}`;
}

function upsertByKeySql(plan: StreamPlan, columns: readonly number[]): GroupSql {
  const key = quoteIdent(plan.key.name);
  const pk = quoteIdent(plan.pk.name);
  const cols = columns.map((i) => plan.fields[i] as ColumnInfo);
  const names = cols.map((c) => quoteIdent(c.name));
  // Existing rows are UPDATEd, not INSERTed ON CONFLICT: an INSERT's proposed row must satisfy NOT NULL even when
  // it then conflicts, so a partial update (only some fields) of a row with required columns would be refused.
  const updateSets = cols.length > 0 ? names.map((n, i) => `${n} = src.x${i}`) : [`${key} = src.k`];
  const conflictSets = cols.length > 0 ? names.map((n) => `${n} = EXCLUDED.${n}`) : [`${key} = EXCLUDED.${key}`];
  return `WITH src AS (
      SELECT s.ord, ${castValue(plan.key, 's.k')} AS k${columns.map((i, n) => `, ${castValue(cols[n] as ColumnInfo, `s.v${i}`)} AS x${n}`).join('')}
        FROM ${STAGE} s WHERE s.ord = ANY($1::int[])
    ), upd AS (
      UPDATE ${plan.table} AS t SET ${updateSets.join(', ')} FROM src WHERE t.${key} = src.k
      RETURNING src.ord, t.${pk}::text AS pk, false AS created
    ), ins AS (
      INSERT INTO ${plan.table} AS t (${[key, ...names].join(', ')})
      SELECT k${cols.map((_, n) => `, x${n}`).join('')} FROM src WHERE NOT EXISTS (SELECT 1 FROM upd WHERE upd.ord = src.ord)
      ON CONFLICT (${key}) DO UPDATE SET ${conflictSets.join(', ')}
      RETURNING t.${key} AS k, t.${pk}::text AS pk, (t.xmax = 0) AS created
    )
    SELECT ord, pk, created FROM upd
    UNION ALL
    SELECT src.ord, ins.pk, ins.created FROM ins JOIN src ON src.k = ins.k`;
}

function updateByPkSql(plan: StreamPlan, columns: readonly number[]): GroupSql {
  const cols = columns.map((i) => plan.fields[i] as ColumnInfo);
  const sets = [
    `${quoteIdent(plan.key.name)} = ${castValue(plan.key, 'src.k')}`,
    ...cols.map((c, n) => `${quoteIdent(c.name)} = ${castValue(c, `src.v${columns[n]}`)}`),
  ];
  return `UPDATE ${plan.table} AS t SET ${sets.join(', ')}
      FROM (SELECT * FROM ${STAGE} s WHERE s.ord = ANY($1::int[])) src
     WHERE t.${quoteIdent(plan.pk.name)} = ${castValue(plan.pk, 'src.p')}
    RETURNING src.ord, t.${quoteIdent(plan.pk.name)}::text AS pk, false AS created`;
}

function deleteSql(plan: StreamPlan, by: 'key' | 'pk'): GroupSql {
  const [column, ref] = by === 'key' ? [plan.key, 'src.k'] : [plan.pk, 'src.p'];
  const match = `t.${quoteIdent(column.name)} = ${castValue(column, ref)}`;
  const soft = plan.settings.deletes === 'soft-delete' ? plan.softDelete : undefined;
  if (soft !== undefined) {
    return `UPDATE ${plan.table} AS t SET ${quoteIdent(soft.name)} = now()
        FROM (SELECT * FROM ${STAGE} s WHERE s.ord = ANY($1::int[])) src
       WHERE ${match} AND t.${quoteIdent(soft.name)} IS NULL
      RETURNING src.ord, t.${quoteIdent(plan.pk.name)}::text AS pk, false AS created`;
  }
  return `DELETE FROM ${plan.table} AS t USING (SELECT * FROM ${STAGE} s WHERE s.ord = ANY($1::int[])) src
     WHERE ${match}
    RETURNING src.ord, t.${quoteIdent(plan.pk.name)}::text AS pk, false AS created`;
}

type Outcome = Omit<WriteResult, 'key'>;

/**
 * Runs `sql` for all members under a savepoint; when the database refuses, rolls back to the savepoint and splits the
 * members in halves until the refused records stand alone (k bad rows cost about k * log2(n) statements).
 */
async function applyBisecting(
  tx: SqlSession,
  plan: StreamPlan,
  sql: GroupSql,
  deleting: boolean,
  members: readonly Staged[],
  report: (s: Staged, outcome: Outcome) => void,
  notReturned: (s: Staged) => Outcome,
): Promise<void> {
  await tx.query('SAVEPOINT tandem_group');
  try {
    const { rows } = await tx.query<{ ord: number | string; pk: string; created: boolean | string }>(sql, [
      members.map((m) => m.ord),
    ]);
    await tx.query('RELEASE SAVEPOINT tandem_group');
    const byOrd = new Map(rows.map((r) => [Number(r.ord), r]));
    for (const m of members) {
      const row = byOrd.get(m.ord);
      if (row === undefined) report(m, notReturned(m));
      else if (deleting) report(m, { status: 'deleted', nativeId: row.pk });
      else report(m, { status: row.created === true || row.created === 't' ? 'created' : 'updated', nativeId: row.pk });
    }
  } catch (thrown) {
    const state = sqlState(thrown);
    if (state === undefined || !RECORD_ERROR_CLASSES.has(state.slice(0, 2))) throw thrown;
    await tx.query('ROLLBACK TO SAVEPOINT tandem_group');
    await tx.query('RELEASE SAVEPOINT tandem_group');
    if (members.length === 1) {
      const only = members[0] as Staged;
      report(only, { status: 'rejected', reason: await rejectionReason(tx, plan, thrown) });
      return;
    }
    const half = Math.ceil(members.length / 2);
    await applyBisecting(tx, plan, sql, deleting, members.slice(0, half), report, notReturned);
    await applyBisecting(tx, plan, sql, deleting, members.slice(half), report, notReturned);
  }
}
