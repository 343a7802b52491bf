import { ZohoConnector } from '../../src/connectors/zoho/index.js';
import type { RunningZohoEmulator } from '../../src/emulator/zoho/index.js';

/** A custom module of its own, so the contract never depends on Contacts' mandatory fields. */
export const WIDGET_MODULE = {
  api_name: 'Widgets',
  display_field: 'Title',
  fields: [
    { api_name: 'Ext', data_type: 'text' as const, length: 80, unique: true },
    { api_name: 'Title', data_type: 'text' as const, length: 40 },
    { api_name: 'Amount', data_type: 'double' as const },
    { api_name: 'Active', data_type: 'boolean' as const },
    { api_name: 'Start', data_type: 'date' as const },
  ],
};

/** A connector on a fresh emulator, configured the way tandem.yaml would for a sandbox (hosts overridden). */
export function zohoConnectorFor(emu: RunningZohoEmulator, writePath: 'auto' | 'bulk' | 'rest'): ZohoConnector {
  return new ZohoConnector({
    dataCenter: 'eu',
    accountsUrl: emu.url,
    apiDomain: emu.url,
    uploadUrl: emu.url,
    auth: { clientId: emu.clientId, clientSecret: emu.clientSecret, refreshToken: emu.refreshToken },
    writePath,
    pollIntervalMs: 5,
    pollMaxIntervalMs: 20,
    pollTimeoutMs: 10_000,
    retry: { initialDelayMs: 5, maxDelayMs: 40, maxRetries: 3 },
  });
}
