import type { CallOptions, Connector, ConnectorCapabilities, Sink, Source } from '../connector.js';
import type { StreamRef } from '../../model/stream.js';
import type { Logger } from '../../util/logger.js';
import { silentLogger } from '../../util/logger.js';
import { ApiLimits } from './api-limits.js';
import { BulkClient, type PollOptions } from './bulk-client.js';
import type { EntityCatalog, Introspection, IntrospectOptions } from '../entity-catalog.js';
import { introspectObjects } from './introspect-objects.js';
import { closestNames, type SchemaProblem } from '../schema-problem.js';
import { SalesforceApiError, SalesforceSchemaError } from './errors.js';
import type { SObjectField } from './field-types.js';
import { createUndiciHttpClient, type HttpClient } from './http-client.js';
import { OAuthTokenProvider, type OAuthCredentials } from './oauth-token-provider.js';
import {
  parseSalesforceConnectorConfig,
  parseSalesforceStreamOptions,
  type SalesforceConnectorConfig,
  type SalesforceConnectorConfigInput,
} from './salesforce-connector-config.js';
import { SalesforceSink } from './salesforce-sink.js';
import { SalesforceSource } from './salesforce-source.js';
import { withAuth } from './with-auth.js';
import { withContentDecoding } from './with-content-decoding.js';
import { withLimits } from './with-limits.js';
import { withRetry, type RetryEvent } from './with-retry.js';

/** Fields every Salesforce object has that the source selects besides the stream's own. */
const SYSTEM_FIELDS = ['Id', 'SystemModstamp', 'IsDeleted'];

export interface SalesforceConnectorDeps {
  /** The HTTP function to use (default: undici with its own pool, closed by `close`). */
  readonly http?: HttpClient;
  readonly logger?: Logger;
}

/**
 * The CRM side over Salesforce Bulk API 2.0. Builds its HTTP stack as `withAuth(withRetry(withLimits(withContentDecoding(http))))`.
 *
 * @example
 * ```ts
 * const crm = new SalesforceConnector({ loginUrl: emu.url, auth: { flow: 'client_credentials', clientId: emu.clientId, clientSecret: emu.clientSecret } })
 * await crm.init([stream])
 * for await (const batch of crm.createSource().readChanges(stream, undefined, {})) ...
 * await crm.close()
 * ```
 */
export class SalesforceConnector implements Connector, Introspection {
  readonly system = 'crm' as const;
  readonly capabilities: ConnectorCapabilities = Object.freeze({
    supportsKeyListing: true,
    reportsDeletes: true,
    maxBatchSize: 10_000,
  });
  readonly config: SalesforceConnectorConfig;
  /** The daily API budget as last reported, and the number of calls made. */
  readonly limits: ApiLimits;
  readonly tokens: OAuthTokenProvider;
  readonly bulk: BulkClient;
  readonly #logger: Logger;
  readonly #closePool: (() => Promise<void>) | undefined;
  readonly #fieldTypes = new Map<string, Promise<ReadonlyMap<string, SObjectField>>>();
  #retries = 0;

  constructor(config: SalesforceConnectorConfigInput | SalesforceConnectorConfig, deps: SalesforceConnectorDeps = {}) {
    this.config = parseSalesforceConnectorConfig(config);
    this.#logger = (deps.logger ?? silentLogger()).child({ connector: 'salesforce' });
    let raw = deps.http;
    if (!raw) {
      const pool = createUndiciHttpClient();
      raw = pool.http;
      this.#closePool = () => pool.close();
    }
    this.limits = new ApiLimits({ reserveShare: this.config.apiReserveShare });
    const retry = {
      ...(this.config.retry ?? {}),
      onRetry: (e: RetryEvent) => {
        this.#retries += 1;
        this.#logger.warn(e, 'salesforce call retried');
      },
    };
    const auth = this.config.auth;
    const credentials =
      auth.flow === 'jwt' && auth.audience === null ? { ...auth, audience: undefined } : (auth as OAuthCredentials);
    // Every body is decoded by its Content-Encoding before any layer reads it (error answers too).
    const decoded = withContentDecoding(raw);
    this.tokens = new OAuthTokenProvider(withRetry(decoded, retry), this.config.loginUrl, credentials);
    const http = withAuth(withRetry(withLimits(decoded, this.limits), retry), this.tokens);
    const fixedInstance = this.config.instanceUrl?.replace(/\/+$/, '');
    this.bulk = new BulkClient({
      http,
      apiVersion: this.config.apiVersion,
      instanceUrl: async () => fixedInstance ?? (await this.tokens.getToken()).instanceUrl,
    });
  }

  /** Retries made so far (statistics). */
  get retries(): number {
    return this.#retries;
  }

  /**
   * Logs in, reads `/limits` (so the reserve applies from the first call), and checks every stream against its
   * object's describe: the object exists, the key field and every field exist, the options are valid.
   */
  async init(streams: readonly StreamRef[], options: CallOptions = {}): Promise<void> {
    await this.tokens.getToken(options.signal);
    const limits = await this.bulk.limits(options.signal);
    const daily = limits['DailyApiRequests'];
    if (daily && typeof daily.Max === 'number' && typeof daily.Remaining === 'number') {
      this.limits.observe({ used: daily.Max - daily.Remaining, max: daily.Max });
    }
    for (const stream of streams) {
      parseSalesforceStreamOptions(stream.name, stream.options);
      let types: ReadonlyMap<string, SObjectField>;
      try {
        types = await this.#describe(stream.entity, options.signal);
      } catch (error) {
        if (error instanceof SalesforceApiError && (error.status === 404 || error.status === 400)) {
          throw new SalesforceSchemaError(
            `stream '${stream.name}': Salesforce has no object '${stream.entity}' (describe answered ${error.status} ${error.errorCode}). Check the object's API name (custom objects end in __c).`,
            { stream: stream.name, entity: stream.entity },
          );
        }
        throw error;
      }
      // Every problem of the stream at once: missing fields (with the closest names), types that cannot hold the
      // mapped values, read-only fields tandem would write.
      const available = [...types.values()].map((f) => f.name).sort();
      const problems: SchemaProblem[] = [];
      const written = new Set(stream.writtenFields ?? stream.fields);
      for (const field of [stream.keyField, ...stream.fields]) {
        const described = types.get(field.toLowerCase());
        if (described === undefined) {
          const closest = closestNames(field, available);
          problems.push({
            kind: 'missing-field',
            field,
            closest,
            message: `${stream.entity} has no field '${field}'; closest: ${closest.join(', ')}. Fields that exist: ${available.join(', ')}. Use the field API name (custom fields end in __c).`,
          });
          continue;
        }
        const type = stream.fieldTypes?.[field];
        if (type !== undefined && !salesforceTypeFits(type, described.type))
          problems.push({
            kind: 'type-mismatch',
            field,
            message: `${stream.entity}.${field} is a ${described.type} field, which cannot hold the mapping's type: ${type} values. Fix the field's type: in tandem.yaml, or map another field.`,
          });
        if (
          (field === stream.keyField || written.has(field)) &&
          described.createable === false &&
          described.updateable === false
        )
          problems.push({
            kind: 'read-only',
            field,
            message: `${stream.entity}.${field} is read-only, and tandem writes it. Fix: set direction: crm-to-erp on that field in tandem.yaml, or map a writable field.`,
          });
      }
      const first = problems[0];
      if (first !== undefined) {
        throw new SalesforceSchemaError(
          `stream '${stream.name}': ${problems.map((p) => p.message).join('\n  also: ')}`,
          {
            stream: stream.name,
            entity: stream.entity,
            ...(first.field ? { field: first.field } : {}),
            available,
            problems,
          },
        );
      }
      for (const field of SYSTEM_FIELDS) {
        if (!types.has(field.toLowerCase())) {
          throw new SalesforceSchemaError(
            `stream '${stream.name}': ${stream.entity} has no ${field} field, which incremental reads need.`,
            { stream: stream.name, entity: stream.entity, field },
          );
        }
      }
    }
  }

  /** The org's mappable objects and their fields (describeGlobal, then describe), for `tandem init`. */
  async introspect(options: IntrospectOptions = {}): Promise<EntityCatalog> {
    await this.tokens.getToken(options.signal);
    return introspectObjects(this.bulk, options);
  }

  createSource(): Source {
    return new SalesforceSource(this.bulk, {
      poll: this.#poll(),
      queryPageSize: this.config.queryPageSize,
      fieldTypes: (entity, signal) => this.#describe(entity, signal),
    });
  }

  createSink(): Sink {
    return new SalesforceSink(
      this.bulk,
      { maxUploadBytes: this.config.maxUploadBytes, poll: this.#poll(), queryPageSize: this.config.queryPageSize },
      this.#logger,
    );
  }

  async close(): Promise<void> {
    await this.#closePool?.();
  }

  #poll(): Omit<PollOptions, 'signal'> {
    return {
      intervalMs: this.config.pollIntervalMs,
      maxIntervalMs: Math.max(this.config.pollIntervalMs, this.config.pollMaxIntervalMs),
      timeoutMs: this.config.pollTimeoutMs,
    };
  }

  /** Field name (lower case) -> describe field, fetched once per object. */
  #describe(entity: string, signal?: AbortSignal): Promise<ReadonlyMap<string, SObjectField>> {
    let pending = this.#fieldTypes.get(entity);
    if (!pending) {
      pending = this.bulk.describe(entity, signal).then((d) => new Map(d.fields.map((f) => [f.name.toLowerCase(), f])));
      pending.catch(() => this.#fieldTypes.delete(entity));
      this.#fieldTypes.set(entity, pending);
    }
    return pending;
  }
}

/** Whether a Salesforce field of this describe type can hold a mapped field's canonical values. */
function salesforceTypeFits(canonical: string, type: string): boolean {
  switch (canonical) {
    case 'number':
    case 'integer':
      return ['int', 'double', 'currency', 'percent', 'long', 'string', 'textarea'].includes(type);
    case 'boolean':
      return type === 'boolean' || type === 'string';
    case 'date':
      return type === 'date' || type === 'datetime' || type === 'string';
    case 'datetime':
      return type === 'datetime' || type === 'string';
    default:
      // Text travels to any field as its CSV value.
      return true;
  }
}
