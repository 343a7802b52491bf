import { dirname, resolve } from 'node:path';
import type { ConfigIssue } from '../util/errors.js';
import { configErrorOf } from './config-issues.js';
import { tandemYamlSchema, type ObjectYaml, type TandemYaml } from './config-schema.js';
import { deepFreeze } from './deep-freeze.js';
import { notifyFromYaml, retentionFromYaml, scheduleFromYaml, serveFromYaml } from './service-config.js';
import { resolveEnvReferences, type PathIssue } from './env-references.js';
import { checkObjectMapping } from './object-checks.js';
import type { FieldMapping, ObjectMapping, TandemConfig } from './tandem-config.js';
import { transformFromYaml } from './transform-from-yaml.js';
import { formatPath, readYamlSource, type PathSegment, type YamlSource } from './yaml-source.js';
import { fromZodIssues } from './zod-issues.js';

/** What `checkConfig` found: the config when there are no issues. */
export interface ConfigCheck {
  readonly config: TandemConfig | undefined;
  readonly issues: readonly ConfigIssue[];
  /** Where a path is written in the file (for checks made after parsing, e.g. policy files). */
  readonly source: YamlSource;
}

/**
 * Parses and validates tandem.yaml text. Throws a ConfigError listing every issue (file:line:column, path, what is
 * wrong, the allowed values and the fix). `file` names the file in messages; relative paths in the config resolve
 * against its folder. `env` supplies `${VAR}` references (pass `process.env` from the CLI, a literal in tests).
 *
 * @example
 * ```ts
 * const config = parseConfig(readFileSync('tandem.yaml', 'utf8'), 'tandem.yaml', { SF_CLIENT_SECRET: '...' })
 * ```
 */
export function parseConfig(
  text: string,
  file: string,
  env: Readonly<Record<string, string | undefined>>,
): TandemConfig {
  const { config, issues } = checkConfig(text, file, env);
  if (config === undefined || issues.length > 0) throw configErrorOf(file, issues);
  return config;
}

/** Like `parseConfig`, but returns the issues instead of throwing. */
export function checkConfig(
  text: string,
  file: string,
  env: Readonly<Record<string, string | undefined>>,
): ConfigCheck {
  const source = readYamlSource(text, file);
  const issues: ConfigIssue[] = [...source.issues];
  const at = (issue: PathIssue): ConfigIssue => {
    const { line, column } = source.locate(issue.path, issue.at);
    return { file, line, column, path: formatPath(issue.path), message: issue.message };
  };
  if (source.value === undefined) return { config: undefined, issues, source };
  if (source.value === null) {
    issues.push({
      file,
      line: 1,
      column: 1,
      path: '',
      message: 'the file is empty. Fix: run `tandem init` to write a commented example',
    });
    return { config: undefined, issues, source };
  }

  const substituted = resolveEnvReferences(source.value, env);
  issues.push(...substituted.issues.map(at));
  // An unset variable already explains why its value is wrong; do not report the same place twice.
  const envPaths = new Set(substituted.issues.map((i) => formatPath(i.path)));
  const parsed = tandemYamlSchema.safeParse(substituted.value);
  if (!parsed.success) {
    issues.push(
      ...fromZodIssues(parsed.error.issues, substituted.value)
        .filter((i) => !envPaths.has(formatPath(i.path)))
        .map(at),
    );
  }
  // Cross-field checks run on every field that is valid on its own, even when another part of the file is broken.
  for (const [name, raw] of Object.entries(objectsOf(substituted.value))) {
    issues.push(...checkObjectMapping(raw).map((i) => at({ ...i, path: ['objects', name, ...i.path] })));
  }
  if (parsed.success) issues.push(...checkConnections(parsed.data).map(at));
  if (!parsed.success || issues.length > 0) return { config: undefined, issues, source };
  return { config: buildConfig(parsed.data, resolve(file), source), issues, source };
}

function checkConnections(yaml: TandemYaml): PathIssue[] {
  const hasUrl = (yaml.erp.url ?? '') !== '';
  const hasDir = (yaml.erp.dataDir ?? '') !== '';
  if (hasUrl === hasDir) {
    return [
      {
        path: ['erp'],
        message: hasUrl
          ? 'erp has both url and dataDir. Fix: keep url for a Postgres server, or dataDir for an embedded database'
          : 'erp needs url (a Postgres server, e.g. url: ${ERP_DATABASE_URL}) or dataDir (an embedded database, e.g. dataDir: .tandem/erp)',
        at: 'key',
      },
    ];
  }
  return [];
}

function objectsOf(value: unknown): Record<string, unknown> {
  const objects = (value as { objects?: unknown } | null)?.objects;
  return objects !== null && typeof objects === 'object' && !Array.isArray(objects)
    ? (objects as Record<string, unknown>)
    : {};
}

function buildConfig(yaml: TandemYaml, file: string, source: YamlSource): TandemConfig {
  const folder = dirname(file);
  const orNull = (value: string | null | undefined): string | null =>
    value === undefined || value === null || value === '' ? null : value;
  const auth = yaml.crm.auth;
  const config: TandemConfig = {
    file,
    sync: yaml.sync,
    state: { url: orNull(yaml.state.url), dataDir: resolve(folder, yaml.state.dataDir), schema: yaml.state.schema },
    erp: {
      type: 'postgres',
      url: orNull(yaml.erp.url),
      dataDir: orNull(yaml.erp.url) === null && yaml.erp.dataDir ? resolve(folder, yaml.erp.dataDir) : null,
      tandemSchema: yaml.erp.tandemSchema,
      batchSize: yaml.erp.batchSize,
    },
    crm: {
      type: 'salesforce',
      loginUrl: yaml.crm.loginUrl.replace(/\/+$/, ''),
      instanceUrl: orNull(yaml.crm.instanceUrl)?.replace(/\/+$/, '') ?? null,
      apiVersion: yaml.crm.apiVersion,
      auth:
        auth.flow === 'client_credentials'
          ? { flow: 'client_credentials', clientId: auth.clientId, clientSecret: auth.clientSecret }
          : {
              flow: 'jwt',
              clientId: auth.clientId,
              username: auth.username,
              privateKeyPem: auth.privateKeyPem,
              audience: orNull(auth.audience),
            },
      apiReserveShare: yaml.crm.apiReserveShare,
      pollIntervalMs: yaml.crm.pollIntervalMs,
      pollTimeoutMs: yaml.crm.pollTimeoutMs,
      maxUploadBytes: yaml.crm.maxUploadBytes,
    },
    policies: { dir: resolve(folder, yaml.policies.dir) },
    schedule: scheduleFromYaml(yaml.schedule),
    serve: serveFromYaml(yaml.serve),
    notify: notifyFromYaml(yaml.notify),
    retention: retentionFromYaml(yaml.retention),
    objects: Object.entries(yaml.objects).map(([name, object]) => buildObject(name, object, source)),
  };
  return deepFreeze(config);
}

function buildObject(name: string, object: ObjectYaml, source: YamlSource): ObjectMapping {
  const { table, key, ...erpOptions } = object.erp;
  const { object: crmObject, externalId, ...crmOptions } = object.crm;
  const path: PathSegment[] = ['objects', name];
  return {
    name,
    line: source.locate(path, 'key').line,
    erp: { table: table.includes('.') ? table : `public.${table}`, key, options: definedOnly(erpOptions) },
    crm: { object: crmObject, externalId, options: definedOnly(crmOptions) },
    fields: Object.entries(object.fields).map(([fieldName, field]): FieldMapping => ({
      name: fieldName,
      line: source.locate([...path, 'fields', fieldName], 'key').line,
      erp: typeof field.erp === 'string' ? [field.erp] : [...field.erp],
      crm: typeof field.crm === 'string' ? [field.crm] : [...field.crm],
      direction: field.direction,
      type: field.type,
      transforms: field.transforms.map(transformFromYaml),
    })),
    policy: object.policy,
  };
}

function definedOnly(options: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}
