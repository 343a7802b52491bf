import { dirname, resolve } from 'node:path';
import { defaultConnectorRegistry } from '../connectors/builtin-connectors.js';
import type { ConnectorDescriptor } from '../connectors/connector-descriptor.js';
import { unknownConnectorTypeMessage, type ConnectorRegistry } from '../connectors/connector-registry.js';
import type { SystemId } from '../model/system.js';
import type { ConfigIssue } from '../util/errors.js';
import { configErrorOf } from './config-issues.js';
import { tandemYamlSchemaFor, type ChosenConnectors, type ObjectYaml, type TandemYaml } from './config-schema.js';
import { deepFreeze } from './deep-freeze.js';
import {
  historyFromYaml,
  notifyFromYaml,
  retentionFromYaml,
  scheduleFromYaml,
  serveFromYaml,
} from './service-config.js';
import { resolveEnvReferences, type EnvReferenceMode, type PathIssue } from './env-references.js';
import { checkObjectMapping } from './object-checks.js';
import type { FieldMapping, ObjectMapping, TandemConfig } from './tandem-config.js';
import { transformFromYaml } from './transform-from-yaml.js';
import { formatPath, readYamlSource, type PathSegment, type YamlSource } from './yaml-source.js';
import { fromZodIssues } from './zod-issues.js';

/** Options of `parseConfig` / `checkConfig` / `loadConfig`. */
export interface ParseConfigOptions {
  /** The connectors `erp.type` / `crm.type` may name. Default: the built-in ones plus any `registerConnector` added. */
  readonly connectors?: ConnectorRegistry;
  /**
   * `resolve` (default): substitute `${VAR}` references from `env`; an unset variable is an issue. `leave`: for checks
   * that connect to nothing (`tandem policy check|test|diff`, the console's policy editor): references stay as
   * written, `env` (and a `.env` beside the file) is not read, and what only a value could make valid (a referenced
   * URL, a connector's settings holding references) is not an issue. Structure, mappings and literal secrets are still
   * checked. The config returned holds the references as written: never open a connector or the state store with it.
   */
  readonly references?: EnvReferenceMode;
}

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
  options: ParseConfigOptions = {},
): TandemConfig {
  const { config, issues } = checkConfig(text, file, env, options);
  if (config === undefined || issues.length > 0) throw configErrorOf(file, issues);
  return config;
}

/** Like `parseConfig`, but returns the issues instead of throwing. */
export function checkConfig(
  text: string,
  file: string,
  env: Readonly<Record<string, string | undefined>>,
  options: ParseConfigOptions = {},
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

  const leave = options.references === 'leave';
  const substituted = resolveEnvReferences(source.value, env, options.references);
  issues.push(...substituted.issues.map(at));
  // An unset variable already explains why its value (or a check of the map holding it) fails: report it once.
  // Left unresolved, a reference explains it the same way: only its value could say whether it is valid.
  const envPaths = (leave ? substituted.referenced : substituted.issues.map((i) => i.path)).map(formatPath);
  const explainedByEnv = (path: string) =>
    envPaths.some((p) => p === path || (path !== '' && (p.startsWith(`${path}.`) || p.startsWith(`${path}[`))));
  const chosen = chooseConnectors(substituted.value, options.connectors ?? defaultConnectorRegistry);
  issues.push(...chosen.issues.map(at));
  let parsed = tandemYamlSchemaFor(chosen.connectors).safeParse(substituted.value);
  if (!parsed.success) {
    const found = fromZodIssues(parsed.error.issues, substituted.value);
    const unexplained = found.filter((i) => !explainedByEnv(formatPath(i.path)));
    issues.push(...unexplained.map(at));
    if (leave && unexplained.length === 0) parsed = parseAroundReferences(substituted.value, chosen.connectors, found);
  }
  // Cross-field checks run on every field that is valid on its own, even when another part of the file is broken.
  for (const [name, raw] of Object.entries(objectsOf(substituted.value))) {
    issues.push(...checkObjectMapping(raw).map((i) => at({ ...i, path: ['objects', name, ...i.path] })));
  }
  if (!parsed.success || issues.length > 0) return { config: undefined, issues, source };
  return { config: buildConfig(parsed.data, resolve(file), source), issues, source };
}

/**
 * With references left unresolved, a file whose only failures are values holding a reference still yields a config
 * for checks: a connector section whose settings failed keeps them unchecked (as written), and another top-level
 * section that failed (e.g. a `notify:` URL that is a reference) is left out.
 */
function parseAroundReferences(
  value: unknown,
  connectors: ChosenConnectors,
  explained: readonly { readonly path: readonly PathSegment[] }[],
) {
  const sections = new Set(explained.map((i) => i.path[0]).filter((s) => typeof s === 'string'));
  const kept = Object.fromEntries(
    Object.entries(value as Record<string, unknown>).filter(
      ([key]) => key === 'erp' || key === 'crm' || !sections.has(key),
    ),
  );
  return tandemYamlSchemaFor({
    erp: sections.has('erp') ? undefined : connectors.erp,
    crm: sections.has('crm') ? undefined : connectors.crm,
  }).safeParse(kept);
}

/**
 * The connectors `erp.type` and `crm.type` name, looked up in the registry. An unknown type (or one that cannot serve
 * that side) is an issue at `type` listing the registered types; that side is then checked only loosely.
 */
function chooseConnectors(
  value: unknown,
  registry: ConnectorRegistry,
): { connectors: ChosenConnectors; issues: PathIssue[] } {
  const issues: PathIssue[] = [];
  const choose = (side: SystemId): ConnectorDescriptor | undefined => {
    const section = (value as Record<string, unknown> | null)?.[side];
    const type = section !== null && typeof section === 'object' ? (section as { type?: unknown }).type : undefined;
    if (typeof type !== 'string') return undefined; // the schema reports a missing or malformed type
    const descriptor = registry.find(type, side);
    if (descriptor === undefined) {
      const other = registry.find(type);
      issues.push({
        path: [side, 'type'],
        message:
          other === undefined
            ? unknownConnectorTypeMessage(type, side, registry.types(side))
            : `connector '${type}' cannot serve the ${side} side (it serves: ${other.sides.join(', ')}); ` +
              `registered ${side} types: ${registry.types(side).join(', ')}`,
      });
    }
    return descriptor;
  };
  return { connectors: { erp: choose('erp'), crm: choose('crm') }, issues };
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
  const config: TandemConfig = {
    file,
    sync: yaml.sync,
    state: { url: orNull(yaml.state.url), dataDir: resolve(folder, yaml.state.dataDir), schema: yaml.state.schema },
    erp: { type: yaml.erp.type, settings: yaml.erp.settings },
    crm: { type: yaml.crm.type, settings: yaml.crm.settings },
    policies: {
      dir: resolve(folder, yaml.policies.dir),
      ...(yaml.policies.strategies ? { strategies: resolve(folder, yaml.policies.strategies) } : {}),
    },
    schedule: scheduleFromYaml(yaml.schedule),
    serve: serveFromYaml(yaml.serve),
    notify: notifyFromYaml(yaml.notify),
    retention: retentionFromYaml(yaml.retention),
    history: historyFromYaml(yaml.history),
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
    erp: { table: String(table), key: String(key), options: definedOnly(erpOptions) },
    crm: { object: String(crmObject), externalId: String(externalId), options: definedOnly(crmOptions) },
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
