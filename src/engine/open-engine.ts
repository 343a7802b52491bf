import { dirname, isAbsolute, join } from 'node:path';
import type { TandemConfig, ObjectMapping } from '../config/tandem-config.js';
import { defaultConnectorRegistry } from '../connectors/builtin-connectors.js';
import type { Connector } from '../connectors/connector.js';
import type { ConnectorRegistry } from '../connectors/connector-registry.js';
import type { SystemId } from '../model/system.js';
import { createObjectMapper } from '../mapping/object-mapper.js';
import type { StreamRef } from '../model/stream.js';
import type { SyncContext, SyncObject } from '../pipeline/sync-object.js';
import { loadPolicyFile } from '../resolve/policy/load-policy-file.js';
import type { PolicyMapping } from '../resolve/policy/policy-mapping.js';
import { resolverForMapping } from '../resolve/policy/resolver-for-mapping.js';
import type { ResolverRegistry } from '../resolve/policy/resolver-registry.js';
import { openStateDatabase } from '../state/state-database.js';
import { StateStore } from '../state/state-store.js';
import { EXIT, TandemError } from '../util/errors.js';
import { schemaProblemsOf, type SchemaProblem } from '../connectors/schema-problem.js';
import { loadStrategyModule } from './strategy-module.js';
import type { Logger } from '../util/logger.js';

/** A sync, assembled from tandem.yaml: the state store, both connectors and every mapped object. */
export interface Engine {
  readonly config: TandemConfig;
  readonly store: StateStore;
  readonly erp: Connector;
  readonly crm: Connector;
  readonly context: SyncContext;
  close(): Promise<void>;
}

export interface OpenEngineOptions {
  readonly logger: Logger;
  /** Custom conflict strategies that policy files may name (default: the module in `policies.strategies`). */
  readonly registry?: ResolverRegistry;
  /** Skip the connectors' reachability and schema checks (status, conflicts: commands that only read the state). */
  readonly offline?: boolean;
  /** Use this ERP connector instead of opening one from the config (the demo shares its embedded database). */
  readonly erp?: Connector;
  /** Where `erp.type` / `crm.type` are looked up. Default: the built-in connectors plus any `registerConnector` added. */
  readonly connectors?: ConnectorRegistry;
}

/** The structural view of a mapping that policy loading needs. */
export function policyMappingOf(mapping: ObjectMapping): PolicyMapping {
  return {
    object: mapping.name,
    policy: mapping.policy,
    fields: mapping.fields.map((f) => ({ name: f.name, type: f.type, direction: f.direction })),
  };
}

export function streamsOf(mapping: ObjectMapping): { erp: StreamRef; crm: StreamRef } {
  const mapper = createObjectMapper(mapping);
  const typesOn = (side: SystemId): Record<string, string> =>
    Object.fromEntries(mapping.fields.flatMap((f) => (f[side].length === 1 ? [[f[side][0] ?? '', f.type]] : [])));
  // A side is written by fields flowing towards it.
  const writtenOn = (side: SystemId): string[] =>
    mapping.fields
      .filter((f) => f.direction === 'both' || f.direction === (side === 'crm' ? 'erp-to-crm' : 'crm-to-erp'))
      .flatMap((f) => f[side]);
  return {
    erp: {
      name: mapping.name,
      entity: mapping.erp.table,
      keyField: mapping.erp.key,
      fields: mapper.nativeFields('erp'),
      options: mapping.erp.options,
      fieldTypes: typesOn('erp'),
      writtenFields: writtenOn('erp'),
    },
    crm: {
      name: mapping.name,
      entity: mapping.crm.object,
      keyField: mapping.crm.externalId,
      fields: mapper.nativeFields('crm'),
      options: mapping.crm.options,
      fieldTypes: typesOn('crm'),
      writtenFields: writtenOn('crm'),
    },
  };
}

/** Opens the state store named in the config (embedded PGlite in `state.dataDir` when no url) and migrates it. */
export async function openStateStore(config: TandemConfig): Promise<StateStore> {
  const database = await openStateDatabase(
    config.state.url
      ? { kind: 'postgres', url: config.state.url }
      : { kind: 'embedded', dataDir: config.state.dataDir },
    config.state.schema,
  );
  const store = new StateStore(database, { recordEvents: config.history.recordEvents });
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

/**
 * Opens the connector `config.erp` / `config.crm` chooses, through the registry: the descriptor registered for its
 * `type` gets the validated settings. Throws UnknownConnectorTypeError (listing the registered types) when the type is
 * not registered in `registry` (a config parsed against another registry).
 */
export async function openConnector(
  config: TandemConfig,
  side: SystemId,
  logger: Logger,
  registry: ConnectorRegistry = defaultConnectorRegistry,
): Promise<Connector> {
  const section = config[side];
  const descriptor = registry.get(section.type, side);
  const connector = await descriptor.open(section.settings, {
    system: side,
    logger,
    baseDir: dirname(config.file),
  });
  if (connector.system !== side) {
    await connector.close().catch(() => {});
    throw new TandemError(
      `connector '${section.type}' opened for the ${side} side reports system '${connector.system}'. Fix: its descriptor's open() must use deps.system`,
      { code: 'CONNECTOR_INVALID', context: { type: section.type, side }, exitCode: EXIT.usage },
    );
  }
  return connector;
}

/**
 * Builds each mapped object: streams, mapper, conflict policy (file or built-in) and its version. Custom strategies
 * come from `registry`, else from the module tandem.yaml names in `policies.strategies`.
 */
export async function buildSyncObjects(config: TandemConfig, given?: ResolverRegistry): Promise<SyncObject[]> {
  const registry = given ?? (await loadStrategyModule(config));
  const objects: SyncObject[] = [];
  for (const mapping of config.objects) {
    const mapper = createObjectMapper(mapping);
    const { resolver, policyVersion } = await policyOf(config, mapping, registry);
    objects.push({ name: mapping.name, streams: streamsOf(mapping), mapper, resolver, policyVersion });
  }
  return objects;
}

/** A mapping's conflict policy: from its file as it is now, or a built-in. */
async function policyOf(
  config: TandemConfig,
  mapping: ObjectMapping,
  registry: ResolverRegistry | undefined,
): Promise<Pick<SyncObject, 'resolver' | 'policyVersion'>> {
  const policyMapping = policyMappingOf(mapping);
  if (/\.ya?ml$/i.test(mapping.policy)) {
    const path = isAbsolute(mapping.policy) ? mapping.policy : join(config.policies.dir, mapping.policy);
    const loaded = await loadPolicyFile(path, { mapping: policyMapping, ...(registry ? { registry } : {}) });
    return { resolver: loaded.resolver, policyVersion: `${mapping.policy}@${loaded.version}` };
  }
  return {
    resolver: await resolverForMapping(mapping.policy, config.policies.dir, policyMapping, registry),
    policyVersion: `builtin:${mapping.policy}`,
  };
}

/**
 * Re-reads the policy files of `objects` and, where a file changed (a new content hash, so a new version), puts the
 * new policy in its place: a run decides with the files as they are when it starts (an edit saved in the console,
 * or by hand, is seen by the next run of a long-lived `tandem serve` without a restart). An invalid file throws the
 * ConfigError listing its problems, as at start; the objects keep their policy then.
 */
export async function reloadPolicies(
  config: TandemConfig,
  objects: SyncObject[],
  registry: ResolverRegistry | undefined,
): Promise<void> {
  for (const [index, object] of objects.entries()) {
    const mapping = config.objects.find((m) => m.name === object.name);
    if (!mapping || !/\.ya?ml$/i.test(mapping.policy)) continue;
    const now = await policyOf(config, mapping, registry);
    if (now.policyVersion !== object.policyVersion) objects[index] = { ...object, ...now };
  }
}

/** Adds the mapping's place in tandem.yaml to a connector's schema error, so the message points at the line to fix. */
function withMappingLine(error: unknown, config: TandemConfig): unknown {
  if (!(error instanceof TandemError)) return error;
  const object = error.context['object'];
  const mapping = config.objects.find((m) => m.name === object);
  if (!mapping) return error;
  error.message = `${error.message}\n  mapped at ${config.file}:${mapping.line} (objects.${mapping.name})`;
  return error;
}

/**
 * Every shape problem of every mapping, each at its line in tandem.yaml with the closest existing names: the
 * connectors' `init` is run per mapped stream on both sides, and each schema error (exit 2) is gathered instead of
 * stopping at the first. Other failures (unreachable, auth) are thrown as they come.
 */
export class MappingShapeError extends TandemError {
  readonly problems: readonly LocatedSchemaProblem[];
  constructor(problems: readonly LocatedSchemaProblem[]) {
    const lines = problems.map((p) => `  ${p.file}:${p.line}: objects.${p.object} (${p.side}): ${p.message}`);
    super(
      `${problems.length} problem${problems.length === 1 ? '' : 's'} with the mapped tables and objects (all of them, fix them in one go):\n${lines.join('\n')}`,
      { code: 'MAPPING_SHAPE_MISMATCH', context: { problems }, exitCode: EXIT.usage },
    );
    this.problems = problems;
  }
}

export interface LocatedSchemaProblem extends SchemaProblem {
  readonly object: string;
  readonly side: SystemId;
  readonly file: string;
  /** The line of the mapped field in tandem.yaml, else of the mapping. */
  readonly line: number;
}

async function checkMappedShapes(
  config: TandemConfig,
  objects: readonly SyncObject[],
  connectors: Readonly<Record<SystemId, Connector>>,
): Promise<void> {
  const problems: LocatedSchemaProblem[] = [];
  for (const side of ['erp', 'crm'] as const) {
    for (const object of objects) {
      try {
        await connectors[side].init([object.streams[side]]);
      } catch (error) {
        if (!(error instanceof TandemError) || error.exitCode !== EXIT.usage) throw withMappingLine(error, config);
        const mapping = config.objects.find((m) => m.name === object.name);
        const found = schemaProblemsOf(error);
        const list: SchemaProblem[] =
          found.length > 0
            ? found
            : [{ kind: 'other', message: error.message.replace(/^(object|stream) '?[a-z0-9_]+'?: /, '') }];
        for (const problem of list) {
          const field =
            problem.field === undefined
              ? undefined
              : mapping?.fields.find((f) => f[side].includes(problem.field ?? ''));
          problems.push({
            ...problem,
            object: object.name,
            side,
            file: config.file,
            line: field?.line ?? mapping?.line ?? 1,
          });
        }
      }
    }
  }
  if (problems.length > 0) throw new MappingShapeError(problems);
}

/**
 * Opens everything a sync needs. Checks the connectors and the mapped tables/objects (unless `offline`), so a
 * mistake in the mapping fails here, with the line in tandem.yaml, before anything is read or written.
 */
export async function openEngine(config: TandemConfig, options: OpenEngineOptions): Promise<Engine> {
  const registry = options.registry ?? (await loadStrategyModule(config));
  const objects = await buildSyncObjects(config, registry);
  const store = await openStateStore(config);
  const opened: { close(): Promise<void> }[] = [store];
  try {
    const erp = options.erp ?? (await openConnector(config, 'erp', options.logger, options.connectors));
    opened.push(erp);
    const crm = await openConnector(config, 'crm', options.logger, options.connectors);
    opened.push(crm);
    if (!options.offline) await checkMappedShapes(config, objects, { erp, crm });
    const context: SyncContext = {
      sync: config.sync,
      store,
      connectors: { erp, crm },
      objects,
      logger: options.logger,
      refreshPolicies: () => reloadPolicies(config, objects, registry),
    };
    return {
      config,
      store,
      erp,
      crm,
      context,
      async close() {
        for (const part of opened.reverse()) await part.close().catch(() => {});
      },
    };
  } catch (error) {
    for (const part of opened.reverse()) await part.close().catch(() => {});
    throw error;
  }
}
