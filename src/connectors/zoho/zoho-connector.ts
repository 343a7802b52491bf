import type { CallOptions, Connector, ConnectorCapabilities, Sink, Source } from '../connector.js';
import type { EntityCatalog, Introspection, IntrospectOptions } from '../entity-catalog.js';
import type { StreamRef } from '../../model/stream.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import { ZohoApi } from './zoho-api.js';
import {
  parseZohoSettings,
  parseZohoStreamOptions,
  zohoHosts,
  type ZohoSettings,
  type ZohoSettingsInput,
} from './zoho-connector-config.js';
import { ZohoCreditBudget } from './zoho-credit-budget.js';
import { ZohoApiError, ZohoSchemaError } from './zoho-errors.js';
import { checkStreamFields, parseFieldsMetadata, type ZohoField } from './zoho-fields.js';
import { ZohoHttp } from './zoho-http.js';
import { introspectZohoModules } from './zoho-introspect.js';
import type { PollSettings } from './zoho-polling.js';
import { ZohoSink } from './zoho-sink.js';
import { ZohoSource } from './zoho-source.js';
import { ZohoTokenProvider } from './zoho-token-provider.js';

export interface ZohoConnectorDeps {
  readonly logger?: Logger;
}

/**
 * The CRM side over Zoho CRM: OAuth refresh-token grant with a token shared by the process, a daily credit budget
 * with a reserve, Bulk Read for full reads and key listings, REST listing for increments, and a sink that picks
 * Bulk Write or REST upsert per run by credit cost.
 *
 * Deletes made in Zoho are reported by increments from the deleted-records endpoint, as tombstones carrying the Zoho
 * id only (the endpoint names no sync key): the capture stage keys them through the native ids tandem stores. Full
 * runs find deletes by key reconciliation (`listKeys`).
 *
 * @example
 * ```ts
 * const crm = new ZohoConnector({ dataCenter: 'eu', auth: { clientId, clientSecret, refreshToken } })
 * await crm.init([stream])
 * ```
 */
export class ZohoConnector implements Connector, Introspection {
  readonly system = 'crm' as const;
  readonly capabilities: ConnectorCapabilities = Object.freeze({
    supportsKeyListing: true,
    reportsDeletes: true,
    maxBatchSize: 25_000,
  });
  readonly settings: ZohoSettings;
  readonly budget: ZohoCreditBudget;
  readonly tokens: ZohoTokenProvider;
  readonly http: ZohoHttp;
  readonly api: ZohoApi;
  readonly #logger: Logger;
  readonly #fields = new Map<string, Promise<ReadonlyMap<string, ZohoField>>>();
  #orgId: Promise<string> | undefined;
  #closed = false;

  constructor(settings: ZohoSettingsInput | ZohoSettings, deps: ZohoConnectorDeps = {}) {
    this.settings = parseZohoSettings(settings);
    this.#logger = (deps.logger ?? silentLogger()).child({ connector: 'zoho' });
    const hosts = zohoHosts(this.settings);
    this.budget = new ZohoCreditBudget({
      dailyCredits: this.settings.dailyCredits,
      reserveShare: this.settings.creditReserveShare,
    });
    this.tokens = new ZohoTokenProvider(hosts.accountsUrl, this.settings.auth);
    const fixedDomain = this.settings.apiDomain === undefined ? undefined : hosts.apiDomain;
    this.http = new ZohoHttp({
      tokens: this.tokens,
      budget: this.budget,
      apiDomain: async () =>
        fixedDomain ?? (await this.tokens.getToken()).apiDomain?.replace(/\/+$/, '') ?? hosts.apiDomain,
      logger: this.#logger,
      maxRetries: this.settings.retry.maxRetries ?? 5,
      initialDelayMs: this.settings.retry.initialDelayMs ?? 500,
      maxDelayMs: this.settings.retry.maxDelayMs ?? 30_000,
      probePath: `/crm/${this.settings.apiVersion}/org`,
    });
    this.api = new ZohoApi(this.http, { apiVersion: this.settings.apiVersion, uploadUrl: hosts.uploadUrl });
    if (this.settings.orgId !== undefined) this.#orgId = Promise.resolve(this.settings.orgId);
  }

  /** Gets a token, reads the org (credits header, zgid) and checks every stream against its module's fields. */
  async init(streams: readonly StreamRef[], options: CallOptions = {}): Promise<void> {
    await this.tokens.getToken(options.signal);
    await this.#org(options.signal);
    for (const stream of streams) {
      parseZohoStreamOptions(stream.name, stream.options);
      let fields: ReadonlyMap<string, ZohoField>;
      try {
        fields = await this.#moduleFields(stream.entity, options.signal);
      } catch (error) {
        if (error instanceof ZohoApiError && error.status === 400) {
          throw new ZohoSchemaError(
            `stream '${stream.name}': Zoho has no module '${stream.entity}' (fields metadata answered ${error.zohoCode}). Use the module API name (Contacts, Accounts, or a custom module's).`,
            {
              stream: stream.name,
              module: stream.entity,
              problems: [
                {
                  kind: 'missing-entity',
                  message: `Zoho has no module '${stream.entity}'. Use the module API name (Contacts, Accounts, or a custom module's).`,
                },
              ],
            },
          );
        }
        throw error;
      }
      checkStreamFields(stream, [...fields.values()]);
    }
  }

  /** The org's record modules and their fields (modules list, then fields metadata), for `tandem init`. */
  async introspect(options: IntrospectOptions = {}): Promise<EntityCatalog> {
    await this.tokens.getToken(options.signal);
    return introspectZohoModules(
      { modules: (signal) => this.api.modules(signal), fields: (m, signal) => this.#moduleFields(m, signal) },
      options,
    );
  }

  createSource(): Source {
    return new ZohoSource(this.api, { poll: this.#poll(), fields: (m, s) => this.#moduleFields(m, s) });
  }

  createSink(): ZohoSink & Sink {
    return new ZohoSink(
      this.api,
      {
        poll: this.#poll(),
        writePath: this.settings.writePath,
        maxRecordsPerFile: this.settings.maxRecordsPerFile,
        maxFileBytes: this.settings.maxFileBytes,
        orgId: (signal) => this.#org(signal),
        fields: (m, s) => this.#moduleFields(m, s),
      },
      this.#logger,
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.http.close();
  }

  #poll(): PollSettings {
    return {
      intervalMs: this.settings.pollIntervalMs,
      maxIntervalMs: Math.max(this.settings.pollIntervalMs, this.settings.pollMaxIntervalMs),
      timeoutMs: this.settings.pollTimeoutMs,
    };
  }

  #org(signal?: AbortSignal): Promise<string> {
    if (!this.#orgId) {
      this.#orgId = this.api.orgId(signal);
      this.#orgId.catch(() => (this.#orgId = undefined));
    }
    return this.#orgId;
  }

  #moduleFields(module: string, signal?: AbortSignal): Promise<ReadonlyMap<string, ZohoField>> {
    let pending = this.#fields.get(module);
    if (!pending) {
      pending = this.api
        .fields(module, signal)
        .then((body) => new Map(parseFieldsMetadata(body).map((f) => [f.apiName, f])));
      pending.catch(() => this.#fields.delete(module));
      this.#fields.set(module, pending);
    }
    return pending;
  }
}
