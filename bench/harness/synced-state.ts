import pg from 'pg';
import { customerKey } from './erp-fixture.js';
import { dropStateSchema, openBenchEngine, type BenchEngineOptions } from './bench-engine.js';
import { startEmulatorProcess, type EmulatorProcess } from './emulator-process.js';

/** A table tandem has (as if) fully synced: state store, both watermarks, and the CRM accounts of the first `crmRows` keys. */
export interface SyncedState {
  readonly engine: BenchEngineOptions;
  readonly emulator: EmulatorProcess;
  readonly rows: number;
  readonly crmRows: number;
  /** Salesforce Id by key, for the CRM-side edits. */
  readonly crmIds: ReadonlyMap<string, string>;
  readonly setupMs: number;
  close(): Promise<void>;
}

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

/**
 * Seeds the state a finished initial load leaves, without running one over 10M rows: `record_state` is written in
 * SQL from the ERP table (base = the mapping's canonical record: trim(name), lower(trim(website)), the rest as is),
 * the ERP watermark is the newest row, the
 * CRM holds accounts for the first `crmRows` keys (inserted through the emulator's admin API) and the CRM watermark
 * is read with tandem's own Salesforce source. Every other record_state row names a CRM id that the emulator does
 * not hold: an incremental sync never looks at records that did not change, which is what this scenario measures.
 */
export async function prepareSyncedState(
  databaseUrl: string,
  table: string,
  rows: number,
  crmRows: number,
  stateSchema: string,
): Promise<SyncedState> {
  const started = Date.now();
  const emulator = await startEmulatorProcess();
  const engine: BenchEngineOptions = {
    databaseUrl,
    table,
    stateSchema,
    emulatorUrl: emulator.url,
    clientId: emulator.clientId,
    clientSecret: emulator.clientSecret,
  };
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const crmIds = new Map<string, string>();
  try {
    // CRM accounts equal to the ERP rows' canonical values.
    const { rows: first } = await client.query<Record<string, string | number>>(
      `select customer_no, trim(name) as name, phone, lower(trim(website)) as website, industry, city, country, employees from ${table} where customer_no <= $1 order by customer_no`,
      [customerKey(crmRows)],
    );
    for (let i = 0; i < first.length; i += 5000) {
      const chunk = first.slice(i, i + 5000);
      const ids = await emulator.saveRecords(
        'Account',
        chunk.map((r) => ({
          External_Id__c: r['customer_no'],
          Name: r['name'],
          Phone: r['phone'],
          Website: r['website'],
          Industry: r['industry'],
          BillingCity: r['city'],
          BillingCountry: r['country'],
          NumberOfEmployees: r['employees'],
        })),
      );
      chunk.forEach((r, k) => crmIds.set(String(r['customer_no']), ids[k]!));
    }
    // Migrate the state schema and take the CRM watermark with tandem's own source.
    const opened = await openBenchEngine(engine);
    let crmWatermark;
    try {
      const object = opened.context.objects[0]!;
      for await (const batch of opened.crm
        .createSource()
        .readChanges(object.streams.crm, undefined, { batchSize: 10_000 }))
        crmWatermark = batch.watermark;
      const erpTop = await client.query<{ ts: string; id: string }>(
        `select to_char(updated_at at time zone 'UTC', ${ISO}) as ts, customer_no as id from ${table} order by updated_at desc, customer_no desc limit 1`,
      );
      const top = erpTop.rows[0]!;
      await opened.store.watermarks.advance(
        { sync: 'bench', object: 'account', system: 'erp' },
        { kind: 'cursor', modifiedAt: top.ts, id: top.id },
        null,
      );
      if (!crmWatermark) throw new Error('the CRM read returned nothing');
      await opened.store.watermarks.advance({ sync: 'bench', object: 'account', system: 'crm' }, crmWatermark, null);
    } finally {
      await opened.close();
    }
    // record_state in bulk: its primary key dropped and rebuilt around the load (same definition as the migrations).
    const s = stateSchema;
    const crmAt = new Date().toISOString();
    await client.query(`set maintenance_work_mem = '512MB'`);
    await client.query(`alter table ${s}.record_state drop constraint record_state_pkey`);
    await client.query(
      `insert into ${s}.record_state (sync_name, object, key, base, erp_fields, crm_fields, erp_exists, crm_exists, erp_id, crm_id, erp_modified_at, crm_modified_at, pending, pending_delete, updated_at)
      select 'bench', 'account', customer_no, base, null, null, true, true,
             customer_no, coalesce(ids.id, 'SYNTH' || customer_no), to_char(updated_at at time zone 'UTC', ${ISO}), $1, null, false, now()
        from (select customer_no, updated_at,
                     jsonb_build_object('city', city, 'country', country, 'employees', employees, 'industry', industry, 'name', trim(name), 'phone', phone, 'website', lower(trim(website))) as base
                from ${table}) t
        left join unnest($2::text[], $3::text[]) as ids(key, id) on ids.key = t.customer_no`,
      [crmAt, [...crmIds.keys()], [...crmIds.values()]],
    );
    await client.query(`alter table ${s}.record_state add primary key (sync_name, object, key)`);
    await client.query(`vacuum analyze ${s}.record_state`);
  } catch (error) {
    await emulator.close();
    await dropStateSchema(databaseUrl, stateSchema);
    throw error;
  } finally {
    await client.end();
  }
  return {
    engine,
    emulator,
    rows,
    crmRows,
    crmIds,
    setupMs: Date.now() - started,
    async close() {
      await emulator.close();
      await dropStateSchema(databaseUrl, stateSchema);
    },
  };
}
