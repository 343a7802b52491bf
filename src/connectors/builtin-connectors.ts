import type { ConnectorDescriptor } from './connector-descriptor.js';
import { ConnectorRegistry } from './connector-registry.js';
import { memoryConnector } from './memory/memory-descriptor.js';
import { postgresConnector } from './postgres/postgres-descriptor.js';
import { salesforceConnector } from './salesforce/salesforce-descriptor.js';
import { zohoConnector } from './zoho/zoho-connector-descriptor.js';
import { hubspotConnector } from './hubspot/hubspot-descriptor.js';

/** The connectors that ship with tandem: one line each. */
export const BUILTIN_CONNECTORS: readonly ConnectorDescriptor[] = [
  postgresConnector,
  salesforceConnector,
  zohoConnector,
  hubspotConnector,
  memoryConnector,
];

/**
 * The registry tandem.yaml, the CLI and `openEngine` use unless given another: the built-in connectors, plus any a
 * library user adds with `registerConnector`.
 */
export const defaultConnectorRegistry = new ConnectorRegistry(BUILTIN_CONNECTORS);

/**
 * Registers a connector of your own in the default registry, so `type: <its type>` works in tandem.yaml.
 *
 * @example
 * ```ts
 * registerConnector({ type: 'my-crm', sides: ['crm'], settings: z.strictObject({ url: z.string() }),
 *                     open: async (settings, deps) => new MyCrmConnector(settings, deps) })
 * ```
 */
export function registerConnector<Settings>(descriptor: ConnectorDescriptor<Settings>): void {
  defaultConnectorRegistry.register(descriptor);
}
