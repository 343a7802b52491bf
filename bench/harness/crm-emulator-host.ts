import { startHubSpotEmulator, type RunningHubSpotEmulator } from '../../src/emulator/hubspot/index.js';
import { startZohoEmulator, type RunningZohoEmulator } from '../../src/emulator/zoho/index.js';
import {
  BENCH_HUBSPOT_PROPERTIES,
  BENCH_ZOHO_MODULE,
  type CrmEmulatorInfo,
  type CrmEmulatorKind,
  type CrmEmulatorRequest,
  type CrmEmulatorStats,
} from './crm-emulator-protocol.js';

// `node --import tsx crm-emulator-host.ts <hubspot|zoho>` with an IPC channel: starts that emulator through its exported
// start function (so the bench never depends on how it serves HTTP), answers the parent's requests (the emulator's
// own counters, user edits, record counts) and stops on 'close'. Its memory never counts as tandem's.
const kind = process.argv[2] as CrmEmulatorKind;
const send = (message: unknown): void => {
  process.send!(message);
};

/**
 * A bench edit that would set a value the record already holds: no change, so tandem rightly captures nothing and the
 * round would report zero CRM changes as if they were lost. Thrown instead, so the bench never measures a no-op.
 */
class NoOpEditError extends Error {
  constructor(what: string, key: string, value: string) {
    super(
      `bench edit of ${what} ${key}: it already holds phone ${JSON.stringify(value)}, so the edit would change nothing. The ERP table the CRM was loaded from already held the edited values (a table reused from an earlier scenario or run); start the scenario from a fresh table (bench/harness/erp-fixture.ts: dropCustomerTable).`,
    );
    this.name = 'NoOpEditError';
  }
}

async function start(): Promise<{
  info: CrmEmulatorInfo;
  stats: () => CrmEmulatorStats;
  edit: (keys: readonly string[], value: string) => void;
  count: () => number;
  close: () => Promise<void>;
}> {
  if (kind === 'hubspot') {
    const hs: RunningHubSpotEmulator = await startHubSpotEmulator({ tier: 'professional' });
    // As an admin would in HubSpot's settings: the contact properties the mapping uses (the key one unique).
    const contacts = hs.store.requireType('contacts');
    for (const p of BENCH_HUBSPOT_PROPERTIES)
      if (!contacts.properties.has(p.name)) hs.store.createProperty(contacts, p);
    return {
      info: { kind, url: hs.url, token: hs.privateAppToken },
      stats: () => {
        const s = hs.stats();
        return {
          httpRequests: s.httpRequests,
          // Admitted requests count toward the daily figure; searches skip the 10-second window (their own 5 a second).
          limitedRequests: s.daily - s.searchRequests,
          searchRequests: s.searchRequests,
          batchRequests: s.batchRequests,
          rateLimited: s.rateLimited,
          credits: 0,
          writeJobs: 0,
          uploads: 0,
          restUpsertCalls: 0,
        };
      },
      edit: (keys, value) => {
        for (const key of keys) {
          const record = hs.store.findByUnique(contacts, 'erp_customer_no', key);
          if (!record) throw new Error(`no HubSpot contact with erp_customer_no ${key}`);
          if (record.properties['phone'] === value) throw new NoOpEditError('HubSpot contact', key, value);
          hs.store.patch('contacts', record.id, { phone: value });
        }
      },
      count: () => hs.store.list('contacts').length,
      close: () => hs.close(),
    };
  }
  const zoho: RunningZohoEmulator = await startZohoEmulator({
    modules: [BENCH_ZOHO_MODULE],
    dailyCredits: 10_000_000,
  });
  const table = zoho.store.module(BENCH_ZOHO_MODULE.api_name)!;
  return {
    info: {
      kind,
      url: zoho.url,
      clientId: zoho.clientId,
      clientSecret: zoho.clientSecret,
      refreshToken: zoho.refreshToken,
    },
    stats: () => {
      const s = zoho.stats();
      return {
        // Every API route and the Accounts token endpoint (the only routes outside the API counter).
        httpRequests: s.apiRequests + s.tokenRequests,
        limitedRequests: s.apiRequests,
        searchRequests: 0,
        batchRequests: 0,
        rateLimited: 0,
        credits: s.creditsSpent,
        writeJobs: s.writeJobs,
        uploads: s.uploads,
        restUpsertCalls: s.restUpsertCalls,
      };
    },
    edit: (keys, value) => {
      for (const key of keys) {
        const record = zoho.store.findBy(table, 'ERP_No', key);
        if (!record) throw new Error(`no Zoho ${table.definition.api_name} record with ERP_No ${key}`);
        if (record.values.get('Phone') === value)
          throw new NoOpEditError(`Zoho ${table.definition.api_name} record`, key, value);
        zoho.store.update(table.definition.api_name, record.id, { Phone: value });
      }
    },
    count: () => table.records.size,
    close: () => zoho.close(),
  };
}

const emulator = await start();
process.on('message', (raw) => {
  const m = raw as CrmEmulatorRequest;
  void (async () => {
    try {
      const result =
        m.op === 'stats'
          ? emulator.stats()
          : m.op === 'count'
            ? emulator.count()
            : m.op === 'edit'
              ? emulator.edit(m.keys, m.value)
              : await emulator.close().then(() => null);
      send({ id: m.id, result: result ?? null });
      if (m.op === 'close') process.exit(0);
    } catch (error) {
      send({ id: m.id, error: (error as Error).stack ?? String(error) });
    }
  })();
});
send({ ready: emulator.info });
