import { HubSpotConnector } from '../../src/connectors/hubspot/hubspot-connector.js';
import { startHubSpotEmulator } from '../../src/emulator/hubspot/index.js';
import type { Fields } from '../../src/model/record.js';
import type { StreamRef } from '../../src/model/stream.js';
import { connectorContract, type ConnectorFixture } from './connector-contract.js';

/** A custom object of its own (like the Salesforce fixture's Widget__c), so the contract never meets contacts' rules. */
const WIDGETS = {
  name: 'widgets',
  properties: [
    { name: 'ext', type: 'string' as const, hasUniqueValue: true },
    { name: 'title', type: 'string' as const },
    { name: 'amount', type: 'number' as const },
    { name: 'active', type: 'bool' as const },
    { name: 'born', type: 'date' as const },
  ],
};

async function hubspotFixture(settings: { traceIds: boolean }, indexLagMs = 0): Promise<ConnectorFixture> {
  const emu = await startHubSpotEmulator({ customObjects: [WIDGETS], indexLagMs });
  const stream: StreamRef = {
    name: 'widget',
    entity: 'widgets',
    keyField: 'ext',
    fields: ['title', 'amount', 'active', 'born'],
    options: {},
  };
  const connector = new HubSpotConnector({
    baseUrl: emu.url,
    auth: { kind: 'private-app', accessToken: emu.privateAppToken },
    indexLagSeconds: Math.ceil(indexLagMs / 1000) + 1,
    traceIds: settings.traceIds,
    retry: { initialDelayMs: 5, maxDelayMs: 40, maxRetries: 3 },
  });
  await connector.init([stream]);
  const asUser = (key: string, fields: Fields): Record<string, string | number | boolean | null> =>
    key === '' ? { ...fields } : { ext: key, ...fields };
  const settle = async (): Promise<void> => {
    if (indexLagMs > 0) await new Promise((r) => setTimeout(r, indexLagMs + 20));
  };
  return {
    connector,
    stream,
    fields: { text: 'title', number: 'amount', boolean: 'active', date: 'born' },
    // HubSpot has no length limit on text; it refuses a number property that is not a number.
    refused: { amount: 'not a number' },
    insert: async (key, fields) => {
      const id = emu.store.insert('widgets', asUser(key, fields)).id;
      await settle();
      return id;
    },
    insertSameTime: async (rows) => {
      const ids = emu.store
        .insertSameTime(
          'widgets',
          rows.map((r) => asUser(r.key, r.fields)),
        )
        .map((r) => r.id);
      await settle();
      return ids;
    },
    update: async (id, fields) => {
      emu.store.patch('widgets', id, fields);
      await settle();
    },
    delete: async (id) => {
      emu.store.remove('widgets', id);
      await settle();
    },
    cleanup: async () => {
      await connector.close();
      await emu.close();
    },
  } satisfies ConnectorFixture;
}

// Per-record results through objectWriteTraceId (207), and the same contract when every bad record fails its whole
// batch (400) and the sink must split it to isolate the record.
connectorContract('hubspot (emulator, trace ids)', () => hubspotFixture({ traceIds: true }));
connectorContract('hubspot (emulator, whole-batch errors)', () => hubspotFixture({ traceIds: false }));
// Search lagging behind writes is covered by test/connectors/hubspot/hubspot-connector.test.ts: the contract's
// read-back check (an echo in the very next read) cannot hold while the index has not caught up.
