import type { CallOptions, Connector, ConnectorCapabilities, Sink, Source } from '../connector.js';
import type { EntityCatalog, Introspection, IntrospectOptions } from '../entity-catalog.js';
import { introspectHubSpotObjects } from './introspect-hubspot.js';
import type { StreamRef } from '../../model/stream.js';
import { ConfigError, type ConfigIssue } from '../../util/errors.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import { HubSpotApiError, HubSpotAuthError, HubSpotSchemaError } from './hubspot-errors.js';
import { HubSpotHttp } from './hubspot-http.js';
import {
  effectiveBudgets,
  hubspotSettingsSchema,
  hubspotStreamOptionsSchema,
  type HubSpotSettings,
  type HubSpotSettingsInput,
  type HubSpotStreamOptions,
} from './hubspot-settings.js';
import { HubSpotSink, BATCH_LIMIT } from './hubspot-sink.js';
import { HubSpotSource, type HubSpotObjectAccess } from './hubspot-source.js';
import { checkStreamSchema, modifiedPropertyOf, propertyInfo, type PropertyInfo } from './property-schema.js';
import { RateBudget } from './rate-budget.js';
import { tokenSourceFor, type TokenSource } from './token-source.js';
import { textOf } from '../../util/text-of.js';

export interface HubSpotConnectorDeps {
  readonly logger?: Logger;
}

/**
 * The CRM side over HubSpot's CRM API v3 (batch endpoints, search, properties). One undici pool, one rate budget
 * (rolling 10 s + daily, minus the reserve) shared by the source and the sink.
 *
 * @example
 * ```ts
 * const crm = new HubSpotConnector({ baseUrl: hs.url, auth: { kind: 'private-app', accessToken: hs.privateAppToken } })
 * await crm.init([{ name: 'contact', entity: 'contacts', keyField: 'erp_id', fields: ['firstname'], options: {} }])
 * ```
 */
export class HubSpotConnector implements Connector, Introspection {
  readonly system = 'crm' as const;
  readonly capabilities: ConnectorCapabilities;
  readonly settings: HubSpotSettings;
  readonly budget: RateBudget;
  readonly http: HubSpotHttp;
  readonly tokens: TokenSource;
  readonly #logger: Logger;
  readonly #properties = new Map<string, Promise<ReadonlyMap<string, PropertyInfo>>>();
  readonly #access: HubSpotObjectAccess;

  constructor(settings: HubSpotSettingsInput | HubSpotSettings, deps: HubSpotConnectorDeps = {}) {
    this.settings = parseHubSpotSettings(settings);
    this.#logger = (deps.logger ?? silentLogger()).child({ connector: 'hubspot' });
    const budgets = effectiveBudgets(this.settings);
    this.budget = new RateBudget({ ...budgets, searchesPerSecond: this.settings.searchesPerSecond });
    const dispatcher = HubSpotHttp.agent(this.settings.concurrency + 2, this.settings.requestTimeoutMs);
    this.tokens = tokenSourceFor(this.settings, dispatcher);
    this.http = new HubSpotHttp({
      baseUrl: this.settings.baseUrl,
      tokens: this.tokens,
      budget: this.budget,
      retry: {
        maxRetries: this.settings.retry?.maxRetries ?? 6,
        initialDelayMs: this.settings.retry?.initialDelayMs ?? 200,
        maxDelayMs: this.settings.retry?.maxDelayMs ?? 20_000,
      },
      timeoutMs: this.settings.requestTimeoutMs,
      connections: this.settings.concurrency + 2,
      logger: this.#logger,
      dispatcher,
    });
    this.capabilities = Object.freeze({
      supportsKeyListing: true,
      reportsDeletes: true,
      maxBatchSize: BATCH_LIMIT * this.settings.concurrency,
    });
    this.#access = {
      http: this.http,
      indexLagSeconds: this.settings.indexLagSeconds,
      properties: (entity, signal) => this.properties(entity, signal),
      modifiedProperty: async (entity, signal) => modifiedPropertyOf(entity, await this.properties(entity, signal)),
      streamOptions: (stream) => parseHubSpotStreamOptions(stream),
    };
  }

  /**
   * Checks every stream through the properties API: the object exists, the key property exists, is unique and
   * writable, every mapped property exists (else the three closest names), can hold the mapped type and, when tandem
   * writes it, is writable; and the stream options are valid. All of a stream's problems come in one
   * HubSpotSchemaError (`context.problems`).
   */
  async init(streams: readonly StreamRef[], options: CallOptions = {}): Promise<void> {
    for (const stream of streams) {
      const opts = parseHubSpotStreamOptions(stream);
      if (opts.idProperty !== undefined && opts.idProperty !== stream.keyField) {
        throw new HubSpotSchemaError(
          `stream '${stream.name}': options.idProperty '${opts.idProperty}' differs from the mapping's key property '${stream.keyField}'. Fix: name the unique property once, as the externalId.`,
          { stream: stream.name },
        );
      }
      let properties: ReadonlyMap<string, PropertyInfo>;
      try {
        properties = await this.properties(stream.entity, options.signal);
      } catch (error) {
        if (error instanceof HubSpotApiError && (error.status === 400 || error.status === 404)) {
          throw new HubSpotSchemaError(
            `stream '${stream.name}': HubSpot has no object '${stream.entity}' (${error.status} ${error.category}). Use contacts, companies, deals, or a custom object's name or 2-… id.`,
            {
              stream: stream.name,
              entity: stream.entity,
              problems: [
                {
                  kind: 'missing-entity',
                  message: `HubSpot has no object '${stream.entity}'. Use contacts, companies, deals, or a custom object's name or 2-… id.`,
                },
              ],
            },
          );
        }
        throw error;
      }
      checkStreamSchema(stream, properties);
    }
  }

  /** Property name -> definition, fetched once per object. */
  properties(entity: string, signal?: AbortSignal): Promise<ReadonlyMap<string, PropertyInfo>> {
    let pending = this.#properties.get(entity);
    if (!pending) {
      pending = this.http
        .call(
          'GET',
          `/crm/v3/properties/${encodeURIComponent(entity)}?archived=false`,
          undefined,
          signal ? { signal } : {},
        )
        .then((res) => {
          if (res.status !== 200) {
            throw new HubSpotApiError(
              `HubSpot answered ${res.status} to the properties of '${entity}': ${textOf(res.body['message'] ?? '')}`,
              {
                status: res.status,
                category: textOf(res.body['category'] ?? `HTTP_${res.status}`),
                method: 'GET',
                path: `/crm/v3/properties/${entity}`,
              },
            );
          }
          const list = Array.isArray(res.body['results']) ? (res.body['results'] as Record<string, unknown>[]) : [];
          return new Map(list.map((p) => [String(p['name']), propertyInfo(p)]));
        });
      pending.catch(() => this.#properties.delete(entity));
      this.#properties.set(entity, pending);
    }
    return pending;
  }

  /** The account's objects (standard and custom) and their properties, for `tandem init`. */
  async introspect(options: IntrospectOptions = {}): Promise<EntityCatalog> {
    return introspectHubSpotObjects(
      {
        customObjects: (signal) => this.#customObjects(signal),
        properties: (entity, signal) => this.properties(entity, signal),
      },
      options,
    );
  }

  /** Custom objects from the schemas API; none when it is not answered (no custom objects scope, an emulator). */
  async #customObjects(signal?: AbortSignal): Promise<{ name: string; label: string }[]> {
    let res;
    try {
      res = await this.http.call('GET', '/crm/v3/schemas', undefined, signal ? { signal } : {});
    } catch (error) {
      // A token without the custom-objects scope gets 403 here; a bad token fails the properties calls next.
      if (error instanceof HubSpotAuthError) return [];
      throw error;
    }
    if (res.status !== 200) {
      this.#logger.debug(
        { status: res.status },
        'the schemas API did not list custom objects; reading the standard objects only',
      );
      return [];
    }
    const list = Array.isArray(res.body['results']) ? (res.body['results'] as Record<string, unknown>[]) : [];
    return list.flatMap((o) => {
      const name = o['name'];
      if (typeof name !== 'string' || o['archived'] === true) return [];
      const labels = (o['labels'] ?? {}) as Record<string, unknown>;
      return [{ name, label: typeof labels['plural'] === 'string' ? labels['plural'] : name }];
    });
  }

  createSource(): Source {
    return new HubSpotSource(this.#access);
  }

  createSink(): Sink {
    return new HubSpotSink(
      this.#access,
      { concurrency: this.settings.concurrency, traceIds: this.settings.traceIds },
      this.#logger,
    );
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}

/** Validates the connector settings, every problem together, never echoing values (secrets stay out). */
export function parseHubSpotSettings(input: unknown, where: { file?: string; path?: string } = {}): HubSpotSettings {
  const parsed = hubspotSettingsSchema.safeParse(input);
  if (parsed.success) return Object.freeze(parsed.data);
  const issues: ConfigIssue[] = parsed.error.issues.map((i) => ({
    file: where.file ?? 'tandem.yaml',
    path: [where.path ?? 'crm', ...i.path.map(String)].join('.'),
    message: i.message,
  }));
  throw new ConfigError(
    `invalid HubSpot connector settings: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    issues,
  );
}

export function parseHubSpotStreamOptions(stream: StreamRef): HubSpotStreamOptions {
  const parsed = hubspotStreamOptionsSchema.safeParse(stream.options ?? {});
  if (parsed.success) return parsed.data;
  const issues: ConfigIssue[] = parsed.error.issues.map((i) => ({
    file: 'tandem.yaml',
    path: ['objects', stream.name, 'crm', 'options', ...i.path.map(String)].join('.'),
    message: i.message,
  }));
  throw new ConfigError(
    `invalid HubSpot options for stream '${stream.name}': ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}; allowed: ${Object.keys(hubspotStreamOptionsSchema.shape).join(', ')}`,
    issues,
  );
}
