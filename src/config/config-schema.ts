import cron from 'node-cron';
import { z } from 'zod';
import { NANP_COUNTRIES, PHONE_COUNTRIES } from '../mapping/phone-number.js';
import { unknownKeysMessage } from './closest-match.js';
import {
  notifyTargetSchema,
  retentionSectionSchema,
  scheduleSectionSchema,
  serveSectionSchema,
} from './service-config-schema.js';

/**
 * The zod schema of tandem.yaml *as written* (after `${VAR}` substitution): the single source of truth for
 * validation, defaults, docs/tandem.schema.json and the example file. `parseConfig` turns its output into the
 * frozen TandemConfig (absolute paths, normalised transforms, lines).
 */

/** Conflict policies that need no file. */
export const BUILT_IN_POLICIES = ['latest-wins', 'erp-wins', 'crm-wins', 'manual'] as const;
/** Transform names as written in `transforms:`. */
export const TRANSFORM_NAMES = ['trim', 'lowercase', 'uppercase', 'phone', 'enum', 'split'] as const;
export const FIELD_TYPES = ['string', 'number', 'integer', 'boolean', 'date', 'datetime'] as const;
export const DIRECTIONS = ['both', 'erp-to-crm', 'crm-to-erp'] as const;

export const DEFAULTS = Object.freeze({
  sync: 'default',
  stateDataDir: '.tandem/state',
  stateSchema: 'tandem',
  erpTandemSchema: 'tandem',
  erpBatchSize: 5000,
  apiVersion: '62.0',
  apiReserveShare: 0.2,
  pollIntervalMs: 1000,
  pollTimeoutMs: 600_000,
  // Salesforce takes 150 MB per job after base64, so 100 MB of raw CSV.
  maxUploadBytes: 100_000_000,
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

// A plain SQL identifier: what Postgres accepts unquoted (63 bytes at most).
const SQL_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const sqlName = (what: string) =>
  z.string().regex(SQL_NAME, {
    error: `${what} must be a plain SQL name (letters, digits, _; not starting with a digit). Fix: rename it or use a view with a plain name`,
  });
const tableName = z
  .string()
  .regex(/^(?:[A-Za-z_][A-Za-z0-9_]{0,62}\.)?[A-Za-z_][A-Za-z0-9_]{0,62}$/, {
    error:
      'table must be `table` or `schema.table`, each a plain SQL name (letters, digits, _). Fix: e.g. public.customers',
  })
  .describe('ERP table, `schema.table` (the schema defaults to public).');
// A Salesforce API name: letters, digits, underscores, starting with a letter (custom ones end in __c).
const apiName = (what: string) =>
  z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,79}$/, {
    error: `${what} must be a Salesforce API name (letters, digits, _; starting with a letter), e.g. Account or External_Id__c`,
  });
const httpUrl = (what: string) =>
  z.string().refine((value) => /^https?:\/\/[^\s/]+/i.test(value) && URL.canParse(value), {
    error: `${what} must be an http(s) URL, e.g. https://acme.my.salesforce.com`,
  });
const nonEmpty = (what: string) => z.string().min(1, { error: `${what} must not be empty` });
const seconds = z
  .number()
  .int()
  .min(0)
  .max(7 * 24 * 3600);

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

const erpSchema = strictObject({
  type: z.literal('postgres').describe('The ERP kind. Only postgres for now.'),
  url: z.string().nullish().describe('Postgres URL of the ERP database, e.g. ${ERP_DATABASE_URL}. Set url or dataDir.'),
  dataDir: z
    .string()
    .nullish()
    .describe('Folder of an embedded (PGlite) ERP database, relative to this file (demos, tests). Set url or dataDir.'),
  tandemSchema: sqlName('erp.tandemSchema')
    .default(DEFAULTS.erpTandemSchema)
    .describe("Schema in the ERP for tandem's change log and triggers."),
  batchSize: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(DEFAULTS.erpBatchSize)
    .describe('Rows per page read and per write transaction.'),
});

const authSchema = z
  .discriminatedUnion(
    'flow',
    [
      strictObject({
        flow: z.literal('client_credentials'),
        clientId: nonEmpty('clientId').describe('Consumer key of the connected app, e.g. ${SF_CLIENT_ID}.'),
        clientSecret: nonEmpty('clientSecret').describe('Consumer secret; only as an ${ENV} reference.'),
      }).describe('OAuth 2.0 client credentials flow (loginUrl must be the My Domain URL).'),
      strictObject({
        flow: z.literal('jwt'),
        clientId: nonEmpty('clientId').describe('Consumer key of the connected app.'),
        username: nonEmpty('username').describe('The integration user the JWT is issued for.'),
        privateKeyPem: nonEmpty('privateKeyPem').describe(
          'PEM private key that signs the JWT; only as an ${ENV} reference.',
        ),
        audience: z
          .string()
          .nullish()
          .describe(
            'JWT audience; default: https://login.salesforce.com, or https://test.salesforce.com for a sandbox loginUrl.',
          ),
      }).describe('OAuth 2.0 JWT bearer flow.'),
    ],
    {
      error: (issue) =>
        issue.code === 'invalid_union' ? "auth.flow must be 'client_credentials' or 'jwt'" : undefined,
    },
  )
  .describe('How tandem signs in to Salesforce.');

const crmSchema = strictObject({
  type: z.literal('salesforce').describe('The CRM kind. Only salesforce for now.'),
  loginUrl: httpUrl('crm.loginUrl').describe(
    'My Domain URL (client_credentials), or https://login.salesforce.com / https://test.salesforce.com (jwt).',
  ),
  instanceUrl: httpUrl('crm.instanceUrl')
    .nullish()
    .describe('API host; default: the instance_url the token endpoint returns.'),
  apiVersion: z
    .string()
    .regex(/^\d{2,3}\.0$/, { error: "apiVersion must look like '62.0'" })
    .default(DEFAULTS.apiVersion)
    .describe('Salesforce REST API version.'),
  auth: authSchema,
  apiReserveShare: z
    .number()
    .min(0)
    .max(0.95)
    .default(DEFAULTS.apiReserveShare)
    .describe("Share of the org's daily API requests tandem leaves to other integrations (0..0.95)."),
  pollIntervalMs: z
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(DEFAULTS.pollIntervalMs)
    .describe('How often a Bulk API job is polled, in milliseconds.'),
  pollTimeoutMs: z
    .number()
    .int()
    .min(1000)
    .max(24 * 3600 * 1000)
    .default(DEFAULTS.pollTimeoutMs)
    .describe(
      'How long one Bulk API job may take before the run gives up on it (it resumes next run), in milliseconds.',
    ),
  maxUploadBytes: z
    .number()
    .int()
    .min(1024)
    .max(100_000_000)
    .default(DEFAULTS.maxUploadBytes)
    .describe('Largest CSV uploaded to one Bulk API job, in bytes (Salesforce: 100 MB).'),
});

const policiesSchema = strictObject({
  dir: nonEmpty('policies.dir')
    .default(DEFAULTS.policiesDir)
    .describe('Folder of conflict policy files, relative to this file.'),
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
const nativeNames = (side: 'erp' | 'crm') => {
  const one = side === 'erp' ? sqlName('erp column') : apiName('crm field');
  return z.union([one, z.array(one).min(1).max(10)]);
};

export const fieldSchema = strictObject({
  erp: nativeNames('erp').describe('ERP column, or a list of columns (with a split transform).'),
  crm: nativeNames('crm').describe('CRM field API name, or a list of fields (with a split transform).'),
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

export const objectSchema = strictObject({
  erp: strictObject({
    table: tableName,
    key: sqlName('erp.key').describe('Column holding the sync key (the CRM external ID value).'),
    primaryKey: sqlName('erp.primaryKey').optional().describe('Primary key column (native id); connector default id.'),
    updatedAt: sqlName('erp.updatedAt')
      .optional()
      .describe('Modification timestamp column; connector default updated_at.'),
    capture: z
      .enum(['watermark', 'changelog'])
      .optional()
      .describe(
        "How ERP changes are captured: 'watermark' (updatedAt column) or 'changelog' (trigger + change-log table).",
      ),
    lookbackSeconds: seconds.optional().describe('How far back each ERP read re-reads, in seconds (late commits).'),
    deletes: z
      .enum(['delete', 'soft-delete', 'ignore'])
      .optional()
      .describe('What a delete coming from the CRM does in the ERP.'),
    softDeleteColumn: sqlName('erp.softDeleteColumn')
      .optional()
      .describe('Timestamp column marking a row deleted (with deletes: soft-delete).'),
  }).describe('The ERP side.'),
  crm: strictObject({
    object: apiName('crm.object').describe('CRM object API name, e.g. Account.'),
    externalId: apiName('crm.externalId').describe('External ID field holding the sync key, e.g. External_Id__c.'),
    lookbackSeconds: seconds.optional().describe('How far back each CRM read re-reads, in seconds.'),
    deletes: z.enum(['delete', 'ignore']).optional().describe('What a delete coming from the ERP does in the CRM.'),
  }).describe('The CRM side.'),
  policy: z
    .string()
    .refine(
      (p) => (BUILT_IN_POLICIES as readonly string[]).includes(p) || /^[A-Za-z0-9_-][A-Za-z0-9_.-]*\.ya?ml$/.test(p),
      {
        error: `policy must be a built-in (${BUILT_IN_POLICIES.join(', ')}) or a file name in the policies dir, e.g. account.yaml`,
      },
    )
    .default(DEFAULTS.policy)
    .describe(`Conflict policy: ${BUILT_IN_POLICIES.join(', ')}, or a file in the policies dir (account.yaml).`),
  fields: z
    .record(z.string().regex(fieldName, { error: 'a field name must match [a-z][a-z0-9_]*' }), fieldSchema)
    .refine((fields) => Object.keys(fields).length > 0, { error: 'an object needs at least one field under fields:' })
    .describe('Canonical field name -> its native fields.'),
});

export const tandemYamlSchema = strictObject({
  sync: z
    .string()
    .regex(/^[a-z][a-z0-9_-]*$/, { error: 'sync must match [a-z][a-z0-9_-]*, e.g. acme' })
    .default(DEFAULTS.sync)
    .describe('Name of this sync (state is kept per name).'),
  state: stateSchema.default({ dataDir: DEFAULTS.stateDataDir, schema: DEFAULTS.stateSchema }),
  erp: erpSchema.describe('The ERP database.'),
  crm: crmSchema.describe('The CRM.'),
  policies: policiesSchema.default({ dir: DEFAULTS.policiesDir }),
  schedule: scheduleSectionSchema.nullish(),
  serve: serveSectionSchema.nullish(),
  notify: z
    .array(notifyTargetSchema)
    .nullish()
    .describe('Webhooks told about runs, quota stops, queued conflicts and rejections.'),
  retention: retentionSectionSchema.nullish(),
  objects: z
    .record(z.string().regex(/^[a-z][a-z0-9_]*$/, { error: 'an object name must match [a-z][a-z0-9_]*' }), objectSchema)
    .refine((objects) => Object.keys(objects).length > 0, { error: 'objects: needs at least one mapping' })
    .describe('Mapping name -> one ERP table <-> CRM object pair.'),
}).describe('tandem.yaml: one bidirectional sync between an ERP (Postgres) and a CRM (Salesforce).');

export type TandemYaml = z.output<typeof tandemYamlSchema>;
export type ObjectYaml = z.output<typeof objectSchema>;
export type FieldYaml = z.output<typeof fieldSchema>;
export type TransformYaml = z.output<typeof transformSchema>;
