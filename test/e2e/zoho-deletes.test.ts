import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dryRunSync } from '../../src/pipeline/dry-run.js';
import { runSync } from '../../src/pipeline/run-sync.js';
import { openStateDatabase } from '../../src/state/state-database.js';
import { StateStore } from '../../src/state/state-store.js';
import { createLogger } from '../../src/util/logger.js';
import { testBackends, uniqueSchemaName } from '../support/test-databases.js';
import { scaled } from '../support/timeouts.js';
import { zohoE2eCrm, type E2eCrm } from './support/e2e-crm.js';
import { E2E_POLICY, openE2eRun } from './support/e2e-system.js';
import { openErpDatabase, type ErpDatabase } from './support/erp-database.js';

/** A debug logger whose JSON lines the test reads back. */
function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return {
    logger: createLogger({ level: 'debug', destination }),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/**
 * Deletes made in Zoho reach the ERP on the next incremental run: the Zoho source reports them from the
 * deleted-records endpoint by Zoho id only, and the capture stage keys them through the native ids tandem stores.
 */
for (const backend of testBackends()) {
  describe(`${backend.name}: Zoho deletes reach the ERP incrementally`, () => {
    let store: StateStore;
    let erp: ErpDatabase;
    let crmSide: E2eCrm;
    let policiesDir: string;
    let runs = 0;

    beforeAll(async () => {
      const database = await openStateDatabase(
        backend.url ? { kind: 'postgres', url: backend.url } : { kind: 'embedded', dataDir: null },
        uniqueSchemaName('zoho_deletes'),
      );
      store = new StateStore(database);
      await store.migrate();
      erp = await openErpDatabase(backend);
      crmSide = await zohoE2eCrm();
      policiesDir = await mkdtemp(join(tmpdir(), 'tandem-zoho-deletes-'));
      await writeFile(join(policiesDir, 'account.yaml'), E2E_POLICY, 'utf8');
    }, scaled(180_000));

    afterAll(async () => {
      if (backend.url) await store?.database.db.schema.dropSchema(store.database.schema).ifExists().cascade().execute();
      await store?.close();
      await erp?.close();
      await crmSide?.close();
      if (policiesDir) await rm(policiesDir, { recursive: true, force: true });
    });

    it(
      '[I13] a record deleted in Zoho (keyed, or created there without a key) is deleted in the ERP by the next incremental run; an id tandem does not know is ignored with a debug log',
      async () => {
        runs += 1;
        const run = await openE2eRun({ erp, store, crmSide, run: runs, capture: 'watermark', policiesDir });
        try {
          await run.erp.query(`insert into ${run.table} (customer_no, name) values ('K1', 'One'), ('K2', 'Two')`);
          crmSide.insert('K3', { Account_Name: 'Three' });
          const keyless = crmSide.insert('', { Account_Name: 'Four' });
          const first = await runSync(run.ctx, { batchSize: 3 });
          expect(first.error).toBeUndefined();
          const erpKeys = async (): Promise<string[]> =>
            (
              await run.erp.query<{ customer_no: string }>(`select customer_no from ${run.table} order by customer_no`)
            ).map((r) => r.customer_no);
          expect(await erpKeys()).toEqual(['K1', 'K2', 'K3', `crm-${keyless}`]);

          const idOf = (key: string): string => crmSide.list().find((r) => r.key === key)!.nativeId;
          crmSide.delete(idOf('K1'));
          crmSide.delete(idOf('K3'));
          crmSide.delete(keyless);
          // Created and deleted in Zoho between two runs: tandem never knew it.
          const stranger = crmSide.insert('', { Account_Name: 'Gone' });
          crmSide.delete(stranger);

          // A dry run shows the same deletes the run then makes [I13].
          const [dry] = await dryRunSync(run.ctx, { examples: 100 });
          expect(
            dry!.examples.erp
              .filter((w) => w.op === 'delete')
              .map((w) => w.key)
              .sort(),
          ).toEqual(['K1', 'K3', `crm-${keyless}`].sort());

          const { logger, lines } = capturingLogger();
          const second = await runSync({ ...run.ctx, logger }, { batchSize: 3 });
          expect(second.error).toBeUndefined();
          expect(await erpKeys()).toEqual(['K2']);
          expect(second.counts['account']!.erp.deleted).toBe(3);
          expect(second.counts['account']!.crm.captured).toBe(3);
          const ignored = lines().filter((l) => /native ids tandem does not know/.test(String(l['msg'])));
          expect(ignored).toHaveLength(1);
          expect(ignored[0]!['level']).toBe(20); // pino's debug
          expect(ignored[0]!['nativeIds']).toEqual([stranger]);

          // The tombstones are read again from the watermark's second; the next run finds nothing to do.
          const quiet = await runSync(run.ctx, { batchSize: 3 });
          expect(quiet.error).toBeUndefined();
          expect(quiet.writes).toBe(0);
          expect(await erpKeys()).toEqual(['K2']);
        } finally {
          await run.close();
        }
      },
      scaled(60_000),
    );

    it(
      'a delete in Zoho against a later ERP edit follows the delete policy (latest wins: the ERP edit stands and is restored in Zoho)',
      async () => {
        runs += 1;
        const run = await openE2eRun({ erp, store, crmSide, run: runs, capture: 'watermark', policiesDir });
        try {
          await run.erp.query(`insert into ${run.table} (customer_no, name) values ('K1', 'One')`);
          const first = await runSync(run.ctx, { batchSize: 3 });
          expect(first.error).toBeUndefined();
          const id = crmSide.list().find((r) => r.key === 'K1')!.nativeId;
          crmSide.delete(id);
          // The ERP edit comes a second later than the Zoho delete (Zoho's clock has whole seconds).
          await new Promise((resolve) => setTimeout(resolve, 1_100));
          await run.erp.query(`update ${run.table} set name = 'One, edited' where customer_no = 'K1'`);
          const second = await runSync(run.ctx, { batchSize: 3 });
          expect(second.error).toBeUndefined();
          const rows = await run.erp.query<{ name: string }>(`select name from ${run.table}`);
          expect(rows.map((r) => r.name)).toEqual(['One, edited']);
          const live = crmSide.list().filter((r) => r.key === 'K1');
          expect(live).toHaveLength(1);
          expect(live[0]!.native['Account_Name']).toBe('One, edited');
        } finally {
          await run.close();
        }
      },
      scaled(60_000),
    );
  });
}
