import { startZohoEmulator } from '../../src/emulator/zoho/index.js';
import type { Fields } from '../../src/model/record.js';
import type { StreamRef } from '../../src/model/stream.js';
import { connectorContract, type ConnectorFixture } from './connector-contract.js';
import { WIDGET_MODULE, zohoConnectorFor } from './zoho-fixture.js';

async function zohoFixture(
  writePath: 'auto' | 'bulk',
  options: Readonly<Record<string, unknown>>,
): Promise<ConnectorFixture> {
  const emu = await startZohoEmulator({ modules: [WIDGET_MODULE], jobDelayMs: 5 });
  const stream: StreamRef = {
    name: 'widget',
    entity: 'Widgets',
    keyField: 'Ext',
    fields: ['Title', 'Amount', 'Active', 'Start'],
    options,
  };
  const connector = zohoConnectorFor(emu, writePath);
  await connector.init([stream]);
  const asUser = (key: string, fields: Fields): Record<string, unknown> =>
    key === '' ? { ...fields } : { Ext: key, ...fields };
  return {
    connector,
    stream,
    fields: { text: 'Title', number: 'Amount', boolean: 'Active', date: 'Start' },
    refused: { Title: 'x'.repeat(41) },
    insert: async (key, fields) => emu.store.insert('Widgets', asUser(key, fields)).id,
    insertSameTime: async (rows) => rows.map((r) => emu.store.insert('Widgets', asUser(r.key, r.fields)).id),
    update: async (id, fields) => void emu.store.update('Widgets', id, fields),
    delete: async (id) => void emu.store.delete('Widgets', id),
    // Modified_Time has whole seconds.
    startOfClockTick: async () => {
      const now = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 1000 - (now % 1000) + 5));
    },
    tombstonesByNativeId: true,
    cleanup: async () => {
      await connector.close();
      await emu.close();
    },
  } satisfies ConnectorFixture;
}

connectorContract('zoho (emulator, writes by cost: REST for small sets)', () => zohoFixture('auto', {}));
connectorContract('zoho (emulator, Bulk Write forced)', () => zohoFixture('bulk', { lookbackSeconds: 1 }));
