import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { appendRows, copyRows, rowSource, type CopyColumn, type CopyValue } from '../../src/state/copy-rows.js';
import { CopyValueError } from '../../src/state/copy-text.js';
import { migrateStateDatabase, type StateDatabase } from '../../src/state/state-database.js';
import { StateStore } from '../../src/state/state-store.js';
import { ROWS_FOR_COPY } from '../../src/state/statement-sizes.js';
import type { RecordState } from '../../src/model/record-rows.js';
import { testBackends, uniqueSchemaName, type TestBackend } from '../support/test-databases.js';
import { openTestStateDatabase } from '../support/test-state.js';

/** Text that COPY's text format (or a CSV one) must escape, or that looks like one of its markers. */
const HOSTILE: readonly string[] = [
  'tab\there',
  'new\nline',
  'carriage\rreturn',
  'crlf\r\n',
  '\n',
  '\t',
  'back\\slash',
  '\\',
  'ends with \\',
  '\\N',
  'N',
  '\\.',
  '\\.\n',
  '\\t not a tab',
  '"double" and \'single\' quotes',
  '""',
  '#N/A',
  'a,b;c|d',
  ' padded ',
  'emoji 😀 and 👩‍👩‍👧',
  'ü é ß 中文 עברית',
  '\u2028\u2029\u00a0',
  '',
  'x'.repeat(200_000) + '\t\\\n',
];

const COLUMNS: readonly CopyColumn[] = [
  { name: 't', type: 'text' },
  { name: 'j', type: 'jsonb' },
  { name: 'b', type: 'boolean' },
  { name: 'n', type: 'bigint' },
  { name: 'i', type: 'integer' },
  { name: 'at', type: 'timestamptz' },
];

/** One row per hostile text, the text also inside a jsonb value with nested quotes; then NULLs and edge values. */
function hostileRows(): CopyValue[][] {
  const rows: CopyValue[][] = HOSTILE.map((text, i) => [
    text,
    JSON.stringify({ text, nested: { quote: `"${text}"`, list: [text, null, '\\N'] }, [text]: i }),
    i % 2 === 0,
    String(9_007_199_254_740_993n + BigInt(i)),
    i - 5,
    new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i)),
  ]);
  rows.push([null, null, null, null, null, null]);
  rows.push(['', 'null', false, '0', 0, new Date(0)]);
  rows.push(['null', '"\\\\N"', true, '-1', 2147483647, new Date(Date.UTC(1999, 11, 31, 23, 59, 59, 999))]);
  return rows;
}

async function readBack(database: StateDatabase, rows: readonly CopyValue[][], copy: boolean): Promise<unknown[]> {
  return database.db.transaction().execute(async (trx) => {
    const withOrder: CopyValue[][] = rows.map((r, i) => [i, ...r]);
    const source = await rowSource(trx, [{ name: 'ord', type: 'integer' }, ...COLUMNS], withOrder, { copy });
    const result = await sql<Record<string, unknown>>`
      select u.t, u.j, u.b, u.n::text as n, u.i, u.at from ${source} order by u.ord`.execute(trx);
    return result.rows;
  });
}

/** What the rows read back as: jsonb parsed, bigint as text, timestamptz as a Date. */
function expected(rows: readonly CopyValue[][]): unknown[] {
  return rows.map(([t, j, b, n, i, at]) => ({
    t,
    j: typeof j === 'string' ? JSON.parse(j) : j,
    b,
    n,
    i,
    at,
  }));
}

function event(key: string, detail: unknown): CopyValue[] {
  return ['s', 'account', '7', key, 'captured', 'erp', `n-${key}`, null, JSON.stringify(detail)];
}

const EVENT_COLUMNS = ['sync_name', 'object', 'run_id', 'key', 'kind', 'system', 'native_id', 'job_id', 'detail'];

async function eventKeys(database: StateDatabase): Promise<string[]> {
  const rows = await database.db.selectFrom('record_event').select('key').orderBy('id').execute();
  return rows.map((r) => r.key);
}

for (const backend of testBackends()) {
  describe(`${backend.name}: COPY inside the state store's transactions`, () => {
    const opened: StateDatabase[] = [];
    afterEach(async () => {
      for (const database of opened.splice(0)) {
        await database.db.schema.dropSchema(database.schema).ifExists().cascade().execute();
        await database.close();
      }
    });

    async function open(b: TestBackend): Promise<StateDatabase> {
      const database = await openTestStateDatabase(b, uniqueSchemaName('copy'));
      opened.push(database);
      await migrateStateDatabase(database);
      return database;
    }

    it('reads back hostile text, jsonb, NULLs, booleans, bigints and instants exactly, like the unnest path', async () => {
      const database = await open(backend);
      const rows = hostileRows();
      const viaCopy = await readBack(database, rows, true);
      expect(viaCopy).toEqual(expected(rows));
      // The same rows bound as array parameters (the small-chunk path) read back the same.
      expect(await readBack(database, rows, false)).toEqual(viaCopy);
      // An empty string is not NULL, and the text `\N` is not NULL either.
      expect(viaCopy.filter((r) => (r as { t: unknown }).t === null)).toHaveLength(1);
    });

    it('appends into a state table in the schema of the store, hostile keys and jsonb details intact', async () => {
      const database = await open(backend);
      const keys = HOSTILE.filter((k) => k.length < 1000);
      const copied = await database.db.transaction().execute((trx) =>
        copyRows(
          trx,
          'record_event',
          EVENT_COLUMNS,
          keys.map((k) => event(k, { k, quote: '"' })),
        ),
      );
      expect(copied).toBe(keys.length);
      const rows = await database.db
        .selectFrom('record_event')
        .select(['key', 'native_id', 'job_id', 'detail', sql<string>`run_id::text`.as('run_id')])
        .orderBy('id')
        .execute();
      expect(rows).toEqual(
        keys.map((k) => ({ key: k, native_id: `n-${k}`, job_id: null, detail: { k, quote: '"' }, run_id: '7' })),
      );
    });

    it('rolls the COPYed rows back when the transaction fails later', async () => {
      const database = await open(backend);
      const many = Array.from({ length: ROWS_FOR_COPY + 5 }, (_, i) => event(`k${i}`, { i }));
      await expect(
        database.db.transaction().execute(async (trx) => {
          await copyRows(trx, 'record_event', EVENT_COLUMNS, many);
          // A later statement of the same transaction fails (record_event.kind has a check constraint).
          await sql`insert into ${sql.id(database.schema, 'record_event')} (sync_name, object, key, kind) values ('s', 'account', 'x', 'no such kind')`.execute(
            trx,
          );
        }),
      ).rejects.toThrow(/check constraint/);
      expect(await eventKeys(database)).toEqual([]);
      // A failure thrown by the caller rolls back the same way, and the connection stays usable afterwards.
      await expect(
        database.db.transaction().execute(async (trx) => {
          await appendRows(
            trx,
            'record_event',
            EVENT_COLUMNS.map((name) => ({
              name,
              type: name === 'detail' ? 'jsonb' : name === 'run_id' ? 'bigint' : 'text',
            })),
            many,
          );
          throw new Error('later failure');
        }),
      ).rejects.toThrow('later failure');
      expect(await eventKeys(database)).toEqual([]);
      await database.db
        .transaction()
        .execute((trx) => copyRows(trx, 'record_event', EVENT_COLUMNS, [event('kept', {})]));
      expect(await eventKeys(database)).toEqual(['kept']);
    });

    it('refuses a row Postgres refuses (invalid jsonb) as a whole, and text with U+0000 before sending it', async () => {
      const database = await open(backend);
      await expect(
        database.db
          .transaction()
          .execute((trx) =>
            copyRows(trx, 'record_event', EVENT_COLUMNS, [event('a', {}), [...event('b', {}).slice(0, 8), '{"x":']]),
          ),
      ).rejects.toThrow(/json/i);
      await expect(
        database.db
          .transaction()
          .execute((trx) => copyRows(trx, 'record_event', EVENT_COLUMNS, [event('nul\u0000', {})])),
      ).rejects.toBeInstanceOf(CopyValueError);
      expect(await eventKeys(database)).toEqual([]);
    });

    it('upserts record states through COPY when the write set is large, hostile field values intact', async () => {
      const database = await open(backend);
      const store = new StateStore(database);
      const state = (i: number, name: string): RecordState => ({
        key: `K${String(i).padStart(4, '0')}`,
        base: { name, note: HOSTILE[i % HOSTILE.length] ?? '', phone: null },
        erp: { name, note: HOSTILE[i % HOSTILE.length] ?? '', phone: null },
        crm: { name: `${name}\tcrm`, note: '\\N' },
        erpId: `e\t${i}`,
        crmId: i % 3 === 0 ? null : `c\\${i}`,
        erpModifiedAt: '2026-01-01T00:00:00Z',
        crmModifiedAt: null,
        pending: i % 2 === 0 ? { name: `"${name}"` } : null,
        pendingDelete: false,
      });
      const count = ROWS_FOR_COPY * 2;
      const first = Array.from({ length: count }, (_, i) => state(i, `one ${i}`));
      await store.records.apply('s', 'account', { states: first });
      // Again, changed: every row conflicts with the stored one and is updated.
      const second = Array.from({ length: count }, (_, i) => state(i, `two\n${i}`));
      await store.records.apply('s', 'account', { states: second });
      const loaded = await store.records.loadStates(
        's',
        'account',
        second.map((s) => s.key),
      );
      expect(loaded.size).toBe(count);
      for (const s of second) expect(loaded.get(s.key)).toEqual(s);
    });
  });
}
