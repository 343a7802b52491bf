/**
 * HubSpot property definitions (the properties API's `Property` shape) and the value rules HubSpot applies when a
 * record is written: every value travels as a string, `""` clears, read-only and unknown properties are refused.
 */

export const PROPERTY_TYPES = ['string', 'number', 'date', 'datetime', 'enumeration', 'bool'] as const;
export type PropertyType = (typeof PROPERTY_TYPES)[number];

export interface PropertyOption {
  readonly label: string;
  readonly value: string;
  readonly hidden: boolean;
  readonly displayOrder: number;
}

/** What the properties API returns for one property. */
export interface PropertyDefinition {
  readonly name: string;
  readonly label: string;
  readonly type: PropertyType;
  readonly fieldType: string;
  readonly groupName: string;
  readonly description: string;
  readonly options: readonly PropertyOption[];
  readonly displayOrder: number;
  readonly hasUniqueValue: boolean;
  readonly calculated: boolean;
  readonly externalOptions: boolean;
  readonly hidden: boolean;
  readonly formField: boolean;
  readonly hubspotDefined: boolean;
  readonly modificationMetadata: {
    readonly archivable: boolean;
    readonly readOnlyDefinition: boolean;
    readonly readOnlyValue: boolean;
  };
  readonly archived: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The input of `POST /crm/v3/properties/{objectType}` and of emulator options (only name and type required). */
export interface PropertyInput {
  readonly name: string;
  readonly type: PropertyType;
  readonly label?: string;
  readonly fieldType?: string;
  readonly groupName?: string;
  readonly hasUniqueValue?: boolean;
  readonly options?: readonly { label: string; value: string; hidden?: boolean; displayOrder?: number }[];
  /** Emulator extension for built-ins: the value cannot be written (calculated, system-maintained). */
  readonly readOnlyValue?: boolean;
}

const DEFAULT_FIELD_TYPE: Record<PropertyType, string> = {
  string: 'text',
  number: 'number',
  date: 'date',
  datetime: 'date',
  enumeration: 'select',
  bool: 'booleancheckbox',
};

const EPOCH = '2020-01-01T00:00:00.000Z';

export function defineProperty(input: PropertyInput, hubspotDefined: boolean, at = EPOCH): PropertyDefinition {
  const readOnly = input.readOnlyValue ?? false;
  return Object.freeze({
    name: input.name,
    label: input.label ?? input.name,
    type: input.type,
    fieldType: input.fieldType ?? DEFAULT_FIELD_TYPE[input.type],
    groupName: input.groupName ?? (hubspotDefined ? 'systeminformation' : 'custom'),
    description: '',
    options: (input.options ?? []).map((o, i) => ({
      label: o.label,
      value: o.value,
      hidden: o.hidden ?? false,
      displayOrder: o.displayOrder ?? i,
    })),
    displayOrder: -1,
    hasUniqueValue: input.hasUniqueValue ?? false,
    calculated: false,
    externalOptions: false,
    hidden: false,
    formField: !readOnly,
    hubspotDefined,
    modificationMetadata: { archivable: !hubspotDefined, readOnlyDefinition: hubspotDefined, readOnlyValue: readOnly },
    archived: false,
    createdAt: at,
    updatedAt: at,
  });
}

/** One invalid property value, in HubSpot's `Property values were not valid: [...]` list form. */
export interface PropertyValueError {
  readonly isValid: false;
  readonly message: string;
  readonly error: string;
  readonly name: string;
  readonly localizedErrorMessage: string;
}

function invalid(name: string, error: string, message: string): PropertyValueError {
  return { isValid: false, message, error, name, localizedErrorMessage: message };
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const EPOCH_MS = /^-?\d{1,15}$/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Checks and normalises one written value. Returns the stored string ('' = cleared) or the error HubSpot reports.
 * Dates are stored `YYYY-MM-DD`, datetimes as ISO with milliseconds, booleans `true`/`false`, emails lower-cased.
 */
export function normalizeValue(
  property: PropertyDefinition,
  raw: unknown,
  objectType: string,
): { ok: true; value: string } | { ok: false; error: PropertyValueError } {
  const name = property.name;
  if (raw === null || raw === undefined) return { ok: true, value: '' };
  if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
    return { ok: false, error: invalid(name, 'INVALID_PROPERTY_VALUE', `${name} must be a string value`) };
  }
  const text = String(raw);
  if (text === '') return { ok: true, value: '' };
  const trimmed = property.type === 'string' ? text : text.trim();
  switch (property.type) {
    case 'string':
      if (objectType === 'contacts' && name === 'email') {
        const email = trimmed.trim().toLowerCase();
        if (!EMAIL.test(email)) {
          return { ok: false, error: invalid(name, 'INVALID_EMAIL', `Email address ${text} is invalid`) };
        }
        return { ok: true, value: email };
      }
      return { ok: true, value: text };
    case 'number':
      if (!NUMBER.test(trimmed) || !Number.isFinite(Number(trimmed))) {
        return { ok: false, error: invalid(name, 'INVALID_DECIMAL', `${text} was not a valid number.`) };
      }
      return { ok: true, value: trimmed };
    case 'bool': {
      const lower = trimmed.toLowerCase();
      if (lower !== 'true' && lower !== 'false') {
        return { ok: false, error: invalid(name, 'INVALID_BOOLEAN', `${text} was not a valid boolean.`) };
      }
      return { ok: true, value: lower };
    }
    case 'date': {
      const iso = ISO_DATE.exec(trimmed);
      if (iso) {
        const ms = Date.UTC(Number(iso[1]), Number(iso[2]) - 1, Number(iso[3]));
        if (new Date(ms).toISOString().slice(0, 10) === trimmed) return { ok: true, value: trimmed };
      }
      if (EPOCH_MS.test(trimmed)) {
        const ms = Number(trimmed);
        if (ms % 86_400_000 !== 0) {
          const time = new Date(ms).toISOString().slice(11, 23);
          return {
            ok: false,
            error: invalid(name, 'INVALID_DATE', `${text} is at ${time} UTC, not midnight! (${name})`),
          };
        }
        return { ok: true, value: new Date(ms).toISOString().slice(0, 10) };
      }
      return { ok: false, error: invalid(name, 'INVALID_DATE', `${text} was not a valid date (${name})`) };
    }
    case 'datetime': {
      if (EPOCH_MS.test(trimmed)) return { ok: true, value: new Date(Number(trimmed)).toISOString() };
      if (ISO_DATETIME.test(trimmed) && Number.isFinite(Date.parse(trimmed))) {
        return { ok: true, value: new Date(Date.parse(trimmed)).toISOString() };
      }
      return { ok: false, error: invalid(name, 'INVALID_DATETIME', `${text} was not a valid datetime (${name})`) };
    }
    case 'enumeration': {
      const allowed = property.options.map((o) => o.value);
      const values = property.fieldType === 'checkbox' ? trimmed.split(';').filter((v) => v !== '') : [trimmed];
      const bad = values.find((v) => !allowed.includes(v));
      if (bad !== undefined) {
        return {
          ok: false,
          error: invalid(
            name,
            'INVALID_OPTION',
            `${bad} was not one of the allowed options: [${property.options.map((o) => `label: "${o.label}"\nvalue: "${o.value}"`).join(', ')}]`,
          ),
        };
      }
      return { ok: true, value: values.join(';') };
    }
  }
}

export function unknownPropertyError(name: string): PropertyValueError {
  return invalid(name, 'PROPERTY_DOESNT_EXIST', `Property "${name}" does not exist`);
}

export function readOnlyPropertyError(name: string): PropertyValueError {
  return invalid(name, 'READ_ONLY_VALUE', `${name} is a read only property; its value cannot be set.`);
}

/** The built-in objects, their ids and last-modified property. */
export interface BuiltInObject {
  readonly name: string;
  readonly objectTypeId: string;
  /** The singular upper-case name in messages (`CONTACT`). */
  readonly singular: string;
  readonly modifiedProperty: string;
  readonly properties: readonly PropertyInput[];
}

const common = (modified: string): PropertyInput[] => [
  { name: 'hs_object_id', type: 'number', readOnlyValue: true, label: 'Record ID' },
  { name: 'createdate', type: 'datetime', readOnlyValue: true, label: 'Create Date' },
  { name: modified, type: 'datetime', readOnlyValue: true, label: 'Last Modified Date' },
];

export const BUILT_IN_OBJECTS: readonly BuiltInObject[] = Object.freeze([
  {
    name: 'contacts',
    objectTypeId: '0-1',
    singular: 'CONTACT',
    modifiedProperty: 'lastmodifieddate',
    properties: [
      ...common('lastmodifieddate'),
      { name: 'email', type: 'string', hasUniqueValue: true, label: 'Email' },
      { name: 'firstname', type: 'string', label: 'First Name' },
      { name: 'lastname', type: 'string', label: 'Last Name' },
      { name: 'phone', type: 'string', fieldType: 'phonenumber', label: 'Phone Number' },
      { name: 'company', type: 'string', label: 'Company Name' },
      { name: 'city', type: 'string', label: 'City' },
      { name: 'jobtitle', type: 'string', label: 'Job Title' },
      {
        name: 'lifecyclestage',
        type: 'enumeration',
        fieldType: 'radio',
        label: 'Lifecycle Stage',
        options: ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer'].map(
          (v) => ({ label: v, value: v }),
        ),
      },
      { name: 'hs_email_domain', type: 'string', readOnlyValue: true, label: 'Email Domain' },
    ],
  },
  {
    name: 'companies',
    objectTypeId: '0-2',
    singular: 'COMPANY',
    modifiedProperty: 'hs_lastmodifieddate',
    properties: [
      ...common('hs_lastmodifieddate'),
      { name: 'name', type: 'string', label: 'Name' },
      { name: 'domain', type: 'string', label: 'Company Domain Name' },
      { name: 'phone', type: 'string', fieldType: 'phonenumber', label: 'Phone Number' },
      { name: 'city', type: 'string', label: 'City' },
      { name: 'industry', type: 'string', label: 'Industry' },
      { name: 'numberofemployees', type: 'number', label: 'Number of Employees' },
      { name: 'annualrevenue', type: 'number', label: 'Annual Revenue' },
    ],
  },
  {
    name: 'deals',
    objectTypeId: '0-3',
    singular: 'DEAL',
    modifiedProperty: 'hs_lastmodifieddate',
    properties: [
      ...common('hs_lastmodifieddate'),
      { name: 'dealname', type: 'string', label: 'Deal Name' },
      { name: 'amount', type: 'number', label: 'Amount' },
      { name: 'closedate', type: 'datetime', label: 'Close Date' },
      { name: 'pipeline', type: 'enumeration', label: 'Pipeline', options: [{ label: 'Sales', value: 'default' }] },
      {
        name: 'dealstage',
        type: 'enumeration',
        label: 'Deal Stage',
        options: ['appointmentscheduled', 'qualifiedtobuy', 'closedwon', 'closedlost'].map((v) => ({
          label: v,
          value: v,
        })),
      },
    ],
  },
]);
