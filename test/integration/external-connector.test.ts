import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
// Everything below comes from the public entry point, as it would for a library user (`from 'tandem'`).
import {
  ConfigError,
  memoryConnector,
  memorySystemNamed,
  MemorySystem,
  openEngine,
  parseConfig,
  registerConnector,
  runSync,
  silentLogger,
  strictSettings,
  type Connector,
  type ConnectorDescriptor,
  type StreamRef,
} from '../../src/index.js';
import { testBackends, uniqueSchemaName } from '../support/test-databases.js';

/**
 * A connector written outside the package: a "ledger" CRM whose records live in an in-process MemorySystem
 * (`memorySystemNamed('ledger-<name>')`, which the test seeds and reads). It wraps the reference memory connector,
 * reached through its public descriptor, and adds what a real connector has: its own settings, its own native-name
 * rule, and a check of the mapped entities in `init`.
 */
const ledgerData = (ledger: string): MemorySystem => memorySystemNamed(`ledger-${ledger}`);

class LedgerConnector implements Connector {
  readonly system;
  readonly capabilities;
  initCalls = 0;
  constructor(
    private readonly inner: Connector,
    private readonly books: readonly string[],
  ) {
    this.system = inner.system;
    this.capabilities = inner.capabilities;
  }
  async init(streams: readonly StreamRef[]): Promise<void> {
    this.initCalls += 1;
    for (const stream of streams) {
      if (!this.books.includes(stream.entity)) throw new Error(`ledger has no book '${stream.entity}'`);
    }
    await this.inner.init(streams);
  }
  createSource() {
    return this.inner.createSource();
  }
  createSink() {
    return this.inner.createSink();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

const ledgerSettings = strictSettings({
  ledger: z.string().min(1).describe('Name of the ledger (a MemorySystem the test registered).'),
  books: z.array(z.string()).min(1).describe('The books (entities) this ledger keeps.'),
});

const opened: LedgerConnector[] = [];
const ledgerConnector: ConnectorDescriptor<z.output<typeof ledgerSettings>> = {
  type: 'ledger',
  sides: ['crm'],
  settings: ledgerSettings,
  // Ledger field names are upper-case words.
  fieldName: z.string().regex(/^[A-Z][A-Z_]*$/, { error: 'must be an upper-case ledger field, e.g. NAME' }),
  open: async (settings, deps) => {
    const inner = await memoryConnector.open({ name: `ledger-${settings.ledger}` }, deps);
    const connector = new LedgerConnector(inner, settings.books);
    opened.push(connector);
    return connector;
  },
};

function yaml(ledger: string, stateLines: string, erpName: string): string {
  return `sync: ext
state:
${stateLines}
erp:
  type: memory
  name: ${erpName}
crm:
  type: ledger
  ledger: ${ledger}
  books: [CUSTOMERS]
objects:
  customer:
    erp: { table: customers, key: customer_no }
    crm: { object: CUSTOMERS, externalId: CUSTOMER_NO }
    fields:
      name: { erp: name, crm: NAME }
      city: { erp: city, crm: CITY }
`;
}

describe('a connector registered from outside the package', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-ext-'));
    registerConnector(ledgerConnector);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is validated by its own settings schema and name rule in tandem.yaml', () => {
    const text = yaml('books', '  dataDir: state', 'erp-x')
      .replace('  books: [CUSTOMERS]\n', '  bookz: [CUSTOMERS]\n')
      .replace('crm: CITY', 'crm: city');
    let error: unknown;
    try {
      parseConfig(text, 'tandem.yaml', {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const messages = (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        "crm.bookz: unknown key 'bookz'; did you mean 'books'? allowed: ledger, books",
        'objects.customer.fields.city.crm: crm field must be an upper-case ledger field, e.g. NAME',
      ]),
    );
  });

  for (const backend of testBackends()) {
    it(`${backend.name}: syncs both ways through the real engine`, async () => {
      const ledgerName = `l${Math.random().toString(36).slice(2, 8)}`;
      const crmData = ledgerData(ledgerName);
      const erpName = `erp-${ledgerName}`;
      const erpData = memorySystemNamed(erpName);
      const stateLines =
        backend.url === undefined
          ? `  dataDir: ${JSON.stringify(join(dir, ledgerName))}`
          : `  url: ${backend.url}\n  schema: ${uniqueSchemaName('ext')}`;
      const config = parseConfig(yaml(ledgerName, stateLines, erpName), join(dir, 'tandem.yaml'), {});
      expect(config.crm.type).toBe('ledger');

      erpData.insert('customers', 'C1', { name: 'Acme', city: 'Oslo' });
      crmData.insert('CUSTOMERS', 'C2', { NAME: 'Beta', CITY: 'Rome' });
      const engine = await openEngine(config, { logger: silentLogger() });
      try {
        const ledger = opened.at(-1);
        expect(engine.crm).toBe(ledger);
        expect(ledger?.initCalls).toBe(1);

        const first = await runSync(engine.context);
        expect(first.status).toBe('succeeded');
        expect(crmData.findByKey('CUSTOMERS', 'C1')?.fields).toEqual({ NAME: 'Acme', CITY: 'Oslo' });
        expect(erpData.findByKey('customers', 'C2')?.fields).toEqual({ name: 'Beta', city: 'Rome' });

        const row = crmData.findByKey('CUSTOMERS', 'C1');
        crmData.update('CUSTOMERS', row?.nativeId ?? '', { CITY: 'Bergen' });
        const second = await runSync(engine.context);
        expect(second.status).toBe('succeeded');
        expect(erpData.findByKey('customers', 'C1')?.fields).toEqual({ name: 'Acme', city: 'Bergen' });
        const quiet = await runSync(engine.context);
        expect(quiet.writes).toBe(0);
      } finally {
        await engine.close();
      }
    }, 300_000); // an embedded state store on a loaded machine can take a while to create
  }
});
