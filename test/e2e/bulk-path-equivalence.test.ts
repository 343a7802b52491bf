import { scaled } from '../support/timeouts.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import type { SalesforceE2eCrm } from './support/e2e-crm.js';
import { runSync } from '../../src/pipeline/run-sync.js';
import { openStateDatabase } from '../../src/state/state-database.js';
import { StateStore } from '../../src/state/state-store.js';
import { testBackends, uniqueSchemaName, type TestBackend } from '../support/test-databases.js';
import { startE2eEmulator, E2E_POLICY, openE2eRun } from './support/e2e-system.js';
import { openErpDatabase, type ErpDatabase } from './support/erp-database.js';

/**
 * The fast paths of a first load (set-based planning, postgres-bulk-plan.ts; set-based confirmation of results,
 * postgres-bulk-confirm.ts) against the record-by-record paths, over the real connectors: the same ERP rows and CRM
 * records, synced once each way, must leave the same remote records on both systems and the same record states.
 * The values are the ones where a SQL transform could differ from the JavaScript one: surrounding whitespace (the
 * name is trimmed), mixed case, non-ASCII text, empty strings and nulls.
 */
const NAMES = [
  '  Ärzte  GmbH  ',
  'MiXeD Case AS',
  '東京 株式会社 ',
  '\tTabbed\t',
  'İstanbul Dış Ticaret',
  'ß straße',
  'Ωmega  ',
  ' x ',
  'plain',
  'emoji 🚀 ',
];
const CITIES = ['Zürich ', ' OSLO', null, 'São Paulo', '', 'ÅLESUND', 'köln', '  ', 'Reykjavík', null];
const PHONES = [' +47 22 00 00 00', null, '+1-555', '', '  ', '+49 (0) 30', null, '0', '+81 3', ' '];

interface Outcome {
  /** ERP rows by customer_no: the mapped columns as the ERP holds them. */
  readonly erp: Record<string, unknown>;
  /** CRM Accounts by External_Id__c: the mapped fields as the emulator holds them. */
  readonly crm: Record<string, unknown>;
  /** record_state by key, without the native ids (each run's systems hand out their own). */
  readonly states: Record<string, unknown>;
  readonly outstanding: number;
}

async function syncOnce(
  backend: TestBackend,
  erp: ErpDatabase,
  emulator: SalesforceE2eCrm,
  fast: boolean,
  run: number,
  policiesDir: string,
): Promise<Outcome> {
  const store = new StateStore(
    await openStateDatabase(
      backend.url ? { kind: 'postgres', url: backend.url } : { kind: 'embedded', dataDir: null },
      uniqueSchemaName(fast ? 'e2e_fast' : 'e2e_slow'),
    ),
    { bulkPlan: fast },
  );
  try {
    await store.migrate();
    const r = await openE2eRun({ erp, store, crmSide: emulator, run, capture: 'watermark', policiesDir });
    try {
      for (let i = 0; i < NAMES.length; i++) {
        await r.erp.query(
          `insert into ${r.table} (customer_no, name, phone, city, employees) values ($1, $2, $3, $4, $5)`,
          [`E${i}`, NAMES[i], PHONES[i], CITIES[i], i % 3 === 0 ? null : i * 7],
        );
        r.crmSide.emulator.store.insert('Account', {
          External_Id__c: `C${i}`,
          Name: NAMES[NAMES.length - 1 - i],
          Phone: PHONES[i] || null,
          BillingCity: CITIES[NAMES.length - 1 - i] || null,
          NumberOfEmployees: i % 4 === 0 ? null : i * 11,
        });
      }
      const steps: string[] = [];
      const result = await runSync(r.ctx, { batchSize: 4, bulkConfirm: fast, checkpoint: (s) => void steps.push(s) });
      expect(result.error).toBeUndefined();
      // Each run took the path it was meant to: the fast one plans (and confirms) set-based, the other never does.
      expect(steps.some((s) => s.startsWith('bulk-planned-chunk'))).toBe(fast);
      expect(steps.some((s) => s.startsWith('bulk-confirm'))).toBe(fast);

      const erpRows = await r.erp.query<Record<string, unknown>>(
        `select customer_no, name, phone, city, employees from ${r.table} order by customer_no`,
      );
      const crm: Record<string, unknown> = {};
      for (const a of r.crmSide.emulator.store.list('Account')) {
        crm[String(a['External_Id__c'])] = {
          Name: a['Name'],
          Phone: a['Phone'],
          BillingCity: a['BillingCity'],
          NumberOfEmployees: a['NumberOfEmployees'],
        };
      }
      const t = (name: string) => sql.id(store.database.schema, name);
      const states = await sql<Record<string, unknown>>`select key, base, erp_fields, crm_fields, erp_exists,
          crm_exists, erp_id is not null as has_erp_id, crm_id is not null as has_crm_id, pending, pending_delete
        from ${t('record_state')} where sync_name = ${r.sync} order by key`.execute(store.database.db);
      const outstanding = await sql<{ n: number }>`select (select count(*) from ${t('outbox')})::int
          + (select count(*) from ${t('inbox')})::int + (select count(*) from ${t('failed_record')})::int as n`.execute(
        store.database.db,
      );
      // The next run finds nothing to do on either path (nothing echoes back as a change).
      expect((await runSync(r.ctx, { batchSize: 4, bulkConfirm: fast })).writes).toBe(0);
      return {
        erp: Object.fromEntries(erpRows.map((row) => [String(row['customer_no']), { ...row, customer_no: undefined }])),
        crm,
        states: Object.fromEntries(states.rows.map((s) => [String(s['key']), s])),
        outstanding: outstanding.rows[0]?.n ?? -1,
      };
    } finally {
      await r.close();
    }
  } finally {
    if (backend.url) await store.database.db.schema.dropSchema(store.database.schema).ifExists().cascade().execute();
    await store.close();
  }
}

for (const backend of testBackends()) {
  describe(`${backend.name}: the fast paths of a first load and the record-by-record paths`, () => {
    const opened: { close(): Promise<unknown> }[] = [];
    afterAll(async () => {
      for (const o of opened.reverse()) await o.close();
    });

    it(
      'leave identical remote records and identical record states for the same input (whitespace, case, non-ASCII)',
      async () => {
        const erp = await openErpDatabase(backend);
        opened.push(erp);
        const emulator = await startE2eEmulator();
        opened.push(emulator);
        const policiesDir = await mkdtemp(join(tmpdir(), 'tandem-e2e-paths-'));
        opened.push({ close: () => rm(policiesDir, { recursive: true, force: true }) });
        await writeFile(join(policiesDir, 'account.yaml'), E2E_POLICY, 'utf8');

        const fast = await syncOnce(backend, erp, emulator, true, 1, policiesDir);
        const slow = await syncOnce(backend, erp, emulator, false, 2, policiesDir);

        expect(Object.keys(fast.crm).sort()).toEqual([...NAMES.keys()].flatMap((i) => [`C${i}`, `E${i}`]).sort());
        expect(Object.keys(fast.erp).sort()).toEqual(Object.keys(fast.crm).sort());
        expect(fast.crm).toEqual(slow.crm);
        expect(fast.erp).toEqual(slow.erp);
        expect(fast.states).toEqual(slow.states);
        expect(fast.outstanding).toBe(0);
        expect(slow.outstanding).toBe(0);
        // The name was trimmed on its way to the CRM, and its inner spaces, case and letters kept.
        expect((fast.crm['E0'] as { Name: unknown }).Name).toBe('Ärzte  GmbH');
        expect((fast.crm['E4'] as { Name: unknown }).Name).toBe('İstanbul Dış Ticaret');
      },
      scaled(180_000),
    );
  });
}
