import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as emulator from '../../src/emulator/index.js';
import * as tandem from '../../src/index.js';
import * as testing from '../../src/testing/index.js';

describe('public API', () => {
  it('exports the engine, the connector registry, the resolvers and the state store', () => {
    for (const name of [
      'runSync',
      'dryRunSync',
      'openEngine',
      'planRecord',
      'latestWins',
      'sourceOfTruth',
      'loadConfig',
      'createObjectMapper',
      'StateStore',
      'openConnector',
      'registerConnector',
      'ConnectorRegistry',
      'MemorySystem',
      'memorySystemNamed',
      'strictSettings',
    ] as const) {
      expect(typeof tandem[name]).toBe('function');
    }
    // Connectors are reached by descriptor (chosen by type), not by class.
    expect([tandem.postgresConnector, tandem.salesforceConnector, tandem.memoryConnector].map((d) => d.type)).toEqual([
      'postgres',
      'salesforce',
      'memory',
    ]);
    expect(tandem.defaultConnectorRegistry.types()).toEqual(['hubspot', 'memory', 'postgres', 'salesforce', 'zoho']);
    for (const name of ['MemoryConnector', 'PostgresConnector', 'SalesforceConnector', 'startSalesforceEmulator']) {
      expect(name in tandem, name).toBe(false);
    }
  });

  it('exports the emulators as tandem/emulator', () => {
    expect(typeof emulator.startSalesforceEmulator).toBe('function');
  });

  it('exports the property-testing kit as tandem/testing', () => {
    expect(typeof testing.checkPolicyLaws).toBe('function');
    expect(typeof testing.recordInputArb).toBe('function');
  });

  it('maps the package entry points to files the build produces from these sources', () => {
    const root = join(import.meta.dirname, '..', '..');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, string | { types: string; default: string }>;
      bin: Record<string, string>;
    };
    expect(Object.keys(pkg.exports)).toEqual(['.', './testing', './emulator', './package.json']);
    for (const [entry, target] of Object.entries(pkg.exports)) {
      if (entry === './package.json') continue;
      if (typeof target === 'string') throw new Error(`${entry} must declare its types and its code`);
      const source = target.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts');
      expect(existsSync(join(root, source)), source).toBe(true);
      expect(target.types).toBe(target.default.replace(/\.js$/, '.d.ts'));
    }
    expect(existsSync(join(root, pkg.bin['tandem']!))).toBe(true);
  });
});
