import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FieldMapping, FieldType, ObjectMapping, Transform } from '../../../src/config/tandem-config.js';
import { parseConfig } from '../../../src/config/parse-config.js';
import type { FieldValue, Fields } from '../../../src/model/record.js';
import type { SystemId } from '../../../src/model/system.js';
import { createObjectMapper } from '../../../src/mapping/object-mapper.js';
import { normalizeText } from '../../../src/mapping/string-pipeline.js';

const SIDES: readonly SystemId[] = ['erp', 'crm'];
const NUM_RUNS = Number(process.env['PBT_NUM_RUNS'] ?? 300);

// ---- generators: field mappings as config validation allows them, and native values of every shape ----

const normalizer: fc.Arbitrary<Transform> = fc.constantFrom<Transform>(
  { kind: 'trim' },
  { kind: 'lowercase' },
  { kind: 'uppercase' },
  { kind: 'phone', format: 'e164', defaultCountry: 'US' },
  { kind: 'phone', format: 'e164', defaultCountry: 'GB' },
  { kind: 'phone', format: 'us-national', defaultCountry: 'US' },
);
const word = fc.oneof(
  fc.string({ minLength: 1, maxLength: 8 }),
  fc.constantFrom('A', 'P', 'Customer', 'prospect', ' x ', '415 555 0100'),
);

/** An enum after some normalisers, with keys the normalisers leave alone (config validation requires it). */
const enumTransforms: fc.Arbitrary<Transform[]> = fc
  .tuple(
    fc.array(normalizer, { maxLength: 2 }),
    fc.uniqueArray(fc.tuple(word, word), { selector: ([, v]) => v, maxLength: 6 }),
    fc.constantFrom('pass' as const, 'null' as const),
  )
  .map(([before, pairs, unmapped]) => {
    const map: Record<string, string> = {};
    for (const [k, v] of pairs) if (normalizeText(before, k) === k && !Object.hasOwn(map, k)) map[k] = v;
    return [...before, { kind: 'enum', map, unmapped }];
  });

let counter = 0;
/** A field whose native names are its own (config validation forbids mapping a native field twice). */
const field = (props: Omit<FieldMapping, 'name' | 'line' | 'direction'>): FieldMapping => {
  const name = `f${counter++}`;
  return {
    name,
    line: 1,
    direction: 'both',
    ...props,
    erp: props.erp.map((n) => `${name}_${n}`),
    crm: props.crm.map((n) => `${name}_${n}`),
  };
};

/** Normalisers as config validation allows them: at most one phone transform (two are not idempotent together). */
const atMostOnePhone = (transforms: readonly Transform[]): boolean =>
  transforms.filter((t) => t.kind === 'phone').length <= 1;

const stringField = fc
  .oneof(fc.array(normalizer, { maxLength: 3 }), enumTransforms)
  .filter(atMostOnePhone)
  .map((transforms) => field({ erp: ['col'], crm: ['Fld'], type: 'string', transforms }));
const splitField = fc
  .tuple(
    fc.constantFrom(' ', ', ', ';', '|'),
    fc.integer({ min: 2, max: 3 }),
    fc.boolean(),
    fc.array(fc.constantFrom<Transform>({ kind: 'trim' }, { kind: 'uppercase' }), { maxLength: 1 }),
  )
  .map(([separator, n, crmSplits, extra]) => {
    const many = Array.from({ length: n }, (_, i) => `part_${i}`);
    return field({
      erp: crmSplits ? ['whole'] : many,
      crm: crmSplits ? many.map((m) => m.toUpperCase()) : ['Whole'],
      type: 'string',
      transforms: [...extra, { kind: 'split-join', separator }],
    });
  });
const typedField = fc
  .constantFrom<FieldType>('number', 'integer', 'boolean', 'date', 'datetime')
  .map((type) => field({ erp: ['col'], crm: ['Fld'], type, transforms: [] }));
const anyField = fc.oneof(stringField, splitField, typedField);

const nativeValue: fc.Arbitrary<FieldValue> = fc.oneof(
  fc.string({ maxLength: 12 }),
  word,
  fc.constant(null),
  fc.constant(''),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => n.toExponential()),
  fc.integer().map((n) => `${n}.00`),
  fc.constantFrom(
    't',
    'f',
    'yes',
    '2024-02-29',
    '2024-02-30',
    '2022-01-02T21:33:43.000+0000',
    '(415) 555-0100',
    'a  b',
    ' a b ',
  ),
  fc
    .date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true })
    .map((d) => d.toISOString()),
);

function mapping(fields: readonly FieldMapping[]): ObjectMapping {
  return {
    name: 'thing',
    line: 1,
    erp: { table: 'public.things', key: 'thing_no', options: {} },
    crm: { object: 'Thing__c', externalId: 'External_Id__c', options: {} },
    fields,
    policy: 'latest-wins',
  };
}

/** A native record with a value for every native field of every field on `side`. */
const nativeRecord = (fields: readonly FieldMapping[], side: SystemId): fc.Arbitrary<Fields> =>
  fc
    .tuple(...fields.flatMap((f) => f[side].map((name) => nativeValue.map((v) => [name, v] as const))))
    .map((entries) => Object.fromEntries(entries));

// Salesforce's CSV carries text only: what tandem writes comes back as strings, null as ''.
const throughCsv = (fields: Fields): Fields =>
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v === null ? '' : String(v)]));

describe('ObjectMapper properties', () => {
  it('toCanonical(s, toNative(s, c)) equals c for every canonical record c in normal form, on both sides', () => {
    fc.assert(
      fc.property(
        fc.array(anyField, { minLength: 1, maxLength: 4 }),
        fc.array(nativeValue, { minLength: 4, maxLength: 4 }),
        (fields, raw) => {
          const mapper = createObjectMapper(mapping(fields));
          const c = mapper.normalize(Object.fromEntries(fields.map((f, i) => [f.name, raw[i] ?? null])));
          for (const side of SIDES) {
            expect(mapper.toCanonical(side, mapper.toNative(side, c))).toEqual(c);
          }
          // Through Salesforce's CSV, where every value is text.
          expect(mapper.toCanonical('crm', throughCsv(mapper.toNative('crm', c)))).toEqual(c);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('toCanonical is idempotent: normalising what it returns changes nothing, from either side', () => {
    fc.assert(
      fc.property(
        fc
          .array(anyField, { minLength: 1, maxLength: 4 })
          .chain((fields) =>
            fc
              .tuple(fc.constant(fields), fc.constantFrom(...SIDES))
              .chain(([f, side]) => fc.tuple(fc.constant(f), fc.constant(side), nativeRecord(f, side))),
          ),
        ([fields, side, native]) => {
          const mapper = createObjectMapper(mapping(fields));
          const once = mapper.toCanonical(side, native);
          expect(mapper.normalize(once)).toEqual(once);
          expect(mapper.normalize(mapper.normalize(once))).toEqual(mapper.normalize(once));
          for (const other of SIDES) expect(mapper.toCanonical(other, mapper.toNative(other, once))).toEqual(once);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('enum maps round-trip: every ERP code gives its CRM value and back', () => {
    fc.assert(
      fc.property(enumTransforms, (transforms) => {
        const f = field({ erp: ['code'], crm: ['Label'], type: 'string', transforms });
        const [code = '', label = ''] = [f.erp[0], f.crm[0]];
        const mapper = createObjectMapper(mapping([f]));
        const map = (transforms.at(-1) as Extract<Transform, { kind: 'enum' }>).map;
        for (const [erpValue, crmValue] of Object.entries(map)) {
          const canonical = mapper.toCanonical('erp', { [code]: erpValue });
          expect(canonical).toEqual({ [f.name]: crmValue });
          expect(mapper.toCanonical('crm', { [label]: crmValue })).toEqual(canonical);
          expect(mapper.toNative('erp', canonical)).toEqual({ [code]: erpValue });
          expect(mapper.toNative('crm', canonical)).toEqual({ [label]: crmValue });
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('split-join round-trips values in normal form (single separators, none leading or trailing)', () => {
    const part = fc.string({ minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(
        fc.constantFrom(' ', ', ', '|'),
        fc.array(part, { minLength: 1, maxLength: 4 }),
        (separator, rawParts) => {
          const parts = rawParts
            .map((p) => p.split(separator).join(''))
            .filter((p) => p !== '' && !separator.includes(p.at(-1) ?? ''));
          fc.pre(parts.length > 0 && !parts.some((p) => p.includes(separator) || separator.includes(p.at(0) ?? '')));
          const value = parts.join(separator);
          const f = field({
            erp: ['full_name'],
            crm: ['First', 'Last'],
            type: 'string',
            transforms: [{ kind: 'split-join', separator }],
          });
          const mapper = createObjectMapper(mapping([f]));
          const native = mapper.toNative('crm', { [f.name]: value });
          expect(native).toEqual({
            [`${f.name}_First`]: parts[0],
            [`${f.name}_Last`]: parts.length > 1 ? parts.slice(1).join(separator) : null,
          });
          expect(mapper.toCanonical('crm', native)).toEqual({ [f.name]: value });
          expect(mapper.toCanonical('erp', mapper.toNative('erp', { [f.name]: value }))).toEqual({ [f.name]: value });
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('ObjectMapper on a parsed config', () => {
  const config = parseConfig(
    `erp: { type: postgres, dataDir: erp }
crm:
  type: salesforce
  loginUrl: https://acme.my.salesforce.com
  auth: { flow: client_credentials, clientId: id, clientSecret: "\${S}" }
objects:
  account:
    erp: { table: customers, key: customer_no }
    crm: { object: Account, externalId: External_Id__c }
    fields:
      name:    { erp: name, crm: Name, transforms: [trim] }
      phone:   { erp: phone, crm: Phone, transforms: [phone] }
      status:  { erp: status, crm: Type, transforms: [trim, { enum: { A: Customer, P: Prospect }, unmapped: null }] }
      revenue: { erp: annual_revenue, crm: AnnualRevenue, type: number, direction: erp-to-crm }
      active:  { erp: active, crm: Active__c, type: boolean, direction: crm-to-erp }
      since:   { erp: since, crm: Since__c, type: date }
      contact: { erp: contact_name, crm: [FirstName, LastName], transforms: [{ split: ' ' }] }
`,
    'tandem.yaml',
    { S: 'x' },
  );
  const mapper = createObjectMapper(config.objects[0] as ObjectMapping);

  it('lists canonical names, directions and native fields', () => {
    expect(mapper.object).toBe('account');
    expect(mapper.fieldNames).toEqual(['active', 'contact', 'name', 'phone', 'revenue', 'since', 'status']);
    expect(mapper.directions).toMatchObject({ revenue: 'erp-to-crm', active: 'crm-to-erp', name: 'both' });
    expect(mapper.nativeFields('erp')).toEqual([
      'name',
      'phone',
      'status',
      'annual_revenue',
      'active',
      'since',
      'contact_name',
    ]);
    expect(mapper.nativeFields('crm')).toEqual([
      'Name',
      'Phone',
      'Type',
      'AnnualRevenue',
      'Active__c',
      'Since__c',
      'FirstName',
      'LastName',
    ]);
    expect(mapper.writableFields('erp')).toEqual(['active', 'contact', 'name', 'phone', 'since', 'status']);
    expect(mapper.writableFields('crm')).toEqual(['contact', 'name', 'phone', 'revenue', 'since', 'status']);
  });

  it('[I2] reads the same record from both sides as the same canonical record (echo detection)', () => {
    const fromErp = mapper.toCanonical('erp', {
      name: ' Acme Corp ',
      phone: '415.555.0100',
      status: 'A ',
      annual_revenue: '912260031.00',
      active: 't',
      since: '2024-03-01',
      contact_name: 'Ada  Lovelace',
    });
    const fromCrm = mapper.toCanonical('crm', {
      Name: 'Acme Corp',
      Phone: '(415) 555-0100',
      Type: 'Customer',
      AnnualRevenue: '9.12260031E8',
      Active__c: 'true',
      Since__c: '2024-03-01',
      FirstName: 'Ada',
      LastName: 'Lovelace',
    });
    expect(fromErp).toEqual({
      name: 'Acme Corp',
      phone: '+14155550100',
      status: 'Customer',
      revenue: 912260031,
      active: true,
      since: '2024-03-01',
      contact: 'Ada Lovelace',
    });
    expect(fromCrm).toEqual(fromErp);
  });

  it('writes toward each side, only the fields given', () => {
    expect(mapper.toNative('erp', { status: 'Prospect', contact: 'Ada King Lovelace' })).toEqual({
      status: 'P',
      contact_name: 'Ada King Lovelace',
    });
    expect(mapper.toNative('crm', { status: 'Prospect', contact: 'Ada King Lovelace', name: '' })).toEqual({
      Type: 'Prospect',
      FirstName: 'Ada',
      LastName: 'King Lovelace',
      Name: null,
    });
    expect(mapper.toCanonical('erp', { status: 'Z' })).toEqual({ status: null }); // unmapped: null
    expect(mapper.toCanonical('crm', { FirstName: 'Ada' })).toEqual({}); // a split field needs all its parts
    expect(mapper.toNative('erp', { unknown: 1 })).toEqual({});
  });
});
