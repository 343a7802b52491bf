import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config/load-config.js';
import { writeEnvFileBeside } from '../config/env-file.js';
import { postgresConnector } from '../connectors/postgres/postgres-descriptor.js';
import { openEngine, type Engine } from '../engine/open-engine.js';
import { sameRecord } from '../diff/canonical-json.js';
import type { Fields } from '../model/record.js';
import { runSync, type SyncRunResult } from '../pipeline/run-sync.js';
import type { ProgressEvent } from '../pipeline/sync-object.js';
import { packageRoot } from '../state/package-root.js';
import type { Logger } from '../util/logger.js';
import type { DemoAccount, DemoCrmSession } from './demo-crm.js';
import { DEFAULT_DEMO_CRM, demoCrmFor } from './demo-crms.js';
import { sampleContact, sampleCustomer, seededRandom, type SampleCustomer } from './sample-data.js';

export interface DemoOptions {
  /** Where the demo keeps its embedded databases (wiped at start). Default `.tandem/demo`. */
  readonly dataDir?: string;
  /** ERP customers to generate (contacts: 1.5 per customer). Default 2000. */
  readonly customers?: number;
  /** The CRM connector type to run against, with its emulator (see demo-crms.ts). Default 'salesforce'. */
  readonly crm?: string;
  readonly logger: Logger;
  /** Where the story is told (default stdout). */
  readonly print?: (line: string) => void;
  /** Prints a run's summary. */
  readonly formatRun: (sync: string, result: SyncRunResult) => string;
  /** Told what the demo is doing from its first second (starting databases, seeding, each sync). */
  readonly onStep?: (message: string) => void;
  /** The pipeline's progress events of each sync. */
  readonly onProgress?: (event: ProgressEvent) => void;
}

export interface DemoReport {
  readonly runs: readonly SyncRunResult[];
  /** Per object: records on each side and how many differ after the last run (0 when aligned). */
  readonly alignment: Readonly<Record<string, { erp: number; crm: number; differing: number }>>;
}

type PgliteInstance = InstanceType<typeof import('@electric-sql/pglite').PGlite>;

async function seedErp(
  pglite: PgliteInstance,
  customers: readonly SampleCustomer[],
  contactCount: number,
  random: () => number,
): Promise<void> {
  await pglite.exec(await readFile(join(packageRoot(), 'examples', 'erp-schema.sql'), 'utf8'));
  const cols = [
    'customer_no',
    'name',
    'phone',
    'email',
    'website',
    'industry',
    'city',
    'country',
    'annual_revenue',
    'employees',
    'status',
  ] as const;
  await pglite.query(
    `insert into public.customers (${cols.join(', ')}) select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::numeric[], $10::int[], $11::text[])`,
    cols.map((c) => customers.map((row) => row[c])),
  );
  const contacts = Array.from({ length: contactCount }, (_, i) =>
    sampleContact(random, i + 1, customers[Math.floor(random() * customers.length)]!.customer_no),
  );
  const ccols = ['contact_no', 'first_name', 'last_name', 'email', 'phone', 'title', 'customer_no'] as const;
  await pglite.query(
    `insert into public.contacts (${ccols.join(', ')}) select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])`,
    ccols.map((c) => contacts.map((row) => row[c])),
  );
}

function accountOf(c: SampleCustomer): DemoAccount {
  const { customer_no: _key, email: _email, ...account } = c;
  return account;
}

/**
 * Seeds the CRM so the first sync has every case: accounts matching ERP customers by external ID (most identical,
 * some edited differently on both sides), accounts that exist only in the CRM (no external ID yet), and ERP
 * customers the CRM does not have.
 */
function seedCrm(
  crm: DemoCrmSession,
  customers: readonly SampleCustomer[],
  random: () => number,
): { matched: number; differing: number; crmOnly: number } {
  let matched = 0;
  let differing = 0;
  customers.forEach((c, i) => {
    if (i % 5 >= 2) return; // 40% of customers already exist in the CRM
    const edited = i % 10 === 0 ? { website: `https://crm-edited-${i}.example`, employees: c.employees + 10 } : {};
    if (i % 10 === 0) differing += 1;
    crm.insertAccount({ ...accountOf(c), ...edited }, c.customer_no);
    matched += 1;
  });
  const crmOnly = Math.max(10, Math.floor(customers.length / 20));
  for (let i = 0; i < crmOnly; i++) crm.insertAccount(accountOf(sampleCustomer(random, 900_000 + i)));
  return { matched, differing, crmOnly };
}

/** Reads both sides in full and counts records whose mapped fields differ: the proof that the sync converged. */
async function alignment(engine: Engine): Promise<DemoReport['alignment']> {
  const out: Record<string, { erp: number; crm: number; differing: number }> = {};
  for (const object of engine.context.objects) {
    const sides: Record<'erp' | 'crm', Map<string, Fields>> = { erp: new Map(), crm: new Map() };
    for (const system of ['erp', 'crm'] as const) {
      const source = engine.context.connectors[system].createSource();
      for await (const batch of source.readChanges(object.streams[system], undefined, { batchSize: 5000 })) {
        for (const r of batch.records)
          if (!r.deleted)
            sides[system].set(r.key || `${system}-${r.nativeId}`, object.mapper.toCanonical(system, r.fields));
      }
    }
    let differing = 0;
    for (const key of new Set([...sides.erp.keys(), ...sides.crm.keys()])) {
      if (!sameRecord(sides.erp.get(key) ?? null, sides.crm.get(key) ?? null)) differing += 1;
    }
    out[object.name] = { erp: sides.erp.size, crm: sides.crm.size, differing };
  }
  return out;
}

/**
 * `tandem demo` (= `npm start`): an embedded ERP with a few thousand customers and contacts, a CRM emulator
 * (Salesforce, HubSpot or Zoho: `crm`) with overlapping accounts, and the real engine between them: a first full sync, scripted edits on both sides, an
 * incremental sync and a quiet re-run, each summarised.
 */
export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const print = options.print ?? ((line: string) => process.stdout.write(line + '\n'));
  const dataDir = resolve(options.dataDir ?? '.tandem/demo');
  const customerCount = options.customers ?? 2000;
  const random = seededRandom(20261123);
  const demoCrm = demoCrmFor(options.crm ?? DEFAULT_DEMO_CRM);
  const step = options.onStep ?? (() => {});
  const syncOptions = options.onProgress ? { onProgress: options.onProgress } : {};
  step(`clearing ${dataDir}`);
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });

  step(`starting the ${demoCrm.title} emulator`);
  const crm = await demoCrm.start({ logger: options.logger.child({ part: 'emulator' }) });
  step('starting the embedded ERP database (PGlite)');
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite = new PGlite(join(dataDir, 'erp'));
  let engine: Engine | undefined;
  try {
    await pglite.waitReady;
    const customers = Array.from({ length: customerCount }, (_, i) => sampleCustomer(random, i + 1));
    customers[7] = { ...customers[7]!, name: ' ' }; // a customer the CRM will reject: Account.Name is required
    step(`seeding the ERP: ${customerCount} customers, ${Math.floor(customerCount * 1.5)} contacts`);
    await seedErp(pglite, customers, Math.floor(customerCount * 1.5), random);
    step(`seeding the ${demoCrm.title} emulator`);
    const crmSeed = seedCrm(crm, customers, random);
    print(
      `tandem demo: embedded ERP with ${customerCount} customers and ${Math.floor(customerCount * 1.5)} contacts; ${demoCrm.title} emulator at ${crm.url}`,
    );
    print(
      `  the CRM already holds ${crmSeed.matched} of those customers (${crmSeed.differing} edited differently there) and ${crmSeed.crmOnly} accounts of its own`,
    );

    // The demo's config: the CRM's example (examples/demo*.tandem.yaml), written next to its data with local paths,
    // and the emulator's URL and credentials in a .env beside it, so tandem commands run later on it find them.
    const example = await readFile(join(packageRoot(), 'examples', demoCrm.configExample), 'utf8');
    const configFile = join(dataDir, 'tandem.yaml');
    const text =
      example.replaceAll('../.tandem/demo/', '').replace('policy: latest-wins', 'policy: account.yaml') +
      `\npolicies:\n  dir: ${JSON.stringify(join(packageRoot(), 'conflict-rules'))}\n`;
    await writeFile(configFile, text, 'utf8');
    await writeEnvFileBeside(configFile, crm.env);
    const config = await loadConfig(configFile, crm.env);
    // The demo edits the embedded ERP between runs, so the connector shares the demo's PGlite instance.
    const erp = await postgresConnector.openOn(pglite, postgresConnector.settings.parse(config.erp.settings), {
      logger: options.logger,
    });
    step('opening the state store (embedded Postgres) and checking both systems');
    engine = await openEngine(config, { logger: options.logger, erp });

    const runs: SyncRunResult[] = [];
    print('\n1. first full sync (initial load in both directions)');
    step('sync 1 of 4: first full sync');
    runs.push(await runSync(engine.context, { full: true, ...syncOptions }));
    print(options.formatRun(config.sync, runs[0]!));

    print(
      '\n2. edits on both sides: ERP phones and revenue, CRM websites, the same names edited on both sides, creates and deletes',
    );
    step('editing both sides');
    await pglite.query(
      `update public.customers set phone = '+4799' || lpad((row_number)::text, 6, '0') from (select customer_no as k, row_number() over (order by customer_no) from public.customers where customer_no <= 'C0000040') n where customer_no = n.k`,
    );
    await pglite.query(
      `update public.customers set annual_revenue = annual_revenue + 1000 where customer_no between 'C0000041' and 'C0000045'`,
    );
    await pglite.query(
      `update public.customers set name = name || ' (ERP)' where customer_no between 'C0000051' and 'C0000060'`,
    );
    await pglite.query(`delete from public.customers where customer_no between 'C0000091' and 'C0000093'`);
    await pglite.query(
      `insert into public.customers (customer_no, name, phone, city, country, status) values ('C9000001', 'Fjord Freight AS', '+4722334455', 'Bergen', 'Norway', 'Prospect'), ('C9000002', 'Delta Dairy BV', '+31201234567', 'Utrecht', 'Netherlands', 'Customer')`,
    );
    await pglite.query(`update public.contacts set title = 'Chief Financial Officer' where contact_no <= 'P0000020'`);
    const customerNo = (i: number): string => `C${String(i).padStart(7, '0')}`;
    for (let i = 61; i <= 90; i++)
      crm.updateAccount(customerNo(i), () => ({ website: `https://new-site-${i}.example` }));
    for (let i = 51; i <= 60; i++) crm.updateAccount(customerNo(i), (a) => ({ name: `${a.name} (CRM)` }));
    for (let i = 101; i <= 103; i++) crm.deleteAccount(customerNo(i));
    crm.insertAccount({ name: 'Zenith Zinc Ltd', city: 'Leeds', country: 'United Kingdom', status: 'Prospect' });
    print('\n3. incremental sync');
    step('sync 2 of 4: incremental');
    runs.push(await runSync(engine.context, syncOptions));
    print(options.formatRun(config.sync, runs[1]!));

    print(
      '\n4. nightly full sync: key reconciliation finds the rows deleted in the ERP (watermark capture cannot see hard deletes)',
    );
    step('sync 3 of 4: nightly full sync');
    runs.push(await runSync(engine.context, { full: true, ...syncOptions }));
    print(options.formatRun(config.sync, runs[2]!));

    print('\n5. quiet re-run: nothing changed, so nothing is written');
    step('sync 4 of 4: quiet re-run');
    runs.push(await runSync(engine.context, syncOptions));
    print(options.formatRun(config.sync, runs[3]!));

    step('reading both sides to compare them');
    const aligned = await alignment(engine);
    print('\nresult:');
    for (const [object, a] of Object.entries(aligned)) {
      print(
        `  ${object}: ${a.erp} in the ERP, ${a.crm} in the CRM, ${a.differing === 0 ? 'identical on every mapped field' : `${a.differing} differ (see tandem failed list / conflicts list)`}`,
      );
    }
    const failed = await engine.store.failed.listFailed(config.sync);
    for (const f of failed.slice(0, 5))
      print(`  waiting in the failed queue: ${f.object} ${f.key} (${f.system}): ${f.reason}`);
    print(`\nstate is kept in ${dataDir}; look around with: ${statusHint(configFile)}`);
    return { runs, alignment: aligned };
  } finally {
    await engine?.close();
    if (!pglite.closed) await pglite.close();
    await crm.close();
  }
}

/**
 * The closing hint: a command that works as printed once the demo has ended (the emulator is gone then, and `status`
 * reads only the state store; the config's ${VAR}s come from the .env the demo wrote beside it).
 */
export function statusHint(configFile: string): string {
  const quoted = /^[\w@%+=:,./-]+$/.test(configFile) ? configFile : `'${configFile.replaceAll("'", `'\\''`)}'`;
  return `npx tandem status -c ${quoted}`;
}
