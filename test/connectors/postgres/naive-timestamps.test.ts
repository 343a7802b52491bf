import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Watermark } from '../../../src/model/watermark.js';
import { createLogger } from '../../../src/util/logger.js';
import { openDb, readAll, readUntil, testBackends, type Db } from './fixtures.js';

const ZONE = 'America/New_York';

/** How far apart two ISO instants are, in milliseconds. */
function distanceMs(a: string, b: string): number {
  return Math.abs(Date.parse(a) - Date.parse(b));
}

for (const backend of testBackends()) {
  describe(`${backend.name}: [I16] naive (timestamp without time zone) updatedAt in a non-UTC ERP`, () => {
    let db: Db;
    beforeEach(async () => {
      db = await openDb(backend);
      // The ERP application's session runs in New York: now() lands in the naive column as New York local time.
      await db.exec(`SET TimeZone = '${ZONE}'`);
      await db.exec(`
        CREATE TABLE ${db.schema}.orders (
          id bigserial PRIMARY KEY,
          ext_id text UNIQUE,
          name text NOT NULL,
          updated_at timestamp NOT NULL DEFAULT now()
        );
        CREATE INDEX ON ${db.schema}.orders (updated_at, id);
      `);
    });
    afterEach(async () => {
      await db.exec(`RESET TimeZone`);
      await db.dispose();
    });

    const stream = (options: Record<string, unknown> = {}) => ({
      name: 'order',
      entity: `${db.schema}.orders`,
      keyField: 'ext_id',
      fields: ['name'],
      options: { capture: 'watermark', ...options },
    });

    /** A connector that knows the ERP's zone: declared (erp.timeZone), or as the database's own setting. */
    const connectors = {
      declared: () => db.connector({ timeZone: ZONE }),
      database: () =>
        backend.url === undefined
          ? db.connector() // PGlite: one session, already SET to New York by the application above
          : db.connector({ url: `${backend.url}?options=${encodeURIComponent(`-c TimeZone=${ZONE}`)}` }),
    };

    async function utcNow(): Promise<string> {
      const [row] = await db.exec(`SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t`);
      return String(row?.['t']);
    }

    for (const [how, connect] of Object.entries(connectors)) {
      it(`reads a naive value as the instant the ERP meant (zone ${how})`, async () => {
        const c = connect();
        await db.exec(`INSERT INTO ${db.schema}.orders (ext_id, name) VALUES ('a', 'A')`);
        const { records } = await readAll(c, stream(), undefined);
        expect(records.map((r) => r.key)).toEqual(['a']);
        // Read as UTC, the New York wall-clock time would be 4 or 5 hours off.
        expect(distanceMs(records[0]!.modifiedAt, await utcNow())).toBeLessThan(10 * 60_000);
      });

      it(`an incremental read with lookbackSeconds 0 sees a later naive row (zone ${how})`, async () => {
        const c = connect();
        await db.exec(`INSERT INTO ${db.schema}.orders (ext_id, name) VALUES ('a', 'A')`);
        const first = await readAll(c, stream({ lookbackSeconds: 0 }), undefined);
        expect(first.records.map((r) => r.key)).toEqual(['a']);
        await new Promise((resolve) => setTimeout(resolve, 20));
        await db.exec(`INSERT INTO ${db.schema}.orders (ext_id, name) VALUES ('b', 'B')`);
        const second = await readUntil(c, stream({ lookbackSeconds: 0 }), first.watermark, (rs) =>
          rs.some((r) => r.key === 'b'),
        );
        expect(second.records.map((r) => r.key)).toContain('b');
      });
    }

    it('reads rows written in the repeated hour of a DST fall-back after a cursor taken before it', async () => {
      const c = connectors.database();
      // 2025-11-02, New York: at 06:00Z clocks go back from 02:00 EDT to 01:00 EST.
      await db.exec(`
        INSERT INTO ${db.schema}.orders (ext_id, name, updated_at) VALUES
          ('before', 'B', '2025-11-02 00:30:00'),  -- 04:30Z, before the cursor's lookback window
          ('second-pass', 'S', '2025-11-02 01:10:00'),  -- 06:10Z, after the cursor, with an earlier wall clock
          ('after', 'A', '2025-11-02 03:00:00');  -- 08:00Z
      `);
      // A cursor stored at 05:50Z (01:50 EDT), 10 minutes before the fall-back.
      const since: Watermark = { kind: 'cursor', modifiedAt: '2025-11-02T05:50:00.000000Z', id: '' };
      const { records } = await readAll(c, stream({ lookbackSeconds: 300 }), since);
      const byKey = new Map(records.map((r) => [r.key, r]));
      expect(byKey.get('second-pass')?.modifiedAt).toBe('2025-11-02T06:10:00.000000Z');
      expect(byKey.get('after')?.modifiedAt).toBe('2025-11-02T08:00:00.000000Z');
      expect(byKey.has('before')).toBe(false);
    });

    it('pages through rows sharing one naive timestamp in their own order', async () => {
      const c = connectors.database();
      await db.exec(
        `INSERT INTO ${db.schema}.orders (ext_id, name) SELECT 'k' || g, 'n' || g FROM generate_series(1, 250) g`,
      );
      const whole = await readAll(c, stream(), undefined, 100);
      expect(whole.batches.length).toBe(3);
      expect(new Set(whole.records.map((r) => r.key)).size).toBe(250);
    });

    it.skipIf(backend.name !== 'postgres')(
      'the open-transaction cap works for naive values: a late commit is read with lookbackSeconds 0',
      async () => {
        const c = connectors.database();
        const s = stream({ lookbackSeconds: 0 });
        const initial = await readAll(c, s, undefined);
        const late = await db.connect();
        const early = await db.connect();
        for (const session of [late, early]) await session.query(`SET TimeZone = '${ZONE}'`);
        await late.query('BEGIN');
        await late.query(`INSERT INTO ${db.schema}.orders (ext_id, name) VALUES ('late', 'Late')`);
        await new Promise((r) => setTimeout(r, 20));
        await early.query(`INSERT INTO ${db.schema}.orders (ext_id, name) VALUES ('early', 'Early')`);
        const first = await readAll(c, s, initial.watermark);
        expect(first.records.map((r) => r.key)).toEqual(['early']);
        await late.query('COMMIT');
        const second = await readUntil(c, s, first.watermark, (rs) => rs.some((r) => r.key === 'late'));
        expect(second.records.map((r) => r.key)).toContain('late');
      },
    );

    it('refuses an erp.timeZone the database does not know, naming it', async () => {
      const c = db.connector({ timeZone: 'Mars/Olympus_Mons' });
      await expect(c.init([stream()])).rejects.toThrow(/erp\.timeZone "Mars\/Olympus_Mons" is not a time zone/);
    });

    it('warns at init that the column is naive and names the zone it is read in', async () => {
      const lines: string[] = [];
      const sink = new PassThrough();
      sink.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
      const c = db.connector({ timeZone: ZONE }, { logger: createLogger({ destination: sink, level: 'warn' }) });
      await c.init([stream()]);
      await new Promise((resolve) => setImmediate(resolve));
      const warning = lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l['column'] === 'updated_at');
      expect(warning?.['zone']).toBe(ZONE);
      expect(String(warning?.['msg'])).toMatch(
        /timestamp without time zone.*America\/New_York local time.*erp\.timeZone/,
      );
    });
  });
}
