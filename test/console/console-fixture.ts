import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import type { TandemConfig } from '../../src/config/tandem-config.js';
import { openEngine, openStateStore } from '../../src/engine/open-engine.js';
import { runSync } from '../../src/pipeline/run-sync.js';
import { startServe, type RunningServe } from '../../src/serve/serve-service.js';
import { silentLogger } from '../../src/util/logger.js';
import { API_TOKEN, createServeFixture, type ServeFixture } from '../support/serve-fixture.js';

/** The customer whose city both sides change: its conflict waits in the inbox (city is `manual`). */
export const CONFLICT_KEY = 'C000003';
/** A second conflict on city, answered in the inbox as part of a selection. */
export const SELECTED_KEY = 'C000004';
/** The customer Salesforce rejects (an empty Name): a failed record. */
export const REJECTED_KEY = 'C000900';
export const POLICY_VERSION = 'console-test v1';

const POLICY = `object: account
version: "${POLICY_VERSION}"
default: latest-wins
tie: erp
deletes: keep
fields:
  city: manual
`;

export interface ConsoleFixture {
  readonly serve: ServeFixture;
  readonly config: TandemConfig;
  readonly service: RunningServe;
  /** The console's origin, e.g. http://127.0.0.1:41234. */
  readonly origin: string;
  /** The Account in the emulator with this external id. */
  crmAccount(key: string): Readonly<Record<string, unknown>> | undefined;
  /** The customer row in the ERP, read through the running service's ERP connector. */
  erpCustomer(key: string): Promise<Readonly<Record<string, unknown>> | undefined>;
  close(): Promise<void>;
}

/**
 * A running `tandem serve` with real state for the console: two runs done (the second queued conflicts on the city
 * of CONFLICT_KEY and SELECTED_KEY; the first left REJECTED_KEY failed, as Salesforce requires a Name, and it is skipped), an
 * account policy file.
 */
export async function createConsoleFixture(): Promise<ConsoleFixture> {
  const serve = await createServeFixture({ customers: 8 });
  try {
    const yaml = await readFile(serve.configFile, 'utf8');
    await writeFile(
      serve.configFile,
      yaml.replace(
        '    crm: { object: Account, externalId: External_Id__c }\n',
        '    crm: { object: Account, externalId: External_Id__c }\n    policy: account.yaml\n',
      ),
    );
    await mkdir(join(serve.dir, 'conflict-rules'));
    await writeFile(join(serve.dir, 'conflict-rules', 'account.yaml'), POLICY);
    await serve.erpQuery(`insert into public.customers (customer_no, name, city) values ($1, '', 'Nowhere')`, [
      REJECTED_KEY,
    ]);
    const config = await loadConfig(serve.configFile, serve.env);
    const runOnce = async () => {
      const engine = await openEngine(config, { logger: silentLogger() });
      try {
        return await runSync(engine.context);
      } finally {
        await engine.close();
      }
    };
    await runOnce();
    for (const key of [CONFLICT_KEY, SELECTED_KEY]) {
      await serve.erpQuery(`update public.customers set city = 'ERP City' where customer_no = $1`, [key]);
      const account = serve.emulator.store.list('Account').find((a) => a['External_Id__c'] === key);
      if (!account) throw new Error(`the first run did not create ${key} in the CRM`);
      serve.emulator.store.update('Account', String(account['Id']), { BillingCity: 'CRM City' });
    }
    const second = await runOnce();
    if (second.counts['account']?.conflicts.queued !== 2)
      throw new Error(`expected two queued conflicts, got ${JSON.stringify(second.counts['account'])}`);
    // Set aside, so that only a retry (not the end of its backoff) makes the next run write it again.
    const store = await openStateStore(config);
    try {
      await store.failed.actOnFailed(
        config.sync,
        'skip',
        { object: 'account', key: REJECTED_KEY },
        'fixture',
        new Date(),
      );
    } finally {
      await store.close();
    }
    const service = await startServe({ config, logger: silentLogger(), token: API_TOKEN, port: 0 });
    const stream = service.engine.context.objects.find((o) => o.name === 'account')!.streams.erp;
    return {
      serve,
      config,
      service,
      origin: service.url,
      crmAccount: (key) => serve.emulator.store.list('Account').find((a) => a['External_Id__c'] === key),
      async erpCustomer(key) {
        const source = service.engine.erp.createSource();
        const [row] = await source.readKeys!(stream, [key], {});
        return row?.fields;
      },
      async close() {
        await service.stop();
        await serve.close();
      },
    };
  } catch (error) {
    await serve.close();
    throw error;
  }
}
