import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { EmulatorConfigError } from './emulator-errors.js';

/** Field types the emulator understands (the `type` values describe returns). */
export const FIELD_TYPES = [
  'id',
  'string',
  'textarea',
  'picklist',
  'email',
  'phone',
  'url',
  'reference',
  'boolean',
  'int',
  'double',
  'currency',
  'percent',
  'date',
  'datetime',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/**
 * One field as `describe` reports it (a subset of Salesforce's DescribeFieldResult).
 *
 * @example
 * ```ts
 * const f: FieldDefinition = { name: 'External_Id__c', label: 'External Id', type: 'string', length: 255,
 *   nillable: true, createable: true, updateable: true, externalId: true, idLookup: true, unique: true,
 *   referenceTo: [], relationshipName: null, defaultedOnCreate: false, picklistValues: [] }
 * ```
 */
export interface FieldDefinition {
  readonly name: string;
  readonly label: string;
  readonly type: FieldType;
  /** Max characters for text types, 0 otherwise. */
  readonly length: number;
  readonly nillable: boolean;
  readonly createable: boolean;
  readonly updateable: boolean;
  readonly externalId: boolean;
  readonly idLookup: boolean;
  readonly unique: boolean;
  /** Parent object names for `reference` fields. */
  readonly referenceTo: readonly string[];
  /** Relationship name for `reference` fields (`Account` for `AccountId`), else null. */
  readonly relationshipName: string | null;
  /** Set by the server when absent on create (booleans, system fields): not "required". */
  readonly defaultedOnCreate: boolean;
  readonly picklistValues: readonly string[];
  /** Only values in picklistValues are accepted. */
  readonly restrictedPicklist?: boolean;
  readonly precision?: number;
  readonly scale?: number;
}

/** An object (sObject) definition. */
export interface ObjectDefinition {
  readonly name: string;
  readonly label: string;
  /** First three characters of its record ids (001 Account, 003 Contact). */
  readonly keyPrefix: string;
  readonly fields: readonly FieldDefinition[];
}

/** The system fields every object has, in the positions the store relies on. */
export const SYSTEM_FIELD_NAMES = ['Id', 'IsDeleted', 'CreatedDate', 'LastModifiedDate', 'SystemModstamp'] as const;

type FieldSpec = Partial<FieldDefinition> & Pick<FieldDefinition, 'name' | 'type'>;

/** Fills the describe attributes a spec leaves out with Salesforce's usual values for a custom field. */
export function completeField(spec: FieldSpec): FieldDefinition {
  const textual = ['string', 'textarea', 'picklist', 'email', 'phone', 'url'].includes(spec.type);
  const defaultLength =
    spec.type === 'id' || spec.type === 'reference'
      ? 18
      : spec.type === 'textarea'
        ? 32768
        : spec.type === 'phone'
          ? 40
          : spec.type === 'email'
            ? 80
            : textual
              ? 255
              : 0;
  const field: FieldDefinition = {
    name: spec.name,
    label: spec.label ?? spec.name.replace(/__c$/, '').replace(/_/g, ' '),
    type: spec.type,
    length: spec.length ?? defaultLength,
    nillable: spec.nillable ?? spec.type !== 'boolean',
    createable: spec.createable ?? true,
    updateable: spec.updateable ?? true,
    externalId: spec.externalId ?? false,
    idLookup: spec.idLookup ?? (spec.externalId === true || spec.type === 'id'),
    unique: spec.unique ?? false,
    referenceTo: spec.referenceTo ?? [],
    relationshipName: spec.relationshipName ?? null,
    defaultedOnCreate: spec.defaultedOnCreate ?? spec.type === 'boolean',
    picklistValues: spec.picklistValues ?? [],
    ...(spec.restrictedPicklist === undefined ? {} : { restrictedPicklist: spec.restrictedPicklist }),
    ...(spec.type === 'currency' || spec.type === 'double' || spec.type === 'percent'
      ? { precision: spec.precision ?? 18, scale: spec.scale ?? 2 }
      : {}),
  };
  return Object.freeze(field);
}

function systemFields(object: string): FieldSpec[] {
  const readOnly = { createable: false, updateable: false, nillable: false, defaultedOnCreate: true } as const;
  return [
    { name: 'Id', label: `${object} ID`, type: 'id', ...readOnly, idLookup: true },
    { name: 'IsDeleted', label: 'Deleted', type: 'boolean', ...readOnly },
    { name: 'CreatedDate', label: 'Created Date', type: 'datetime', ...readOnly },
    { name: 'LastModifiedDate', label: 'Last Modified Date', type: 'datetime', ...readOnly },
    { name: 'SystemModstamp', label: 'System Modstamp', type: 'datetime', ...readOnly },
  ];
}

function defineObject(name: string, label: string, keyPrefix: string, fields: FieldSpec[]): ObjectDefinition {
  return Object.freeze({
    name,
    label,
    keyPrefix,
    fields: Object.freeze([...systemFields(name), ...fields].map(completeField)),
  });
}

const ADDRESS = (prefix: string, label: string): FieldSpec[] => [
  { name: `${prefix}Street`, label: `${label} Street`, type: 'textarea', length: 255 },
  { name: `${prefix}City`, label: `${label} City`, type: 'string', length: 40 },
  { name: `${prefix}State`, label: `${label} State/Province`, type: 'string', length: 80 },
  { name: `${prefix}PostalCode`, label: `${label} Zip/Postal Code`, type: 'string', length: 20 },
  { name: `${prefix}Country`, label: `${label} Country`, type: 'string', length: 80 },
];

const EXTERNAL_ID: FieldSpec = {
  name: 'External_Id__c',
  label: 'External Id',
  type: 'string',
  length: 255,
  externalId: true,
  unique: true,
};

/** Account and Contact with their usual standard fields plus `External_Id__c`. */
export function standardObjects(): ObjectDefinition[] {
  return [
    defineObject('Account', 'Account', '001', [
      { name: 'Name', label: 'Account Name', type: 'string', length: 255, nillable: false, idLookup: true },
      { name: 'AccountNumber', label: 'Account Number', type: 'string', length: 40 },
      { name: 'Phone', label: 'Account Phone', type: 'phone' },
      { name: 'Fax', label: 'Account Fax', type: 'phone' },
      { name: 'Website', label: 'Website', type: 'url' },
      {
        name: 'Industry',
        label: 'Industry',
        type: 'picklist',
        length: 255,
        picklistValues: [
          'Agriculture',
          'Apparel',
          'Banking',
          'Biotechnology',
          'Chemicals',
          'Communications',
          'Construction',
          'Consulting',
          'Education',
          'Electronics',
          'Energy',
          'Engineering',
          'Entertainment',
          'Environmental',
          'Finance',
          'Food & Beverage',
          'Government',
          'Healthcare',
          'Hospitality',
          'Insurance',
          'Machinery',
          'Manufacturing',
          'Media',
          'Not For Profit',
          'Other',
          'Recreation',
          'Retail',
          'Shipping',
          'Technology',
          'Telecommunications',
          'Transportation',
          'Utilities',
        ],
      },
      {
        name: 'Type',
        label: 'Account Type',
        type: 'picklist',
        length: 255,
        picklistValues: [
          'Prospect',
          'Customer - Direct',
          'Customer - Channel',
          'Channel Partner / Reseller',
          'Installation Partner',
          'Technology Partner',
          'Other',
        ],
      },
      ...ADDRESS('Billing', 'Billing'),
      ...ADDRESS('Shipping', 'Shipping'),
      { name: 'AnnualRevenue', label: 'Annual Revenue', type: 'currency', precision: 18, scale: 0 },
      { name: 'NumberOfEmployees', label: 'Employees', type: 'int' },
      { name: 'Description', label: 'Account Description', type: 'textarea', length: 32000 },
      { name: 'Rating', label: 'Account Rating', type: 'picklist', picklistValues: ['Hot', 'Warm', 'Cold'] },
      EXTERNAL_ID,
    ]),
    defineObject('Contact', 'Contact', '003', [
      { name: 'LastName', label: 'Last Name', type: 'string', length: 80, nillable: false },
      { name: 'FirstName', label: 'First Name', type: 'string', length: 40 },
      {
        name: 'Salutation',
        label: 'Salutation',
        type: 'picklist',
        picklistValues: ['Mr.', 'Ms.', 'Mrs.', 'Dr.', 'Prof.'],
      },
      { name: 'Email', label: 'Email', type: 'email', idLookup: true },
      { name: 'Phone', label: 'Business Phone', type: 'phone' },
      { name: 'MobilePhone', label: 'Mobile Phone', type: 'phone' },
      { name: 'Title', label: 'Title', type: 'string', length: 128 },
      { name: 'Department', label: 'Department', type: 'string', length: 80 },
      { name: 'Birthdate', label: 'Birthdate', type: 'date' },
      { name: 'HasOptedOutOfEmail', label: 'Email Opt Out', type: 'boolean' },
      {
        name: 'AccountId',
        label: 'Account ID',
        type: 'reference',
        referenceTo: ['Account'],
        relationshipName: 'Account',
      },
      ...ADDRESS('Mailing', 'Mailing'),
      { name: 'Description', label: 'Contact Description', type: 'textarea', length: 32000 },
      EXTERNAL_ID,
    ]),
  ];
}

const fieldSpecSchema = z.object({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'a field API name: letters, digits and underscores'),
  type: z.enum(FIELD_TYPES),
  label: z.string().optional(),
  length: z.number().int().min(0).optional(),
  nillable: z.boolean().optional(),
  createable: z.boolean().optional(),
  updateable: z.boolean().optional(),
  externalId: z.boolean().optional(),
  idLookup: z.boolean().optional(),
  unique: z.boolean().optional(),
  referenceTo: z.array(z.string()).optional(),
  relationshipName: z.string().nullable().optional(),
  defaultedOnCreate: z.boolean().optional(),
  picklistValues: z.array(z.string()).optional(),
  restrictedPicklist: z.boolean().optional(),
  precision: z.number().int().optional(),
  scale: z.number().int().optional(),
});

const definitionsSchema = z.object({
  objects: z.array(
    z.object({
      name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/),
      label: z.string().optional(),
      keyPrefix: z
        .string()
        .regex(/^[a-zA-Z0-9]{3}$/)
        .optional(),
      fields: z.array(fieldSpecSchema).default([]),
    }),
  ),
});

export type DefinitionsFile = z.infer<typeof definitionsSchema>;

/**
 * Merges a definitions document (already parsed) into `base`: new objects are added, fields of existing objects
 * are added or replaced by name. Throws EmulatorConfigError listing every problem.
 */
export function mergeDefinitions(base: readonly ObjectDefinition[], doc: unknown, source: string): ObjectDefinition[] {
  const parsed = definitionsSchema.safeParse(doc);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new EmulatorConfigError(
      `${source}: invalid object definitions: ${issues.join('; ')}. Expected {"objects":[{"name","label?","keyPrefix?","fields":[{"name","type",...}]}]} with type one of ${FIELD_TYPES.join(', ')}.`,
      { file: source, issues },
    );
  }
  const byName = new Map(base.map((o) => [o.name.toLowerCase(), o]));
  let customPrefix = 0;
  for (const spec of parsed.data.objects) {
    const existing = byName.get(spec.name.toLowerCase());
    const fields = spec.fields.map((f) => completeField(stripUndefined(f) as FieldSpec));
    if (existing) {
      const merged = [...existing.fields];
      for (const f of fields) {
        const at = merged.findIndex((m) => m.name.toLowerCase() === f.name.toLowerCase());
        if (at >= 0 && at < SYSTEM_FIELD_NAMES.length) {
          throw new EmulatorConfigError(`${source}: ${spec.name}.${f.name} is a system field and cannot be redefined`, {
            file: source,
          });
        }
        if (at >= 0) merged[at] = f;
        else merged.push(f);
      }
      byName.set(existing.name.toLowerCase(), Object.freeze({ ...existing, fields: Object.freeze(merged) }));
    } else {
      const keyPrefix = spec.keyPrefix ?? `a${String(customPrefix++).padStart(2, '0')}`;
      byName.set(spec.name.toLowerCase(), defineObject(spec.name, spec.label ?? spec.name, keyPrefix, fields));
    }
  }
  const objects = [...byName.values()];
  for (const o of objects) {
    for (const f of o.fields) {
      for (const target of f.referenceTo) {
        if (!byName.has(target.toLowerCase())) {
          throw new EmulatorConfigError(
            `${source}: ${o.name}.${f.name} references unknown object '${target}'; known: ${objects.map((x) => x.name).join(', ')}`,
            { file: source },
          );
        }
      }
    }
  }
  return objects;
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** Reads a JSON or YAML definitions file and merges it into the standard objects. */
export async function loadObjectDefinitions(definitionsFile: string | undefined): Promise<ObjectDefinition[]> {
  const base = standardObjects();
  if (definitionsFile === undefined) return base;
  let text: string;
  try {
    text = await readFile(definitionsFile, 'utf8');
  } catch (cause) {
    throw new EmulatorConfigError(
      `cannot read definitions file ${definitionsFile}: ${(cause as Error).message}`,
      {
        file: definitionsFile,
      },
      cause,
    );
  }
  let doc: unknown;
  try {
    doc = /\.json$/i.test(definitionsFile) ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    throw new EmulatorConfigError(
      `definitions file ${definitionsFile} is not valid ${/\.json$/i.test(definitionsFile) ? 'JSON' : 'YAML'}: ${(cause as Error).message}`,
      { file: definitionsFile },
      cause,
    );
  }
  return mergeDefinitions(base, doc, definitionsFile);
}
