import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { runSync } from '../../src/pipeline/run-sync.js';
import { forgetRecord, UnknownRecordError } from '../../src/retention/forget-record.js';
import { pruneState } from '../../src/retention/prune-state.js';
import type { StateDatabase } from '../../src/state/state-database.js';
import { testBackends } from '../support/test-databases.js';
import { createHarness, type Harness } from '../support/sync-harness.js';

/** Every row of every table of the state schema, as text: where a copy of a value would be. */
async function dumpSchema(database: StateDatabase): Promise<Map<string, string[]>> {
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
     where table_schema = ${database.schema} and table_type = 'BASE TABLE' order by 1`.execute(database.db);
  const out = new Map<string, string[]>();
  for (const { table_name } of tables.rows) {
    const rows = await sql<{
      row: unknown;
    }>`select to_jsonb(x) as row from ${sql.id(database.schema, table_name)} x`.execute(database.db);
    out.set(
      table_name,
      rows.rows.map((r) => JSON.stringify(r.row)),
    );
  }
  return out;
}

function tablesContaining(dump: Map<string, string[]>, needle: string): string[] {
  return [...dump.entries()].filter(([, rows]) => rows.some((r) => r.includes(needle))).map(([t]) => t);
}

for (const backend of testBackends()) {
  describe(`${backend.name}: retention and erasure`, { timeout: 300_000 }, () => {
    let h: Harness;
    afterEach(async () => {
      await h?.close();
    });

    it('forget leaves no copy of the record’s values in any table of the state schema, and keeps its key and ids', async () => {
      let rejectUpdates = false;
      h = await createHarness(backend, {
        rejectCrm: (key, fields) =>
          rejectUpdates && key === 'GONE' ? `INVALID_FIELD: phone ${String(fields['phone'])}` : undefined,
      });
      h.erp.insert('customers', 'GONE', { name: 'Erasable Person', phone: '+49-SECRET-1', city: 'Privatstadt' });
      h.erp.insert('customers', 'KEEP', { name: 'Kept Company', phone: '+1-KEEP', city: 'Oslo' });
      expect((await runSync(h.ctx)).status).toBe('succeeded');
      // Both sides edit the record: a decision with both values; the CRM refuses the write: a failed payload.
      const erpRow = h.erp.findByKey('customers', 'GONE')!;
      const crmRow = h.crm.findByKey('Account', 'GONE')!;
      h.erp.update('customers', erpRow.nativeId, { phone: '+49-SECRET-2' });
      h.crm.update('Account', crmRow.nativeId, { city: 'Geheimdorf' });
      rejectUpdates = true;
      const second = await runSync(h.ctx);
      expect(second.status).toBe('partial');
      // A change captured but not planned yet (the run stops after capture): a staged copy in the inbox.
      h.erp.update('customers', erpRow.nativeId, { name: 'Erasable Person Renamed' });
      await runSync(h.ctx, {
        checkpoint: (step) => {
          if (step === 'captured:account:erp') throw new Error('stop after capture');
        },
      });
      const values = ['Erasable Person', '+49-SECRET-1', '+49-SECRET-2', 'Privatstadt', 'Geheimdorf'];
      const before = await dumpSchema(h.store.database);
      expect(tablesContaining(before, 'Erasable Person').sort()).toEqual(
        expect.arrayContaining(['inbox', 'record_state']),
      );
      expect(tablesContaining(before, '+49-SECRET-2').length).toBeGreaterThanOrEqual(2);

      const report = await forgetRecord(h.store.database, h.ctx.sync, {
        object: 'account',
        nativeId: crmRow.nativeId,
        system: 'crm',
      });
      expect(report.key).toBe('GONE');
      expect(report.crmId).toBe(crmRow.nativeId);
      expect(report.removed['inbox']).toBeGreaterThan(0);

      const after = await dumpSchema(h.store.database);
      for (const value of values) expect(tablesContaining(after, value), value).toEqual([]);
      // Another record keeps its values; the forgotten one keeps its key, ids and existence, and the audit no values.
      expect(tablesContaining(after, 'Kept Company')).toContain('record_state');
      const state = await sql<{ key: string; erp_exists: boolean; crm_exists: boolean; crm_id: string }>`
        select key, erp_exists, crm_exists, crm_id from ${sql.id(h.store.database.schema, 'record_state')} where key = 'GONE'`.execute(
        h.store.database.db,
      );
      expect(state.rows).toEqual([{ key: 'GONE', erp_exists: true, crm_exists: true, crm_id: crmRow.nativeId }]);
      expect(after.get('erasure_audit')).toHaveLength(1);

      // The next run re-creates nothing: both sides still have exactly one GONE.
      rejectUpdates = false;
      const next = await runSync(h.ctx);
      expect(next.counts['account']!.crm.created + next.counts['account']!.erp.created).toBe(0);
      expect(h.crm.live('Account').filter((r) => r.key === 'GONE')).toHaveLength(1);
      expect(h.erp.live('customers').filter((r) => r.key === 'GONE')).toHaveLength(1);

      await expect(forgetRecord(h.store.database, h.ctx.sync, { object: 'account', key: 'NOPE' })).rejects.toThrow(
        UnknownRecordError,
      );
    });

    it('prune removes what is older than the retention and keeps what a live record needs', async () => {
      h = await createHarness(backend, { rejectCrm: (key) => (key === 'BAD' ? 'REQUIRED_FIELD_MISSING' : undefined) });
      h.erp.insert('customers', 'LIVE', { name: 'Live Co', phone: '1', city: 'Oslo' });
      h.erp.insert('customers', 'DEAD', { name: 'Dead Co', phone: '2', city: 'Rome' });
      h.erp.insert('customers', 'BAD', { name: 'Bad Co', phone: '3', city: 'Bern' });
      await runSync(h.ctx);
      // DEAD is deleted on both sides.
      h.erp.delete('customers', h.erp.findByKey('customers', 'DEAD')!.nativeId);
      await runSync(h.ctx);
      expect(h.crm.live('Account').some((r) => r.key === 'DEAD')).toBe(false);
      const db = h.store.database;
      const t = (name: string) => sql.id(db.schema, name);
      const runsBefore = (await h.store.runs.listRuns(h.ctx.sync, 100)).length;

      const days = { staged: 30, planned: 30, decisions: 30, runs: 30, failed: 30, history: 30 };
      const nothing = await pruneState(db, h.ctx.sync, days);
      expect([nothing.runs, nothing.failedPayloads, nothing.deletedRecordValues, nothing.staged]).toEqual([0, 0, 0, 0]);

      // Age everything by 40 days, then add one fresh staged change.
      const old = sql`now() - interval '40 days'`;
      await sql`update ${t('sync_run')} set started_at = ${old}`.execute(db.db);
      await sql`update ${t('failed_record')} set last_failed_at = ${old}`.execute(db.db);
      await sql`update ${t('record_state')} set updated_at = ${old}`.execute(db.db);
      await sql`update ${t('decision')} set created_at = ${old}`.execute(db.db);
      await sql`insert into ${t('inbox')} (sync_name, object, system, key, native_id, fields, modified_at, deleted)
                values (${h.ctx.sync}, 'account', 'erp', 'OLD', 'E9', '{"name":"Old Staged"}', '2020-01-01T00:00:00Z', false),
                       (${h.ctx.sync}, 'account', 'erp', 'NEW', 'E10', '{"name":"New Staged"}', '2020-01-01T00:00:00Z', false)`.execute(
        db.db,
      );
      await sql`update ${t('inbox')} set captured_at = ${old} where key = 'OLD'`.execute(db.db);

      // Whatever of a record deleted on both sides still holds values (the pipeline may keep its last base).
      const deadWithValues = await sql<{ n: string }>`
        select count(*) as n from ${t('record_state')}
         where not erp_exists and not crm_exists and (base is not null or erp_fields is not null or crm_fields is not null)`.execute(
        db.db,
      );
      const report = await pruneState(db, h.ctx.sync, days);
      expect(report.staged).toBe(1);
      expect(report.runs).toBe(runsBefore - 1);
      expect(report.failedPayloads).toBe(1);
      expect(report.deletedRecordValues).toBe(Number(deadWithValues.rows[0]!.n));

      const dump = await dumpSchema(db);
      expect(tablesContaining(dump, 'Old Staged')).toEqual([]);
      expect(tablesContaining(dump, 'New Staged')).toEqual(['inbox']);
      expect(tablesContaining(dump, 'Dead Co')).toEqual([]);
      // The live record keeps its base (three-way merge needs it); the failed entry stays, without its payload.
      expect(tablesContaining(dump, 'Live Co')).toContain('record_state');
      expect((await h.store.failed.listFailed(h.ctx.sync)).map((f) => f.key)).toEqual(['BAD']);
      expect(tablesContaining(dump, 'Bad Co')).not.toContain('failed_record');
      // The deleted record's key and existence stay: it is not re-created.
      await sql`delete from ${t('inbox')}`.execute(db.db);
      const next = await runSync(h.ctx);
      expect(next.counts['account']!.crm.created + next.counts['account']!.erp.created).toBe(0);
      expect((await h.store.runs.listRuns(h.ctx.sync, 100)).length).toBe(2);
    });
  });
}
