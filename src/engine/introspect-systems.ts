import { parse as parseYaml } from 'yaml';
import { resolveEnvReferences } from '../config/env-references.js';
import { proposeMappings, type MappingProposal } from '../config/propose-mappings.js';
import { proposedConfigText } from '../config/proposed-config-text.js';
import { defaultConnectorRegistry } from '../connectors/builtin-connectors.js';
import type { ConnectorRegistry } from '../connectors/connector-registry.js';
import { introspectionOf, type EntityCatalog } from '../connectors/entity-catalog.js';
import type { SystemId } from '../model/system.js';
import { EXIT, TandemError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';

/**
 * `tandem init` could not read a system: its connector cannot describe itself, a variable its section needs is not
 * set, or its settings are invalid. Exit 2; the message names the side, the type and the fix.
 */
export class IntrospectionSetupError extends TandemError {
  constructor(message: string, context: { side: SystemId; type: string } & Record<string, unknown>) {
    super(message, { code: 'INIT_CANNOT_INTROSPECT', context, exitCode: EXIT.usage });
  }
}

/** One system to read: its connector type and URL (a database URL, a CRM login URL). */
export interface SystemToRead {
  readonly type: string;
  readonly url: string;
}

export interface ProposedConfig {
  readonly text: string;
  readonly proposal: MappingProposal;
  /** Variables the written file references that must be set when it is used (credentials, a URL with a password). */
  readonly env: readonly string[];
}

/**
 * Reads both systems through their connectors' `introspect` (the ERP's tables, then the CRM's objects with the table
 * names as hints), proposes the mappings (proposeMappings, pure) and renders the commented tandem.yaml. Writes
 * nothing to either system. A URL holding a password is written as a `${VAR}` reference, never literally.
 */
export async function proposeConfigFromSystems(
  systems: { readonly erp: SystemToRead; readonly crm: SystemToRead },
  options: {
    readonly env: Readonly<Record<string, string | undefined>>;
    readonly logger: Logger;
    readonly baseDir: string;
    readonly registry?: ConnectorRegistry;
    readonly now?: Date;
  },
): Promise<ProposedConfig> {
  const registry = options.registry ?? defaultConnectorRegistry;
  const erp = await readSystem('erp', systems.erp, registry, options);
  const crm = await readSystem('crm', systems.crm, registry, {
    ...options,
    hints: erp.catalog.entities.map((e) => e.name),
  });
  const proposal = proposeMappings(erp.catalog, crm.catalog);
  const text = proposedConfigText({
    proposal,
    erp: { type: systems.erp.type, section: erp.section, described: describe(erp.catalog, 'tables') },
    crm: { type: systems.crm.type, section: crm.section, described: describe(crm.catalog, 'objects') },
    at: (options.now ?? new Date()).toISOString(),
  });
  return { text, proposal, env: [...erp.env, ...crm.env] };
}

function describe(catalog: EntityCatalog, what: string): string {
  return `${catalog.entities.length} ${what}`;
}

async function readSystem(
  side: SystemId,
  system: SystemToRead,
  registry: ConnectorRegistry,
  options: {
    readonly env: Readonly<Record<string, string | undefined>>;
    readonly logger: Logger;
    readonly baseDir: string;
    readonly hints?: readonly string[];
  },
): Promise<{ catalog: EntityCatalog; section: string; env: string[] }> {
  const descriptor = registry.get(system.type, side);
  const template = descriptor.connection;
  if (template === undefined)
    throw new IntrospectionSetupError(
      `tandem init cannot read a ${system.type} ${side}: its connector has no connection template. Fix: run tandem init without URLs for the commented example, and fill in the ${side} section by hand`,
      { side, type: system.type },
    );
  const secretUrl = hasPassword(system.url);
  const section = template.section(secretUrl ? `\${${template.urlEnv}}` : system.url);
  const missing = template.env.filter((name) => (options.env[name] ?? '') === '');
  if (missing.length > 0)
    throw new IntrospectionSetupError(
      `tandem init needs ${missing.join(' and ')} set to read the ${system.type} ${side} (the file references them; their values are never written). Fix: export ${missing.map((m) => `${m}=...`).join(' ')} and run it again`,
      { side, type: system.type, missing },
    );
  const { value, issues } = resolveEnvReferences(parseYaml(section) as unknown, {
    ...options.env,
    [template.urlEnv]: system.url,
  });
  const parsed = descriptor.settings.safeParse(value);
  if (issues.length > 0 || !parsed.success) {
    const problems = [
      ...issues.map((i) => i.message),
      ...(parsed.success ? [] : parsed.error.issues.map((i) => `${side}.${i.path.join('.')}: ${i.message}`)),
    ];
    throw new IntrospectionSetupError(
      `the ${side} settings tandem init built are invalid: ${problems.join('; ')}. Fix: check the URL given for the ${side}`,
      { side, type: system.type, problems },
    );
  }
  const connector = await descriptor.open(parsed.data, {
    system: side,
    logger: options.logger,
    baseDir: options.baseDir,
  });
  try {
    const introspection = introspectionOf(connector);
    if (introspection === undefined)
      throw new IntrospectionSetupError(
        `the ${system.type} connector cannot describe its ${side === 'erp' ? 'tables' : 'objects'}, so tandem init cannot propose mappings. Fix: run tandem init without URLs for the commented example`,
        { side, type: system.type },
      );
    const catalog = await introspection.introspect(options.hints ? { hints: options.hints } : {});
    return { catalog, section, env: [...(secretUrl ? [template.urlEnv] : []), ...template.env] };
  } finally {
    await connector.close().catch(() => {});
  }
}

function hasPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return false;
  }
}
