import { z } from 'zod';
import type { ConnectorDescriptor } from '../connectors/connector-descriptor.js';
import type { ConnectorRegistry } from '../connectors/connector-registry.js';
import type { SystemId } from '../model/system.js';
import { NANP_COUNTRIES, PHONE_COUNTRIES } from '../mapping/phone-number.js';
import { BUILTIN_POLICIES, isBuiltinPolicy } from '../resolve/policy/builtin-policies.js';
import { unknownKeysMessage } from '../util/closest-match.js';
import {
  notifyTargetSchema,
  historySectionSchema,
  retentionSectionSchema,
  scheduleSectionSchema,
  serveSectionSchema,
} from './service-config-schema.js';

/**
 * The zod schema of tandem.yaml *as written* (after `${VAR}` substitution): the single source of truth for
 * validation, defaults, docs/tandem.schema.json and the example file. `parseConfig` turns its output into the
 * frozen TandemConfig (absolute paths, normalised transforms, lines). What depends on the system (the `erp:` and
 * `crm:` settings, native entity and field names, per-object options) comes from the connector chosen by `type`
 * (its ConnectorDescriptor), never from here.
 */

/** Transform names as written in `transforms:`. */
export const TRANSFORM_NAMES = ['trim', 'lowercase', 'uppercase', 'phone', 'enum', 'split'] as const;
export const FIELD_TYPES = ['string', 'number', 'integer', 'boolean', 'date', 'datetime'] as const;
export const DIRECTIONS = ['both', 'erp-to-crm', 'crm-to-erp'] as const;

export const DEFAULTS = Object.freeze({
  sync: 'default',
  stateDataDir: '.tandem/state',
  stateSchema: 'tandem',
  policiesDir: './conflict-rules',
  policy: 'latest-wins',
  direction: 'both',
  type: 'string',
  phoneFormat: 'e164' as const,
  phoneCountry: 'US',
  unmapped: 'pass' as const,
});

/** A strict object: an unknown key is an issue naming the closest allowed key and listing all of them. */
function strictObject<T extends z.core.$ZodLooseShape>(shape: T) {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? unknownKeysMessage(issue.keys, allowed) : undefined),
  });
}

// A plain SQL identifier: what Postgres accepts unquoted (63 bytes at most); the state store is Postgres.
const SQL_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const sqlName = (what: string) =>
  z.string().regex(SQL_NAME, {
    error: `${what} must be a plain SQL name (letters, digits, _; not starting with a digit). Fix: rename it or use a view with a plain name`,
  });
const nonEmpty = (what: string) => z.string().min(1, { error: `${what} must not be empty` });
const stateSchema = strictObject({
  url: z
    .string()
    .nullish()
    .describe(
      'Postgres URL of the state store, e.g. ${TANDEM_STATE_URL}. Omit (or leave empty) for an embedded store in dataDir.',
    ),
  dataDir: nonEmpty('state.dataDir')
    .default(DEFAULTS.stateDataDir)
    .describe('Folder of the embedded state store, relative to this file. Used when url is empty.'),
  schema: sqlName('state.schema').default(DEFAULTS.stateSchema).describe("Schema for tandem's own tables."),
}).describe('Where tandem keeps watermarks, record state, the conflict queue and the job ledger.');

/**
 * tandem.yaml's `erp:` or `crm:` section for one connector: `type` plus the connector's own settings, validated by its
 * schema (the single declaration of them). Output: `{ type, settings }`. Without a descriptor (an unknown type,
 * reported separately), anything is accepted so that the rest of the file is still checked.
 */
function connectorSectionSchema(descriptor: ConnectorDescriptor | undefined, side: SystemId) {
  if (descriptor === undefined) {
    return z
      .looseObject({ type: z.string() })
      .transform(({ type, ...settings }): ConnectorSectionYaml => ({ type, settings }));
  }
  return z
    .looseObject({ type: z.literal(descriptor.type) })
    .transform(({ type: _type, ...settings }) => settings)
    .pipe(descriptor.settings as z.ZodType<unknown, Record<string, unknown>>)
    .transform((settings): ConnectorSectionYaml => ({ type: descriptor.type, settings }))
    .describe(side === 'erp' ? 'The ERP.' : 'The CRM.');
}

/** A connector section as validated: its type and the settings its descriptor's schema returned. */
export interface ConnectorSectionYaml {
  readonly type: string;
  readonly settings: unknown;
}

/** The documented form of a connector section (JSON Schema): `type` plus the settings' keys, one member per type. */
function documentedSectionSchema(descriptors: readonly ConnectorDescriptor[], side: SystemId) {
  const members = descriptors.map((d) => {
    const type = z.literal(d.type).describe(`The ${side === 'erp' ? 'ERP' : 'CRM'} kind: ${d.type}.`);
    return d.settings instanceof z.ZodObject ? strictObject({ type, ...d.settings.shape }) : z.looseObject({ type });
  });
  const [first, ...rest] = members;
  const types = descriptors.map((d) => d.type).join(', ');
  const what = side === 'erp' ? 'The ERP' : 'The CRM';
  if (first === undefined) return z.looseObject({ type: z.string() }).describe(`${what}; no connector registered.`);
  return (rest.length === 0 ? first : z.discriminatedUnion('type', [first, ...rest])).describe(
    `${what}, chosen by type (registered: ${types}).`,
  );
}

const policiesSchema = strictObject({
  dir: nonEmpty('policies.dir')
    .default(DEFAULTS.policiesDir)
    .describe('Folder of conflict policy files, relative to this file.'),
  strategies: nonEmpty('policies.strategies')
    .optional()
    .describe(
      'JavaScript module (ES module, relative to this file) exporting custom conflict strategies that policy files may use.',
    ),
});

const phoneTransform = strictObject({
  phone: strictObject({
    format: z
      .enum(['e164', 'us-national'])
      .default('e164')
      .describe("'e164' (+14155550100) or 'us-national' ((415) 555-0100)."),
    defaultCountry: z
      .enum(Object.keys(PHONE_COUNTRIES) as [string, ...string[]])
      .default(DEFAULTS.phoneCountry)
      .describe('Country of numbers written without a +country code (ISO 3166 alpha-2).'),
  })
    .nullable()
    .superRefine((options, ctx) => {
      if (options?.format === 'us-national' && !NANP_COUNTRIES.includes(options.defaultCountry)) {
        ctx.addIssue({
          code: 'custom',
          path: ['defaultCountry'],
          message: `format us-national needs a North American defaultCountry; allowed: ${NANP_COUNTRIES.join(', ')}. Fix: use format e164`,
        });
      }
    }),
}).describe('Normalises phone numbers.');

const enumTransform = strictObject({
  enum: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String))
    .superRefine((map, ctx) => {
      const seen = new Map<string, string>();
      for (const [from, to] of Object.entries(map)) {
        if (from === '' || to === '') {
          ctx.addIssue({
            code: 'custom',
            path: [from],
            message: "enum map has an empty value; tandem reads '' as null. Fix: drop the entry and use unmapped: null",
          });
          continue;
        }
        const earlier = seen.get(to);
        if (earlier !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [from],
            message: `enum map is not one-to-one: '${from}' and '${earlier}' both map to '${to}', so a CRM '${to}' could not be written back. Fix: give each ERP value its own CRM value`,
          });
        } else seen.set(to, from);
      }
    })
    .describe('ERP value -> CRM value. Must be one-to-one; the inverse is used toward the ERP.'),
  unmapped: z
    .union([z.literal('pass'), z.literal('null'), z.null()])
    .default(DEFAULTS.unmapped)
    .describe("A value not in the map: 'pass' keeps it, 'null' (or null) clears it."),
}).describe('Translates ERP codes to CRM values and back.');

const splitTransform = strictObject({
  split: z
    .string()
    .min(1, { error: 'split needs a separator, e.g. { split: " " }' })
    .describe('Separator: one native field <-> several.'),
}).describe('Joins several native fields into one canonical value and splits it back.');

const bareTransform = z.enum(['trim', 'lowercase', 'uppercase', 'phone']).describe('A transform without options.');

/** The members of the transform union, in this order (zod-issue messages pick a member by its key). */
export const transformSchema = z.union([bareTransform, phoneTransform, enumTransform, splitTransform]);

const fieldName = /^[a-z][a-z0-9_]*$/;

/**
 * A native name (entity or field) on one side: a non-empty string, checked by the connector's rule when it has one
 * (its messages start with "must" and get the name of the setting put before them).
 */
function nativeName(rule: z.ZodType<string> | undefined, what: string) {
  const base = z.string().min(1, { error: `${what} must not be empty` });
  if (rule === undefined) return base;
  return base
    .transform((value, ctx) => {
      const checked = rule.safeParse(value);
      if (checked.success) return checked.data;
      for (const issue of checked.error.issues)
        ctx.issues.push({ code: 'custom', message: `${what} ${issue.message}`, input: value });
      return z.NEVER;
    })
    .describe(rule.description ?? `A native name on this system.`);
}

/** The descriptors of the chosen connectors; `undefined` for a side whose type is unknown (anything is accepted). */
export interface ChosenConnectors {
  readonly erp: ConnectorDescriptor | undefined;
  readonly crm: ConnectorDescriptor | undefined;
}

const ANY_CONNECTORS: ChosenConnectors = { erp: undefined, crm: undefined };

function nativeNames(descriptor: ConnectorDescriptor | undefined, side: SystemId) {
  const one = nativeName(descriptor?.fieldName, `${side} field`);
  return z.union([one, z.array(one).min(1).max(10)]);
}

/** One field mapping, with native names checked by the chosen connectors. */
export function fieldSchemaFor(connectors: ChosenConnectors) {
  return strictObject({
    erp: nativeNames(connectors.erp, 'erp').describe('ERP column, or a list of columns (with a split transform).'),
    crm: nativeNames(connectors.crm, 'crm').describe(
      'CRM field API name, or a list of fields (with a split transform).',
    ),
    direction: z
      .enum(DIRECTIONS)
      .default(DEFAULTS.direction)
      .describe("Which way changes flow: 'both', 'erp-to-crm' or 'crm-to-erp'."),
    type: z
      .enum(FIELD_TYPES)
      .default(DEFAULTS.type)
      .describe('Canonical type; values from both sides are normalised to it.'),
    transforms: z.array(transformSchema).default([]).describe('Applied in order toward the canonical value.'),
  });
}

/** A field mapping with native names only required to be non-empty (for checks that do not depend on the system). */
export const fieldSchema = fieldSchemaFor(ANY_CONNECTORS);

/** The stream options a connector declares, each optional (defaults are the connector's, applied when it opens). */
function streamOptionsShape(descriptor: ConnectorDescriptor): z.core.$ZodLooseShape {
  const options = descriptor.streamOptions;
  if (!(options instanceof z.ZodObject)) return {};
  return Object.fromEntries(
    Object.entries(options.shape as Record<string, z.ZodType>).map(([key, schema]) => {
      const optional = schema instanceof z.ZodDefault ? (schema.unwrap() as z.ZodType).optional() : schema;
      return [key, schema.description === undefined ? optional : optional.describe(schema.description)];
    }),
  );
}

/** The `erp` / `crm` side of an object mapping: the native entity, the key field, and the connector's options. */
function objectSideSchema(descriptor: ConnectorDescriptor | undefined, side: SystemId) {
  const entityKey = side === 'erp' ? 'table' : 'object';
  const keyKey = side === 'erp' ? 'key' : 'externalId';
  const shape = {
    [entityKey]: nativeName(descriptor?.entityName, `${side}.${entityKey}`).describe(
      side === 'erp' ? 'The ERP entity (table), e.g. public.customers.' : 'The CRM object, e.g. Account.',
    ),
    [keyKey]: nativeName(descriptor?.fieldName, `${side}.${keyKey}`).describe(
      side === 'erp'
        ? 'Field (column) holding the sync key (the CRM external ID value).'
        : 'External ID field holding the sync key, e.g. External_Id__c.',
    ),
  };
  const describe = side === 'erp' ? 'The ERP side.' : 'The CRM side.';
  // Without a descriptor, or one whose options are not a plain object, the connector checks its options when it opens.
  if (
    descriptor === undefined ||
    (descriptor.streamOptions !== undefined && !(descriptor.streamOptions instanceof z.ZodObject))
  ) {
    return z.looseObject(shape).describe(describe);
  }
  return strictObject({ ...shape, ...streamOptionsShape(descriptor) }).describe(describe);
}

/** One object mapping for the chosen connectors. */
export function objectSchemaFor(connectors: ChosenConnectors) {
  return strictObject({
    erp: objectSideSchema(connectors.erp, 'erp'),
    crm: objectSideSchema(connectors.crm, 'crm'),
    policy: z
      .string()
      .refine((p) => isBuiltinPolicy(p) || /^[A-Za-z0-9_-][A-Za-z0-9_.-]*\.ya?ml$/.test(p), {
        error: `policy must be a built-in (${BUILTIN_POLICIES.join(', ')}) or a file name in the policies dir, e.g. account.yaml`,
      })
      .default(DEFAULTS.policy)
      .describe(`Conflict policy: ${BUILTIN_POLICIES.join(', ')}, or a file in the policies dir (account.yaml).`),
    fields: z
      .record(
        z.string().regex(fieldName, { error: 'a field name must match [a-z][a-z0-9_]*' }),
        fieldSchemaFor(connectors),
      )
      .refine((fields) => Object.keys(fields).length > 0, { error: 'an object needs at least one field under fields:' })
      .describe('Canonical field name -> its native fields.'),
  });
}

function tandemYamlShape<E extends z.ZodType, C extends z.ZodType, O extends z.ZodType>(erp: E, crm: C, object: O) {
  return strictObject({
    sync: z
      .string()
      .regex(/^[a-z][a-z0-9_-]*$/, { error: 'sync must match [a-z][a-z0-9_-]*, e.g. acme' })
      .default(DEFAULTS.sync)
      .describe('Name of this sync (state is kept per name).'),
    state: stateSchema.default({ dataDir: DEFAULTS.stateDataDir, schema: DEFAULTS.stateSchema }),
    erp,
    crm,
    policies: policiesSchema.default({ dir: DEFAULTS.policiesDir }),
    schedule: scheduleSectionSchema.nullish(),
    serve: serveSectionSchema.nullish(),
    notify: z
      .array(notifyTargetSchema)
      .nullish()
      .describe('Webhooks told about runs, quota stops, queued conflicts and rejections.'),
    retention: retentionSectionSchema.nullish(),
    history: historySectionSchema.nullish(),
    objects: z
      .record(z.string().regex(/^[a-z][a-z0-9_]*$/, { error: 'an object name must match [a-z][a-z0-9_]*' }), object)
      .refine((objects) => Object.keys(objects).length > 0, { error: 'objects: needs at least one mapping' })
      .describe('Mapping name -> one ERP entity <-> CRM object pair.'),
  }).describe('tandem.yaml: one bidirectional sync between an ERP and a CRM, each chosen by type.');
}

/**
 * The schema that validates a tandem.yaml whose `erp.type` and `crm.type` chose these connectors: their settings,
 * native names and options are checked by their descriptors.
 */
export function tandemYamlSchemaFor(connectors: ChosenConnectors) {
  return tandemYamlShape(
    connectorSectionSchema(connectors.erp, 'erp'),
    connectorSectionSchema(connectors.crm, 'crm'),
    objectSchemaFor(connectors),
  );
}

/** The documented form of tandem.yaml for every connector in `registry` (docs/tandem.schema.json). */
export function documentedTandemYamlSchema(registry: ConnectorRegistry) {
  const objectSides = (side: SystemId) => {
    const members = registry.list(side).map((d) => objectSideSchema(d, side));
    const [first, second, ...rest] = members;
    if (first === undefined) return objectSideSchema(undefined, side);
    return second === undefined ? first : z.union([first, second, ...rest]);
  };
  const object = strictObject({
    ...objectSchemaFor(ANY_CONNECTORS).shape,
    erp: objectSides('erp'),
    crm: objectSides('crm'),
  });
  return tandemYamlShape(
    documentedSectionSchema(registry.list('erp'), 'erp'),
    documentedSectionSchema(registry.list('crm'), 'crm'),
    object,
  );
}

export type TandemYaml = z.output<ReturnType<typeof tandemYamlSchemaFor>>;
export type ObjectYaml = z.output<ReturnType<typeof objectSchemaFor>>;
export type FieldYaml = z.output<typeof fieldSchema>;
export type TransformYaml = z.output<typeof transformSchema>;
