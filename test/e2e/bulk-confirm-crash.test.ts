import { scaled } from '../support/timeouts.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SalesforceE2eCrm } from './support/e2e-crm.js';
import { runSync } from '../../src/pipeline/run-sync.js';
import { openStateDatabase } from '../../src/state/state-database.js';
import { StateStore } from '../../src/state/state-store.js';
import { testBackends, uniqueSchemaName } from '../support/test-databases.js';
import {
  crmSnapshot,
  startE2eEmulator,
  E2E_POLICY,
  erpSnapshot,
  openE2eRun,
  type E2eRun,
} from './support/e2e-system.js';
import { openErpDatabase, type ErpDatabase } from './support/erp-database.js';

/**
 * A crash inside the set-based confirmation of write results (write-stage.ts, postgres-bulk-confirm.ts): after the
 * chunk's results are staged, before any is confirmed. Over the real connectors: a Postgres ERP table, the
 * Salesforce emulator and the state store.
 */
const ROWS = 7;

for (const backend of testBackends()) {
  describe(`${backend.name}: a crash in the set-based confirmation of write results`, () => {
    let store: StateStore;
    let erp: ErpDatabase;
    let policiesDir: string;
    let emulator: SalesforceE2eCrm;
    let run: E2eRun<SalesforceE2eCrm> | undefined;

    beforeAll(async () => {
      store = new StateStore(
        await openStateDatabase(
          backend.url ? { kind: 'postgres', url: backend.url } : { kind: 'embedded', dataDir: null },
          uniqueSchemaName('e2e_bulk'),
        ),
      );
      await store.migrate();
      erp = await openErpDatabase(backend);
      emulator = await startE2eEmulator();
      policiesDir = await mkdtemp(join(tmpdir(), 'tandem-e2e-bulk-'));
      await writeFile(join(policiesDir, 'account.yaml'), E2E_POLICY, 'utf8');
    }, scaled(180_000));
    afterEach(async () => {
      await run?.close();
      run = undefined;
    });
    afterAll(async () => {
      if (backend.url) await store?.database.db.schema.dropSchema(store.database.schema).ifExists().cascade().execute();
      await store?.close();
      await erp?.close();
      await emulator?.close();
      if (policiesDir) await rm(policiesDir, { recursive: true, force: true });
    });

    it('[I1] [I9] is resumed by the next run: every record created once, its edits since kept, the state settled', async () => {
      const r = (run = await openE2eRun({ erp, store, crmSide: emulator, run: 1, capture: 'watermark', policiesDir }));
      for (let i = 0; i < ROWS; i++) {
        await r.erp.query(`insert into ${r.table} (customer_no, name, employees) values ($1, $2, 2)`, [
          `K${i}`,
          `Customer ${i}`,
        ]);
      }
      const steps: string[] = [];
      const crashed = await runSync(r.ctx, {
        batchSize: 3,
        checkpoint: (step) => {
          steps.push(step);
          if (step === 'bulk-confirm:account:crm') throw new Error(`simulated crash at ${step}`);
        },
      });
      expect(crashed.status).toBe('failed');
      expect(steps.at(-1)).toBe('bulk-confirm:account:crm');
      // The CRM holds the first job's records; tandem recorded none of them: every record still waits for its result.
      const t = (name: string) => sql.id(store.database.schema, name);
      const pending = await sql<{ n: number }>`select count(*)::int as n from ${t('record_state')}
        where sync_name = ${r.sync} and pending is not null`.execute(store.database.db);
      expect(pending.rows[0]?.n).toBe(ROWS);
      expect(await r.store.status.openJobCount(r.sync)).toBe(1);
      // A CRM user edits a record tandem created but never recorded: the edit must win, not be overwritten.
      const [first] = r.crmSide.emulator.store.list('Account');
      r.crmSide.emulator.store.update('Account', String(first!['Id']), { NumberOfEmployees: null });

      const next = await runSync(r.ctx, { batchSize: 3 });
      expect(next.error).toBeUndefined();
      const erpSide = await erpSnapshot(r);
      const crmSide = crmSnapshot(r);
      expect([...crmSide.storedKeys].sort()).toEqual(Array.from({ length: ROWS }, (_, i) => `K${i}`));
      expect(Object.fromEntries(crmSide.records)).toEqual(Object.fromEntries(erpSide.records));
      expect(erpSide.records.get(String(first!['External_Id__c']))?.['employees']).toBeNull();
      expect(await r.store.failed.listFailed(r.sync)).toEqual([]);
      const settled = await sql<{ n: number }>`select count(*)::int as n from ${t('record_state')}
        where sync_name = ${r.sync} and pending is null and base is not null`.execute(store.database.db);
      expect(settled.rows[0]?.n).toBe(ROWS);
      expect((await runSync(r.ctx, { batchSize: 3 })).writes).toBe(0);
    });
  });
}
