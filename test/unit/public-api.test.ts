import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tandem from '../../src/index.js';
import * as testing from '../../src/testing/index.js';

describe('public API', () => {
  it('exports the engine, the connectors, the resolvers and the state store', () => {
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
      'MemoryConnector',
      'PostgresConnector',
      'SalesforceConnector',
      'startSalesforceEmulator',
    ] as const) {
      expect(typeof tandem[name]).toBe('function');
    }
  });

  it('exports the property-testing kit as tandem/testing', () => {
    expect(typeof testing.checkPolicyLaws).toBe('function');
    expect(typeof testing.recordInputArb).toBe('function');
  });

  it('maps the package entry points to files the build produces from these sources', () => {
    const root = join(import.meta.dirname, '..', '..');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, string>;
      bin: Record<string, string>;
    };
    for (const target of Object.values(pkg.exports)) {
      const source = target.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts');
      expect(existsSync(join(root, source)), source).toBe(true);
    }
    expect(existsSync(join(root, pkg.bin['tandem']!))).toBe(true);
  });
});
