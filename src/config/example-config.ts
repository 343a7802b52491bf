import { z } from 'zod';
import { defaultConnectorRegistry } from '../connectors/builtin-connectors.js';
import type { ConnectorRegistry } from '../connectors/connector-registry.js';
import type { ExampleObjects } from '../connectors/connector-descriptor.js';

/**
 * The commented tandem.yaml that `tandem init --crm <type>` writes: every option, its default and allowed values. The
 * `crm:` section is the chosen connector's (its descriptor's `example`); the type must be registered for the CRM side
 * (UnknownConnectorTypeError lists the registered ones). With `salesforce` it validates with `parseConfig` given
 * ERP_DATABASE_URL, SF_CLIENT_ID and SF_CLIENT_SECRET (tested).
 */
export function exampleConfigFor(crmType: string, registry: ConnectorRegistry = defaultConnectorRegistry): string {
  const descriptor = registry.get(crmType, 'crm');
  const settings =
    descriptor.example ??
    `  # The settings of ${descriptor.type}: see its documentation (and docs/tandem.schema.json).\n`;
  const crmSection = `# The CRM, chosen by type (registered: ${registry.types('crm').join(', ')}).\ncrm:\n  type: ${descriptor.type}\n${settings}`;
  const options = descriptor.streamOptions;
  const optionKeys = options instanceof z.ZodObject ? Object.keys(options.shape) : [];
  // The per-object CRM options shown are the ones this connector declares.
  const crmOption = (key: string, line: string) => (optionKeys.includes(key) ? line : '');
  return exampleConfigText(crmSection, exampleObjectsText(descriptor.exampleObjects, crmOption));
}

function exampleConfigText(crmSection: string, objectsSection: string): string {
  return `# tandem.yaml -- one bidirectional sync between an ERP (Postgres) and a CRM.
# Reference: docs/configuration.md. Editor support: point your YAML plugin at docs/tandem.schema.json.
# Secrets are never written here: use \${VAR} references to environment variables (\${VAR:-default} gives a default).

# Name of this sync; state is kept per name. [a-z][a-z0-9_-]*, default: default
sync: acme

# Where tandem keeps watermarks, record state, the conflict queue and the job ledger.
state:
  # Postgres URL of the state store. Empty or omitted: an embedded store in dataDir.
  url: \${TANDEM_STATE_URL:-}
  # Folder of the embedded store, relative to this file. Default: .tandem/state
  dataDir: .tandem/state
  # Schema for tandem's own tables. Default: tandem
  schema: tandem

# The ERP database. Set url (a Postgres server) or dataDir (an embedded database, for demos).
erp:
  type: postgres                 # the ERP kind, chosen by type
  url: \${ERP_DATABASE_URL}       # e.g. postgres://tandem:\${PGPASSWORD}@db.internal:5432/erp
  # dataDir: .tandem/erp
  tandemSchema: tandem           # schema for tandem's change log and triggers in the ERP. Default: tandem
  batchSize: 5000                # rows per page read and per write transaction (1..1000000). Default: 5000
  # timeZone: America/New_York   # zone of 'timestamp without time zone' columns. Default: the database's TimeZone

${crmSection}
# Conflict policy files (see docs/conflict-rules.md), relative to this file. Default: ./conflict-rules
policies:
  dir: ./conflict-rules

# When runs happen (node-cron syntax; 6 fields adds seconds): \`tandem sync --schedule\` uses cron, \`tandem serve\`
# uses increment (default: cron) and full (the nightly reconcile). Omit to run by hand only. docs/operations.md.
schedule:
  cron: "*/15 * * * *"

# \`tandem serve\`: the HTTP endpoint (every route but /healthz needs the bearer token held in the variable tokenEnv
# names), leases and shutdown. docs/operations.md.
serve:
  host: 127.0.0.1                # --host to change it. Default: 127.0.0.1
  port: 8080                     # Default: 8080
  tokenEnv: TANDEM_API_TOKEN     # Default: TANDEM_API_TOKEN
  graceSeconds: 30               # SIGTERM: time for the running stage to reach a safe point. Default: 30
  leaseSeconds: 300              # a dead replica's run is retried after this long. Default: 300

# Webhooks told about runs, quota stops, queued conflicts and rejections (signed; docs/operations.md). Default: none.
#   - { url: https://hooks.example.com/tandem, events: [run.failed, record.rejected], secret: \${TANDEM_WEBHOOK_SECRET} }
notify: []

# How long copies of record values stay in the state store, in days (tandem serve prunes daily; tandem prune now).
retention:
  days: 30                       # Default: 30

# Each record's timeline (captures, decisions, planned writes, results) for \`tandem history KEY\`.
history:
  recordEvents: true             # Default: true

# Mapping name -> one ERP table <-> CRM object. Names: [a-z][a-z0-9_]*
# The tables are those of examples/erp-schema.sql (customers, contacts); \`tandem init --erp-url ... --crm-url ...\`
# writes mappings for your own tables instead, from what both systems report.
${objectsSection}`;
}

const PLACEHOLDERS: ExampleObjects = {
  account: { object: 'Account', externalId: 'external_id', fields: { name: 'name' } },
  contact: { object: 'Contact', externalId: 'external_id', fields: { last_name: 'last_name' } },
  notes: ["Placeholders: use this CRM's object and field names (see its documentation)."],
};

/** The example's `objects:` body: examples/erp-schema.sql's customers and contacts, named as this CRM names them. */
function exampleObjectsText(
  names: ExampleObjects | undefined,
  crmOption: (key: string, line: string) => string,
): string {
  const crm = names ?? PLACEHOLDERS;
  const notes = (crm.notes ?? []).map((line) => `# ${line}\n`).join('');
  const field = (
    name: string,
    erp: string,
    crmName: string | undefined,
    extra: string[] = [],
    comment = '',
  ): string => {
    if (crmName === undefined) return `      # ${name}: this CRM has no field for ${erp}\n`;
    const head = `      ${name}:\n        erp: ${erp}\n        crm: ${crmName}\n`;
    return `${head}${extra.map((line) => `        ${line}\n`).join('')}${comment}`;
  };
  const crmOptions = (options: readonly string[] | undefined) =>
    (options ?? []).map((line) => `      ${line}\n`).join('');
  const a = crm.account;
  const c = crm.contact;
  const statusValues = a.statusValues;
  const statusExtra =
    statusValues === undefined
      ? []
      : [
          'transforms:',
          `  - enum: { ${Object.entries(statusValues)
            .map(([erp, value]) => `${JSON.stringify(erp)}: ${JSON.stringify(value)}`)
            .join(', ')} }   # ERP value: CRM value, one-to-one`,
          '    unmapped: pass               # other values: pass (kept) | null (cleared)',
        ];
  return `${notes}objects:
  account:
    erp:
      table: public.customers    # schema.table (schema defaults to public)
      key: customer_no           # column holding the sync key
      primaryKey: customer_no    # primary key column (the native id). Default: id
      updatedAt: updated_at      # modification timestamp column. Default: updated_at
      capture: watermark         # watermark (updatedAt column) | changelog (trigger + change-log table). Default: watermark
      lookbackSeconds: 300       # each read re-reads this far back, for late commits. Default: 300
      deletes: delete            # a CRM delete in the ERP: delete | soft-delete | ignore. Default: delete
      # softDeleteColumn: deleted_at   # with deletes: soft-delete, the column set to the time of the delete
    crm:
      object: ${a.object}            # CRM object API name
      externalId: ${a.externalId}    # field holding the sync key (unique)
${crmOptions(a.options)}${crmOption('lookbackSeconds', '      lookbackSeconds: 300       # each read re-reads this far back\n')}\
${crmOption('deletes', '      deletes: delete            # an ERP delete in the CRM: delete | ignore\n')}\
    # Conflict policy: latest-wins | erp-wins | crm-wins | manual, or a file in policies.dir (account.yaml).
    # Default: latest-wins
    policy: latest-wins
    # Canonical field name -> native field(s).
    #   erp / crm: one field, or a list with a split transform
    #   direction: both | erp-to-crm | crm-to-erp (default both)
    #   type: string | number | integer | boolean | date | datetime (default string)
    #   transforms (text fields): trim, lowercase, uppercase, phone, enum, split
    fields:
${field('name', 'name', a.fields.name, ['transforms: [trim]'])}\
${field('phone', 'phone', a.fields.phone, ['transforms:', '  - phone: { format: e164, defaultCountry: US }   # format: e164 | us-national'])}\
${field('website', 'website', a.fields.website, ['transforms: [trim, lowercase]'])}\
${field('industry', 'industry', a.fields.industry)}\
${field('city', 'city', a.fields.city)}\
${field('country', 'country', a.fields.country)}\
${field('annual_revenue', 'annual_revenue', a.fields.annual_revenue, ['type: number', 'direction: erp-to-crm      # finance keeps revenue in the ERP'])}\
${field('employees', 'employees', a.fields.employees, ['type: integer'])}\
${field('status', 'status', a.fields.status, statusExtra)}\
  contact:
    erp: { table: public.contacts, key: contact_no, primaryKey: contact_no, updatedAt: updated_at }
    crm:
      object: ${c.object}
      externalId: ${c.externalId}
${crmOptions(c.options)}\
    policy: latest-wins
    fields:
${field('first_name', 'first_name', c.fields.first_name, ['transforms: [trim]'])}\
${field('last_name', 'last_name', c.fields.last_name, ['transforms: [trim]'])}\
${field('email', 'email', c.fields.email, ['transforms: [trim, lowercase]'])}\
${field('phone', 'phone', c.fields.phone, ['transforms: [phone]'])}\
${field('title', 'title', c.fields.title)}\
      # One ERP column <-> two CRM fields (for a table with a full_name column):
      # full_name:
      #   erp: full_name
      #   crm: [${c.fields.first_name ?? 'first_name'}, ${c.fields.last_name ?? 'last_name'}]
      #   transforms: [{ split: " " }]   # "Ada Lovelace" <-> Ada | Lovelace
`;
}

/** The example for the default CRM, Salesforce. */
export const EXAMPLE_CONFIG = exampleConfigFor('salesforce');
