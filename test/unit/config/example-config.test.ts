import { parse as parseYaml } from 'yaml';
import { hubspotSettingsSchema } from '../../../src/connectors/hubspot/hubspot-settings.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../../src/config/config-json-schema.js';
import { EXAMPLE_CONFIG, exampleConfigFor } from '../../../src/config/example-config.js';
import { UnknownConnectorTypeError } from '../../../src/connectors/connector-registry.js';
import { parseConfig } from '../../../src/config/parse-config.js';
import { createObjectMapper } from '../../../src/mapping/object-mapper.js';
import { standardObjects } from '../../../src/emulator/salesforce/object-definition.js';
import { buildProgram } from '../../../src/cli/program.js';

const repoFile = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));

describe('EXAMPLE_CONFIG (what `tandem init` writes)', () => {
  it('validates with example env vars and shows every top-level option', () => {
    const config = parseConfig(EXAMPLE_CONFIG, '/srv/tandem/tandem.yaml', {
      ERP_DATABASE_URL: 'postgres://tandem@db/erp',
      SF_CLIENT_ID: 'id',
      SF_CLIENT_SECRET: 'secret',
    });
    expect(config.state.url).toBeNull(); // ${TANDEM_STATE_URL:-} unset: embedded
    expect(config.schedule?.cron).toBe('*/15 * * * *');
    expect(config.objects[0]?.erp.options).toEqual({
      primaryKey: 'customer_no',
      updatedAt: 'updated_at',
      capture: 'watermark',
      lookbackSeconds: 300,
      deletes: 'delete',
    });
    const kinds = config.objects.flatMap((o) => o.fields.flatMap((f) => f.transforms.map((t) => t.kind)));
    expect(new Set(kinds)).toEqual(new Set(['trim', 'lowercase', 'phone', 'enum']));
    expect(EXAMPLE_CONFIG).toContain('#   transforms: [{ split: " " }]');
    for (const key of Object.keys((configJsonSchema() as { properties: object }).properties)) {
      expect(EXAMPLE_CONFIG).toMatch(new RegExp(`^${key}:`, 'm'));
    }
  });
});

describe('the example matches examples/erp-schema.sql and the Salesforce emulator', () => {
  const schemaSql = readFileSync(repoFile('examples/erp-schema.sql'), 'utf8');
  /** Columns per table of examples/erp-schema.sql, read from its CREATE TABLE statements. */
  const columnsOf = (table: string): string[] => {
    const body = new RegExp(`create table public\\.${table} \\(([\\s\\S]*?)\\n\\);`).exec(schemaSql)?.[1] ?? '';
    return body
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[0] ?? '')
      .filter((name) => /^[a-z_]+$/.test(name));
  };
  const config = parseConfig(EXAMPLE_CONFIG, '/srv/tandem/tandem.yaml', {
    ERP_DATABASE_URL: 'postgres://tandem@db/erp',
    SF_CLIENT_ID: 'id',
    SF_CLIENT_SECRET: 'secret',
  });

  it('maps only columns the sample tables have, keyed on their primary keys', () => {
    expect(columnsOf('customers')).toContain('customer_no');
    for (const object of config.objects) {
      const columns = columnsOf(object.erp.table.replace('public.', ''));
      const mapper = createObjectMapper(object);
      expect(columns, object.name).toEqual(expect.arrayContaining([...mapper.nativeFields('erp'), object.erp.key]));
      expect(columns).toContain(object.erp.options['primaryKey']);
      expect(columns).toContain(object.erp.options['updatedAt'] ?? 'updated_at');
    }
  });

  it("maps only fields the emulator's Account and Contact have", () => {
    const objects = new Map(standardObjects().map((o) => [o.name, new Set(o.fields.map((f) => f.name))]));
    for (const object of config.objects) {
      const fields = objects.get(object.crm.object);
      expect(fields, object.crm.object).toBeDefined();
      for (const name of [object.crm.externalId, ...createObjectMapper(object).nativeFields('crm')])
        expect(fields?.has(name), `${object.crm.object}.${name}`).toBe(true);
    }
  });

  it('names only commands that exist', () => {
    const commands = new Set(buildProgram().commands.map((c) => c.name()));
    for (const crm of ['salesforce', 'hubspot', 'zoho', 'memory']) {
      const named = [...exampleConfigFor(crm).matchAll(/`tandem ([a-z-]+)/g)].map((m) => m[1] ?? '');
      expect(named.length).toBeGreaterThan(0);
      for (const command of named) expect(commands.has(command), `tandem ${command}`).toBe(true);
    }
  });
});

describe('exampleConfigFor (tandem init --crm <type>)', () => {
  it('names HubSpot objects (companies, contacts) with an idProperty, and validates', () => {
    const text = exampleConfigFor('hubspot');
    const config = parseConfig(text, '/srv/tandem/tandem.yaml', {
      ERP_DATABASE_URL: 'postgres://tandem@db/erp',
      HUBSPOT_TOKEN: 'pat-na1-x',
    });
    expect(config.objects.map((o) => [o.crm.object, o.crm.externalId, o.crm.options['idProperty']])).toEqual([
      ['companies', 'erp_id', 'erp_id'],
      ['contacts', 'erp_id', 'erp_id'],
    ]);
    expect(text).not.toMatch(/Account|External_Id__c|BillingCity/);
  });

  it('names Zoho modules (Accounts, Contacts) with their external-id fields, and validates', () => {
    const text = exampleConfigFor('zoho');
    const config = parseConfig(text, '/srv/tandem/tandem.yaml', {
      ERP_DATABASE_URL: 'postgres://tandem@db/erp',
      ZOHO_CLIENT_ID: 'id',
      ZOHO_CLIENT_SECRET: 'secret',
      ZOHO_REFRESH_TOKEN: 'refresh',
    });
    expect(config.objects.map((o) => [o.crm.object, o.crm.externalId])).toEqual([
      ['Accounts', 'ERP_Account_No'],
      ['Contacts', 'ERP_Contact_No'],
    ]);
    expect(text).not.toMatch(/External_Id__c|BillingCity/);
  });

  it('writes the chosen CRM connector section, which validates', () => {
    const text = exampleConfigFor('memory');
    expect(text).toContain(
      '# The CRM, chosen by type (registered: hubspot, memory, salesforce, zoho).\ncrm:\n  type: memory\n',
    );
    const config = parseConfig(text, '/srv/tandem/tandem.yaml', { ERP_DATABASE_URL: 'postgres://tandem@db/erp' });
    expect(config.crm).toEqual({ type: 'memory', settings: {} });
    expect(exampleConfigFor('salesforce')).toBe(EXAMPLE_CONFIG);
  });

  it('refuses a type not registered for the CRM side, listing the registered ones', () => {
    expect(() => exampleConfigFor('postgres')).toThrow(UnknownConnectorTypeError);
    expect(() => exampleConfigFor('postgres')).toThrow('registered crm types: hubspot, memory, salesforce, zoho');
  });
});

describe('examples/demo.tandem.yaml', () => {
  it('validates with the demo env and maps the demo tables', () => {
    const file = repoFile('examples/demo.tandem.yaml');
    const config = parseConfig(readFileSync(file, 'utf8'), file, {
      TANDEM_DEMO_SF_URL: 'http://127.0.0.1:4010',
      TANDEM_DEMO_CLIENT_ID: 'demo',
      TANDEM_DEMO_CLIENT_SECRET: 'demo-secret',
    });
    expect(config.state.url).toBeNull();
    expect(config.erp.type).toBe('postgres');
    expect(config.erp.settings).toMatchObject({ dataDir: expect.any(String) });
    expect((config.erp.settings as { url?: unknown }).url ?? null).toBeNull();
    const [account, contact] = config.objects.map(createObjectMapper);
    expect(config.objects.map((o) => [o.erp.table, o.erp.key, o.crm.object, o.crm.externalId])).toEqual([
      ['public.customers', 'customer_no', 'Account', 'External_Id__c'],
      ['public.contacts', 'contact_no', 'Contact', 'External_Id__c'],
    ]);
    expect([...(account?.nativeFields('crm') ?? [])].sort()).toEqual([
      'AnnualRevenue',
      'BillingCity',
      'BillingCountry',
      'Industry',
      'Name',
      'NumberOfEmployees',
      'Phone',
      'Type',
      'Website',
    ]);
    expect([...(contact?.nativeFields('erp') ?? [])].sort()).toEqual([
      'email',
      'first_name',
      'last_name',
      'phone',
      'title',
    ]);
  });
});

describe('docs/tandem.schema.json', () => {
  it('is up to date with the zod schema (run: npx tsx scripts/generate-config-schema.ts)', () => {
    const committed: unknown = JSON.parse(readFileSync(repoFile('docs/tandem.schema.json'), 'utf8'));
    expect(committed).toEqual(configJsonSchema());
  });

  it('describes the surface: strict maps, enums and defaults', () => {
    const schema = configJsonSchema() as { additionalProperties?: unknown; required?: string[] };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['erp', 'crm', 'objects']);
    expect(JSON.stringify(schema)).toContain('"erp-to-crm"');
  });
});

describe('tandem init --crm hubspot', () => {
  it("writes HubSpot's crm section, whose settings validate with the connector's schema", () => {
    const text = exampleConfigFor('hubspot');
    expect(text).toMatch(/^crm:\n {2}type: hubspot\n/m);
    const crm = (parseYaml(text) as { crm: Record<string, unknown> }).crm;
    const { type: _type, ...settings } = crm;
    const parsed = hubspotSettingsSchema.parse({
      ...settings,
      auth: { ...(settings['auth'] as object), accessToken: 'pat-na1-x' },
    });
    expect(parsed).toMatchObject({ tier: 'professional', apiReserveShare: 0.2, auth: { kind: 'private-app' } });
  });
});
