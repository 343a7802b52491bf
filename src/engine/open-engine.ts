import { mkdir } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { TandemConfig, ObjectMapping } from '../config/tandem-config.js';
import type { Connector } from '../connectors/connector.js';
import { PostgresConnector } from '../connectors/postgres/postgres-connector.js';
import { SalesforceConnector } from '../connectors/salesforce/salesforce-connector.js';
import { createObjectMapper } from '../mapping/object-mapper.js';
import type { StreamRef } from '../model/stream.js';
import type { SyncContext, SyncObject } from '../pipeline/sync-object.js';
import { loadPolicyFile } from '../resolve/load-policy-file.js';
import type { PolicyMapping } from '../resolve/policy-mapping.js';
import { resolverForMapping } from '../resolve/resolver-for-mapping.js';
import type { ResolverRegistry } from '../resolve/resolver-registry.js';
import { openStateDatabase } from '../state/state-database.js';
import { StateStore } from '../state/state-store.js';
import { TandemError } from '../util/errors.js';
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
  return {
    erp: {
      name: mapping.name,
      entity: mapping.erp.table,
      keyField: mapping.erp.key,
      fields: mapper.nativeFields('erp'),
      options: mapping.erp.options,
    },
    crm: {
      name: mapping.name,
      entity: mapping.crm.object,
      keyField: mapping.crm.externalId,
      fields: mapper.nativeFields('crm'),
      options: mapping.crm.options,
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
  const store = new StateStore(database);
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

export async function openErpConnector(config: TandemConfig, logger: Logger): Promise<PostgresConnector> {
  const common = { tandemSchema: config.erp.tandemSchema, batchSize: config.erp.batchSize };
  if (config.erp.url) return new PostgresConnector({ url: config.erp.url, ...common }, { logger });
  const dataDir = config.erp.dataDir!;
  await mkdir(dataDir, { recursive: true });
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite = new PGlite(dataDir);
  await pglite.waitReady;
  const connector = new PostgresConnector({ pglite, ...common }, { logger });
  const close = connector.close.bind(connector);
  connector.close = async () => {
    await close();
    if (!pglite.closed) await pglite.close();
  };
  return connector;
}

export function openCrmConnector(config: TandemConfig, logger: Logger): SalesforceConnector {
  const crm = config.crm;
  return new SalesforceConnector(
    {
      loginUrl: crm.loginUrl,
      ...(crm.instanceUrl ? { instanceUrl: crm.instanceUrl } : {}),
      apiVersion: crm.apiVersion,
      auth:
        crm.auth.flow === 'client_credentials'
          ? { flow: 'client_credentials', clientId: crm.auth.clientId, clientSecret: crm.auth.clientSecret }
          : {
              flow: 'jwt',
              clientId: crm.auth.clientId,
              username: crm.auth.username,
              privateKeyPem: crm.auth.privateKeyPem,
              ...(crm.auth.audience ? { audience: crm.auth.audience } : {}),
            },
      apiReserveShare: crm.apiReserveShare,
      pollIntervalMs: crm.pollIntervalMs,
      pollTimeoutMs: crm.pollTimeoutMs,
      maxUploadBytes: crm.maxUploadBytes,
    },
    { logger },
  );
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
    const policyMapping = policyMappingOf(mapping);
    let resolver;
    let policyVersion: string;
    if (/\.ya?ml$/i.test(mapping.policy)) {
      const path = isAbsolute(mapping.policy) ? mapping.policy : join(config.policies.dir, mapping.policy);
      const loaded = await loadPolicyFile(path, { mapping: policyMapping, ...(registry ? { registry } : {}) });
      resolver = loaded.resolver;
      policyVersion = `${mapping.policy}@${loaded.version}`;
    } else {
      resolver = await resolverForMapping(mapping.policy, config.policies.dir, policyMapping, registry);
      policyVersion = `builtin:${mapping.policy}`;
    }
    objects.push({ name: mapping.name, streams: streamsOf(mapping), mapper, resolver, policyVersion });
  }
  return objects;
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
 * Opens everything a sync needs. Checks the connectors and the mapped tables/objects (unless `offline`), so a
 * mistake in the mapping fails here, with the line in tandem.yaml, before anything is read or written.
 */
export async function openEngine(config: TandemConfig, options: OpenEngineOptions): Promise<Engine> {
  const objects = await buildSyncObjects(config, options.registry);
  const store = await openStateStore(config);
  const opened: { close(): Promise<void> }[] = [store];
  try {
    const erp = options.erp ?? (await openErpConnector(config, options.logger));
    opened.push(erp);
    const crm = openCrmConnector(config, options.logger);
    opened.push(crm);
    if (!options.offline) {
      try {
        await erp.init(objects.map((o) => o.streams.erp));
        await crm.init(objects.map((o) => o.streams.crm));
      } catch (error) {
        throw withMappingLine(error, config);
      }
    }
    const context: SyncContext = {
      sync: config.sync,
      store,
      connectors: { erp, crm },
      objects,
      logger: options.logger,
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
