import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { CatalogEntity, CatalogField, EntityCatalog } from '../../../src/connectors/entity-catalog.js';
import { nameSimilarity, nameWords } from '../../../src/config/name-similarity.js';
import { canonicalType, proposeMappings } from '../../../src/config/propose-mappings.js';
import { proposedConfigText } from '../../../src/config/proposed-config-text.js';
import { parseConfig } from '../../../src/config/parse-config.js';

type Spec = Partial<CatalogField> & Pick<CatalogField, 'name' | 'kind'>;
const field = (spec: Spec): CatalogField => ({
  label: spec.name,
  nativeType: spec.kind,
  unique: false,
  externalId: false,
  writable: true,
  nullable: true,
  modificationTime: false,
  ...spec,
});
const entity = (name: string, primaryKey: string[], fields: Spec[], label = name): CatalogEntity => ({
  name,
  label,
  primaryKey,
  fields: fields.map(field),
});

/** examples/erp-schema.sql, as the Postgres introspection reports it. */
const erp: EntityCatalog = {
  entities: [
    entity(
      'public.customers',
      ['customer_no'],
      [
        { name: 'customer_no', kind: 'string', unique: true, externalId: true, nullable: false },
        { name: 'name', kind: 'string', nullable: false },
        { name: 'phone', kind: 'string' },
        { name: 'email', kind: 'string' },
        { name: 'website', kind: 'string' },
        { name: 'industry', kind: 'string' },
        { name: 'city', kind: 'string' },
        { name: 'country', kind: 'string' },
        { name: 'annual_revenue', kind: 'number', nativeType: 'numeric' },
        { name: 'employees', kind: 'integer' },
        { name: 'status', kind: 'string' },
        { name: 'updated_at', kind: 'datetime', nullable: false, modificationTime: true },
      ],
    ),
    entity(
      'public.contacts',
      ['contact_no'],
      [
        { name: 'contact_no', kind: 'string', unique: true, externalId: true, nullable: false },
        { name: 'first_name', kind: 'string' },
        { name: 'last_name', kind: 'string', nullable: false },
        { name: 'email', kind: 'string' },
        { name: 'phone', kind: 'string' },
        { name: 'title', kind: 'string' },
        { name: 'customer_no', kind: 'string' },
        { name: 'updated_at', kind: 'datetime', nullable: false, modificationTime: true },
      ],
    ),
    entity(
      'public.invoices',
      ['id'],
      [
        { name: 'id', kind: 'integer', unique: true, nullable: false },
        { name: 'amount_due', kind: 'number' },
      ],
    ),
  ],
};

const system = (name: string): Spec => ({ name, kind: 'datetime', writable: false, nullable: false });
const externalId: Spec = { name: 'External_Id__c', kind: 'string', unique: true, externalId: true };
/** The Salesforce emulator's Account and Contact (a subset of their fields), as describe reports them. */
const crm: EntityCatalog = {
  entities: [
    entity(
      'Account',
      ['Id'],
      [
        { name: 'Id', kind: 'id', unique: true, writable: false, nullable: false },
        { ...system('SystemModstamp'), modificationTime: true },
        system('CreatedDate'),
        { name: 'Name', kind: 'string', nullable: false, label: 'Account Name' },
        { name: 'AccountNumber', kind: 'string' },
        { name: 'Phone', kind: 'string', nativeType: 'phone' },
        { name: 'Fax', kind: 'string', nativeType: 'phone' },
        { name: 'Website', kind: 'string', nativeType: 'url' },
        { name: 'Industry', kind: 'string', nativeType: 'picklist' },
        { name: 'Type', kind: 'string', nativeType: 'picklist', label: 'Account Type' },
        { name: 'BillingCity', kind: 'string', label: 'Billing City' },
        { name: 'BillingCountry', kind: 'string', label: 'Billing Country' },
        { name: 'ShippingCity', kind: 'string', label: 'Shipping City' },
        { name: 'ShippingCountry', kind: 'string', label: 'Shipping Country' },
        { name: 'AnnualRevenue', kind: 'number', nativeType: 'currency' },
        { name: 'NumberOfEmployees', kind: 'integer', label: 'Employees' },
        externalId,
      ],
    ),
    entity(
      'Contact',
      ['Id'],
      [
        { name: 'Id', kind: 'id', unique: true, writable: false, nullable: false },
        { ...system('SystemModstamp'), modificationTime: true },
        { name: 'LastName', kind: 'string', nullable: false },
        { name: 'FirstName', kind: 'string' },
        { name: 'Email', kind: 'string', nativeType: 'email' },
        { name: 'HasOptedOutOfEmail', kind: 'boolean', nullable: true },
        { name: 'Phone', kind: 'string', nativeType: 'phone' },
        { name: 'MobilePhone', kind: 'string', nativeType: 'phone' },
        { name: 'Title', kind: 'string' },
        { name: 'AccountId', kind: 'id' },
        externalId,
      ],
    ),
    entity('Opportunity', ['Id'], [{ name: 'StageName', kind: 'string', nullable: false }]),
  ],
};

describe('nameSimilarity', () => {
  it('sees one name in two naming styles', () => {
    expect(nameSimilarity('billing_city', 'BillingCity')).toBe(1);
    expect(nameSimilarity('email', 'Email__c')).toBe(1);
    expect(nameSimilarity('customers', 'Account')).toBe(1); // a synonym, singular
    expect(nameSimilarity('customer_no', 'CustomerNumber')).toBe(1);
    expect(nameWords('NumberOfEmployees')).toEqual(['number', 'of', 'employee']);
  });

  it('ranks a contained name below an equal one, and unrelated names at 0', () => {
    expect(nameSimilarity('city', 'BillingCity')).toBe(0.7);
    expect(nameSimilarity('employees', 'NumberOfEmployees')).toBe(0.7);
    expect(nameSimilarity('adress', 'Address')).toBeGreaterThanOrEqual(0.9);
    expect(nameSimilarity('status', 'Type')).toBe(0);
    expect(nameSimilarity('first_name', 'LastName')).toBe(0);
  });

  it('pairs only kinds whose values fit each other', () => {
    expect(canonicalType('integer', 'number')).toBe('number');
    expect(canonicalType('integer', 'integer')).toBe('integer');
    expect(canonicalType('string', 'boolean')).toBeUndefined();
    expect(canonicalType('id', 'id')).toBeUndefined();
  });
});

describe('proposeMappings', () => {
  const proposal = proposeMappings(erp, crm);
  const byName = new Map(proposal.objects.map((o) => [o.name, o]));

  it('pairs customers with Account and contacts with Contact, and leaves the rest out', () => {
    expect(proposal.objects.map((o) => [o.name, o.erp.table, o.crm.object])).toEqual([
      ['account', 'public.customers', 'Account'],
      ['contact', 'public.contacts', 'Contact'],
    ]);
    expect(proposal.unmatchedTables).toEqual(['public.invoices']);
  });

  it('proposes the key, primary key, timestamp and external ID', () => {
    expect(byName.get('account')?.erp).toEqual({
      table: 'public.customers',
      key: 'customer_no',
      primaryKey: 'customer_no',
      updatedAt: 'updated_at',
      capture: 'watermark',
    });
    expect(byName.get('account')?.crm).toEqual({ object: 'Account', externalId: 'External_Id__c' });
  });

  it('pairs fields by name and type, and says what it could not decide', () => {
    const account = byName.get('account');
    const pairs = Object.fromEntries(account?.fields.map((f) => [f.erp, f.crm]) ?? []);
    expect(pairs).toEqual({
      name: 'Name',
      phone: 'Phone',
      website: 'Website',
      industry: 'Industry',
      city: 'BillingCity',
      country: 'BillingCountry',
      annual_revenue: 'AnnualRevenue',
      employees: 'NumberOfEmployees',
    });
    expect(account?.fields.find((f) => f.erp === 'city')?.alternatives).toEqual(['ShippingCity']);
    expect(account?.fields.find((f) => f.erp === 'employees')?.type).toBe('integer');
    expect(account?.fields.find((f) => f.erp === 'annual_revenue')?.type).toBe('number');
    expect(account?.notes.join('\n')).toMatch(/not mapped .*email \(string\), status \(string\)/);
    const contact = byName.get('contact');
    expect(Object.fromEntries(contact?.fields.map((f) => [f.erp, f.crm]) ?? [])).toEqual({
      first_name: 'FirstName',
      last_name: 'LastName',
      email: 'Email',
      phone: 'Phone',
      title: 'Title',
    });
    expect(contact?.fields.find((f) => f.erp === 'email')?.transforms).toEqual(['trim', 'lowercase']);
  });

  it('flags a table without key or timestamp, and a CRM object without an external ID', () => {
    const odd = proposeMappings(
      { entities: [entity('public.people', [], [{ name: 'last_name', kind: 'string' }])] },
      { entities: [entity('Contact', ['Id'], [{ name: 'LastName', kind: 'string', nullable: false }])] },
    );
    const notes = odd.objects[0]?.notes.join('\n') ?? '';
    expect(odd.objects[0]?.erp.capture).toBe('changelog');
    expect(notes).toContain('could not decide the key');
    expect(notes).toContain('no modification timestamp');
    expect(notes).toContain('could not decide the external ID');
  });

  it('renders a tandem.yaml that parses, with the notes as comments', () => {
    const text = proposedConfigText({
      proposal,
      erp: { type: 'postgres', section: '  url: ${ERP_DATABASE_URL}\n', described: '3 tables' },
      crm: {
        type: 'salesforce',
        section:
          '  loginUrl: https://acme.my.salesforce.com\n  auth:\n    flow: client_credentials\n    clientId: ${SF_CLIENT_ID}\n    clientSecret: ${SF_CLIENT_SECRET}\n',
        described: '3 objects',
      },
      at: '2026-12-01T00:00:00.000Z',
    });
    const config = parseConfig(text, '/srv/tandem/tandem.yaml', {
      ERP_DATABASE_URL: 'postgres://tandem@db/erp',
      SF_CLIENT_ID: 'id',
      SF_CLIENT_SECRET: 'secret',
    });
    expect(config.objects.map((o) => o.name)).toEqual(['account', 'contact']);
    expect(config.objects[0]?.fields.find((f) => f.name === 'employees')?.type).toBe('integer');
    expect(text).toContain('# check: no CRM object fitted these ERP tables, so they are not mapped: public.invoices');
    expect(text).toMatch(/city: +\{ erp: city, crm: BillingCity \} +# check: names differ; or ShippingCity/);
    const yaml = parseYaml(text) as { objects: Record<string, unknown> };
    expect(Object.keys(yaml.objects)).toEqual(['account', 'contact']);
  });
});
