import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BUILTIN_CONNECTORS, defaultConnectorRegistry } from '../../../src/connectors/builtin-connectors.js';
import type { ConnectorDescriptor } from '../../../src/connectors/connector-descriptor.js';
import {
  ConnectorRegistry,
  DuplicateConnectorTypeError,
  UnknownConnectorTypeError,
} from '../../../src/connectors/connector-registry.js';
import { MemoryConnector } from '../../../src/connectors/memory/memory-connector.js';
import { MemorySystem } from '../../../src/connectors/memory/memory-system.js';

const custom: ConnectorDescriptor<{ readonly label: string }> = {
  type: 'custom-crm',
  sides: ['crm'],
  settings: z.strictObject({ label: z.string() }),
  open: (_settings, deps) => Promise.resolve(new MemoryConnector({ system: deps.system, data: new MemorySystem() })),
};

describe('ConnectorRegistry', () => {
  it('registers the built-in connectors, one descriptor each, memory included', () => {
    expect(BUILTIN_CONNECTORS.map((d) => d.type)).toEqual(['postgres', 'salesforce', 'zoho', 'hubspot', 'memory']);
    expect(defaultConnectorRegistry.types()).toEqual(['hubspot', 'memory', 'postgres', 'salesforce', 'zoho']);
    expect(defaultConnectorRegistry.types('erp')).toEqual(['memory', 'postgres']);
    expect(defaultConnectorRegistry.types('crm')).toEqual(['hubspot', 'memory', 'salesforce', 'zoho']);
  });

  it('looks connectors up by type and side', () => {
    const registry = new ConnectorRegistry(BUILTIN_CONNECTORS).register(custom);
    expect(registry.get('custom-crm', 'crm')).toBe(custom);
    expect(registry.find('custom-crm', 'erp')).toBeUndefined();
    expect(registry.list('crm').map((d) => d.type)).toEqual(['custom-crm', 'hubspot', 'memory', 'salesforce', 'zoho']);
    // The default registry is not touched by a registry of one's own.
    expect(defaultConnectorRegistry.find('custom-crm')).toBeUndefined();
  });

  it('names the registered types (and a close one) when a type is unknown', () => {
    const registry = new ConnectorRegistry(BUILTIN_CONNECTORS);
    const error = (() => {
      try {
        registry.get('sugarcrm', 'crm');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UnknownConnectorTypeError);
    expect((error as UnknownConnectorTypeError).code).toBe('CONNECTOR_UNKNOWN');
    expect((error as UnknownConnectorTypeError).registered).toEqual(['hubspot', 'memory', 'salesforce', 'zoho']);
    expect((error as Error).message).toBe(
      "unknown crm type 'sugarcrm'; registered crm types: hubspot, memory, salesforce, zoho. " +
        'Fix: use one of them, or register your connector first (see docs/writing-a-connector.md)',
    );
    expect(() => registry.get('postgres', 'crm')).toThrow(/registered crm types: hubspot, memory, salesforce, zoho/);
    expect(() => registry.get('salesforse')).toThrow("did you mean 'salesforce'?");
  });

  it('refuses a second connector of the same type and a type tandem.yaml could not name', () => {
    const registry = new ConnectorRegistry([custom]);
    expect(() => registry.register(custom)).toThrow(DuplicateConnectorTypeError);
    expect(() => registry.register({ ...custom, type: 'My CRM' })).toThrow(/must match \[a-z\]\[a-z0-9-\]\*/);
  });
});
