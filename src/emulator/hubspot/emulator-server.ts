import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { HubSpotApiError, HubSpotEmulatorConfigError } from './emulator-errors.js';
import { type HubSpotFaultConfig, HubSpotFaultInjector, parseHubSpotFaultConfig } from './fault-config.js';
import type { HubSpotStore, ObjectTypeState, StoredRecord } from './hubspot-store.js';
import { PROPERTY_TYPES, type PropertyInput, type PropertyValueError } from './property-definition.js';
import { RateLimits, type RateLimitSettings } from './rate-limits.js';
import { matchesQuery, parseSearchQuery, SEARCH_LIMITS, searchOrder } from './search-query.js';
import { textOf } from '../../util/text-of.js';
import { clientStatusOf, createEmulatorApp } from '../emulator-http.js';

/** Counters since start, served by `stats()` and `GET /__emulator/stats`. */
export interface HubSpotEmulatorStats {
  readonly httpRequests: number;
  readonly apiRequests: number;
  readonly searchRequests: number;
  readonly batchRequests: number;
  readonly tokenRequests: number;
  readonly recordsCreated: number;
  readonly recordsUpdated: number;
  readonly recordsArchived: number;
  readonly recordsRejected: number;
  readonly rateLimited: number;
  readonly faultsInjected: number;
  readonly connectionsDropped: number;
}

export interface HubSpotServerSettings {
  readonly store: HubSpotStore;
  readonly logger: Logger;
  readonly privateAppToken: string;
  readonly adminToken: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly refreshToken: string;
  readonly limits: RateLimitSettings;
  readonly faults: HubSpotFaultConfig;
  /** Access token lifetime (HubSpot: 1800 s). */
  readonly tokenTtlSeconds: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Body = Record<string, unknown>;

const MAX_BATCH = 100;
const DEFAULT_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  contacts: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
  companies: ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name'],
  deals: [
    'amount',
    'closedate',
    'createdate',
    'dealname',
    'dealstage',
    'hs_lastmodifieddate',
    'hs_object_id',
    'pipeline',
  ],
};

const asBody = (v: unknown): Body => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Body) : {});
const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The HubSpot-compatible HTTP API on fastify: OAuth token endpoints, CRM objects (single, list, batch, search),
 * the properties API, rate limits and fault injection, and the admin API under `/__emulator` (admin token only).
 */
export class HubSpotEmulatorServer {
  readonly app: FastifyInstance;
  readonly store: HubSpotStore;
  readonly limits: RateLimits;
  readonly faults: HubSpotFaultInjector;
  readonly #s: HubSpotServerSettings;
  /** Issued OAuth access tokens -> expiry (ms). */
  readonly #accessTokens = new Map<string, number>();
  /** State of the result-order shuffle (its own sequence, so fault seeds stay reproducible). */
  #order = 7;
  readonly #stats: Mutable<HubSpotEmulatorStats> = {
    httpRequests: 0,
    apiRequests: 0,
    searchRequests: 0,
    batchRequests: 0,
    tokenRequests: 0,
    recordsCreated: 0,
    recordsUpdated: 0,
    recordsArchived: 0,
    recordsRejected: 0,
    rateLimited: 0,
    faultsInjected: 0,
    connectionsDropped: 0,
  };

  constructor(settings: HubSpotServerSettings) {
    this.#s = settings;
    this.store = settings.store;
    this.limits = new RateLimits(settings.limits);
    this.faults = new HubSpotFaultInjector(settings.faults);
    this.app = createEmulatorApp({
      bodyLimit: 32 * 1024 * 1024,
      keepAliveTimeout: 30_000,
      badRequest: (message) => ({
        status: 400,
        contentType: 'application/json;charset=utf-8',
        body: JSON.stringify(new HubSpotApiError(400, 'VALIDATION_ERROR', message).body()),
      }),
    });
    this.#routes();
  }

  stats(): HubSpotEmulatorStats {
    return { ...this.#stats };
  }

  // ---- plumbing ----

  #send(
    req: FastifyRequest,
    reply: FastifyReply,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): FastifyReply {
    reply.code(status).headers({ 'x-hubspot-correlation-id': randomUUID(), ...headers });
    if (status === 204 || body === undefined) return reply.send();
    const text = JSON.stringify(body);
    reply.header('content-type', 'application/json;charset=utf-8');
    const accept = String(req.headers['accept-encoding'] ?? '');
    if (/\bgzip\b/.test(accept)) return reply.header('content-encoding', 'gzip').send(gzipSync(text));
    return reply.send(text);
  }

  #error(req: FastifyRequest, reply: FastifyReply, error: HubSpotApiError): FastifyReply {
    return this.#send(req, reply, error.status, error.body(), error.headers);
  }

  #routes(): void {
    const app = this.app;
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text, done) => {
      const raw = String(text);
      if (raw.trim() === '') return done(null, {});
      try {
        done(null, JSON.parse(raw));
      } catch (error) {
        done(
          new HubSpotApiError(400, 'VALIDATION_ERROR', `Invalid input JSON on line 1: ${(error as Error).message}`),
          undefined,
        );
      }
    });
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, text, done) =>
      done(null, Object.fromEntries(new URLSearchParams(String(text)))),
    );
    app.addContentTypeParser('*', { parseAs: 'string' }, (_req, text, done) => done(null, String(text)));
    app.setErrorHandler((error, req, reply) => {
      if (error instanceof HubSpotApiError) return this.#error(req, reply, error);
      if (error instanceof HubSpotEmulatorConfigError) {
        return this.#error(req, reply, new HubSpotApiError(400, 'VALIDATION_ERROR', error.message));
      }
      const status = clientStatusOf(error);
      if (status !== undefined) {
        return this.#error(req, reply, new HubSpotApiError(status, 'VALIDATION_ERROR', (error as Error).message));
      }
      this.#s.logger.error({ err: error, url: req.url }, 'hubspot emulator request failed');
      return this.#error(req, reply, new HubSpotApiError(500, 'INTERNAL_ERROR', 'internal error'));
    });
    app.setNotFoundHandler((req, reply) =>
      this.#error(
        req,
        reply,
        new HubSpotApiError(404, 'OBJECT_NOT_FOUND', `No route for ${req.method} ${req.url.split('?')[0]}`),
      ),
    );
    app.addHook('onRequest', async () => {
      this.#stats.httpRequests++;
    });

    // OAuth token endpoints: v1 (deprecated), v3 and the date-versioned twin take the same form.
    for (const path of ['/oauth/v1/token', '/oauth/v3/token', '/oauth/2026-03/token']) {
      app.post(path, async (req, reply) => this.#token(req, reply));
    }

    app.register(async (api) => {
      api.addHook('preHandler', async (req, reply) => this.#gate(req, reply));
      api.get('/crm/v3/properties/:objectType', async (req, reply) => {
        const type = this.store.requireType(param(req, 'objectType'));
        const archived = query(req, 'archived') === 'true';
        const results = [...type.properties.values()].filter((p) => p.archived === archived);
        return this.#ok(req, reply, 200, { results });
      });
      api.get('/crm/v3/properties/:objectType/:name', async (req, reply) => {
        const type = this.store.requireType(param(req, 'objectType'));
        const p = type.properties.get(param(req, 'name'));
        if (!p) {
          throw new HubSpotApiError(
            404,
            'OBJECT_NOT_FOUND',
            `Unable to find property ${param(req, 'name')} for object type ${type.objectTypeId}`,
          );
        }
        return this.#ok(req, reply, 200, p);
      });
      api.post('/crm/v3/properties/:objectType', async (req, reply) => {
        const type = this.store.requireType(param(req, 'objectType'));
        const b = asBody(req.body);
        const name = b['name'];
        const ptype = b['type'];
        if (typeof name !== 'string' || !/^[a-z][a-z0-9_]*$/.test(name)) {
          throw new HubSpotApiError(400, 'VALIDATION_ERROR', 'name must be lower case letters, digits and _');
        }
        if (typeof ptype !== 'string' || !(PROPERTY_TYPES as readonly string[]).includes(ptype)) {
          throw new HubSpotApiError(400, 'VALIDATION_ERROR', `type must be one of ${PROPERTY_TYPES.join(', ')}`);
        }
        const input: PropertyInput = {
          name,
          type: ptype as PropertyInput['type'],
          ...(typeof b['label'] === 'string' ? { label: b['label'] } : {}),
          ...(typeof b['fieldType'] === 'string' ? { fieldType: b['fieldType'] } : {}),
          ...(typeof b['groupName'] === 'string' ? { groupName: b['groupName'] } : {}),
          ...(b['hasUniqueValue'] === true ? { hasUniqueValue: true } : {}),
          ...(Array.isArray(b['options']) ? { options: b['options'] as PropertyInput['options'] & object } : {}),
        };
        return this.#ok(req, reply, 201, this.store.createProperty(type, input));
      });

      api.get('/crm/v3/objects/:objectType', async (req, reply) => this.#list(req, reply));
      api.post('/crm/v3/objects/:objectType', async (req, reply) => this.#createOne(req, reply));
      api.post('/crm/v3/objects/:objectType/search', async (req, reply) => this.#search(req, reply));
      api.post('/crm/v3/objects/:objectType/batch/:op', async (req, reply) => this.#batch(req, reply));
      api.get('/crm/v3/objects/:objectType/:id', async (req, reply) => this.#getOne(req, reply));
      api.patch('/crm/v3/objects/:objectType/:id', async (req, reply) => this.#patchOne(req, reply));
      api.delete('/crm/v3/objects/:objectType/:id', async (req, reply) => this.#deleteOne(req, reply));
    });

    app.register(async (admin) => {
      admin.addHook('preHandler', async (req) => this.#adminGate(req));
      admin.get('/__emulator/faults', async (req, reply) => this.#send(req, reply, 200, this.faults.config));
      admin.put('/__emulator/faults', async (req, reply) => {
        this.faults.set(parseHubSpotFaultConfig(req.body ?? {}, 'PUT /__emulator/faults'));
        return this.#send(req, reply, 200, this.faults.config);
      });
      admin.get('/__emulator/stats', async (req, reply) =>
        this.#send(req, reply, 200, {
          ...this.stats(),
          limits: this.limits.snapshot(),
          indexLagMs: this.store.indexLagMs,
        }),
      );
      admin.put('/__emulator/settings', async (req, reply) => {
        const lag = asBody(req.body)['indexLagMs'];
        if (typeof lag !== 'number' || !Number.isInteger(lag) || lag < 0) {
          throw new HubSpotEmulatorConfigError(
            'settings: indexLagMs must be a non-negative integer (milliseconds)',
            {},
          );
        }
        this.store.indexLagMs = lag;
        return this.#send(req, reply, 200, { indexLagMs: lag });
      });
      admin.post('/__emulator/limits/reset', async (req, reply) => {
        this.limits.reset();
        return this.#send(req, reply, 200, this.limits.snapshot());
      });
    });
  }

  /**
   * Admin routes need the emulator's admin token, as `Authorization: Bearer <admin token>` like the Salesforce and Zoho
   * emulators, or in `X-Emulator-Admin-Token` (401 without, 403 when wrong).
   */
  #adminGate(req: FastifyRequest): void {
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    const header = req.headers['x-emulator-admin-token'];
    const given = bearer ?? (typeof header === 'string' ? header : undefined);
    if (given === undefined || given === '') {
      throw new HubSpotApiError(
        401,
        'INVALID_AUTHENTICATION',
        'The admin API needs the emulator admin token: Authorization: Bearer <admin token> (or X-Emulator-Admin-Token).',
      );
    }
    const a = Buffer.from(given);
    const b = Buffer.from(this.#s.adminToken);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      throw new HubSpotApiError(
        403,
        'INVALID_AUTHENTICATION',
        'The admin token given does not match the emulator admin token.',
      );
    }
  }

  /** Auth, injected faults and rate limits, in that order, for every CRM API request. */
  async #gate(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    this.#stats.apiRequests++;
    const auth = req.headers.authorization ?? '';
    const token = /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim();
    let isPrivate = false;
    if (token !== undefined && token === this.#s.privateAppToken) isPrivate = true;
    else {
      const expiry = token === undefined ? undefined : this.#accessTokens.get(token);
      if (expiry === undefined) {
        throw new HubSpotApiError(
          401,
          'INVALID_AUTHENTICATION',
          'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
          {},
          { 'x-hubspot-auth-failure': '401 Unauthorized' },
        );
      }
      if (Date.now() >= expiry) {
        const ago = Math.floor((Date.now() - expiry) / 1000);
        throw new HubSpotApiError(
          401,
          'EXPIRED_AUTHENTICATION',
          `The OAuth token used to make this call expired ${ago} second(s) ago.`,
          { context: { 'expire time': [iso(expiry)] } },
          { 'x-hubspot-auth-failure': '401 Unauthorized' },
        );
      }
    }
    const search = req.url.split('?')[0]!.endsWith('/search');
    const decision = this.faults.decide();
    if (decision.kind === 'drop') {
      this.#stats.connectionsDropped++;
      reply.hijack();
      req.raw.socket.destroy();
      return;
    }
    if (decision.kind === 'error') {
      this.#stats.faultsInjected++;
      const retry = this.faults.config.retryAfterSeconds;
      const headers: Record<string, string> = retry === undefined ? {} : { 'Retry-After': String(retry) };
      switch (decision.error) {
        case '429':
          throw this.#rateLimited('TEN_SECONDLY_ROLLING', headers, isPrivate, search);
        case '429-daily':
          throw this.#rateLimited('DAILY', headers, isPrivate, search);
        case '423':
          throw new HubSpotApiError(
            423,
            'LOCKED',
            'The resource is locked while a burst of writes is processed. Retry after 2 seconds.',
            {},
            headers,
          );
        default:
          throw new HubSpotApiError(Number(decision.error), 'INTERNAL_ERROR', 'internal error (injected)', {}, headers);
      }
    }
    const verdict = this.limits.admit(search);
    if (!verdict.ok) {
      this.#stats.rateLimited++;
      throw this.#rateLimited(verdict.policy, {}, isPrivate, search);
    }
    if (!search) reply.headers(this.limits.headers(isPrivate));
  }

  #rateLimited(
    policy: 'TEN_SECONDLY_ROLLING' | 'DAILY' | 'SECONDLY',
    headers: Record<string, string>,
    isPrivate: boolean,
    search: boolean,
  ): HubSpotApiError {
    const message =
      policy === 'DAILY'
        ? 'You have reached your daily limit.'
        : policy === 'SECONDLY'
          ? 'You have reached your secondly limit.'
          : 'You have reached your ten_secondly_rolling limit.';
    const error = new HubSpotApiError(
      429,
      'RATE_LIMIT',
      message,
      { errorType: 'RATE_LIMIT', policyName: policy, requestId: randomUUID() },
      { ...(search ? {} : this.limits.headers(isPrivate)), ...headers },
    );
    return error;
  }

  #ok(req: FastifyRequest, reply: FastifyReply, status: number, body: unknown): FastifyReply {
    return this.#send(req, reply, status, body);
  }

  // ---- OAuth ----

  async #token(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    this.#stats.tokenRequests++;
    const form = asBody(req.body);
    const fail = (error: string, status: string, description: string): FastifyReply =>
      this.#send(req, reply, 400, {
        error,
        error_description: description,
        status,
        message: description,
        correlationId: randomUUID(),
      });
    if (!String(req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
      return fail(
        'invalid_request',
        'BAD_REQUEST',
        'The token endpoint takes application/x-www-form-urlencoded fields',
      );
    }
    if (form['client_id'] !== this.#s.clientId)
      return fail('invalid_client', 'BAD_CLIENT_ID', 'missing or unknown client id');
    if (form['client_secret'] !== this.#s.clientSecret) {
      return fail('invalid_client', 'BAD_CLIENT_SECRET', 'missing or invalid client secret');
    }
    const grant = form['grant_type'];
    if (grant === 'refresh_token') {
      if (form['refresh_token'] !== this.#s.refreshToken) {
        return fail('invalid_grant', 'BAD_REFRESH_TOKEN', 'refresh token is invalid, expired or revoked');
      }
    } else if (grant === 'authorization_code') {
      if (typeof form['code'] !== 'string' || !form['code'].startsWith('emulator-code')) {
        return fail('invalid_grant', 'EXPIRED_AUTH_CODE', 'auth code is invalid, expired or revoked');
      }
    } else {
      return fail('unsupported_grant_type', 'BAD_GRANT_TYPE', 'grant_type must be refresh_token or authorization_code');
    }
    const ttl = this.faults.config.tokenTtlSeconds ?? this.#s.tokenTtlSeconds;
    const accessToken = `CK${randomBytes(48).toString('base64url')}`;
    this.#accessTokens.set(accessToken, Date.now() + ttl * 1000);
    return this.#send(req, reply, 200, {
      token_type: 'bearer',
      refresh_token: this.#s.refreshToken,
      access_token: accessToken,
      expires_in: Math.max(0, Math.round(ttl)),
    });
  }

  // ---- records ----

  #view(
    type: ObjectTypeState,
    record: StoredRecord,
    requested: readonly string[] | undefined,
    props = record.properties,
  ): Record<string, unknown> {
    const names = requested ??
      DEFAULT_PROPERTIES[type.name] ?? ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'];
    const properties: Record<string, string | null> = {};
    const always = [
      'hs_object_id',
      type.modifiedProperty,
      type.name in DEFAULT_PROPERTIES ? 'createdate' : 'hs_createdate',
    ];
    for (const n of [...always, ...names]) {
      if (!type.properties.has(n)) continue;
      properties[n] = props[n] ?? null;
    }
    return {
      id: record.id,
      properties,
      createdAt: iso(record.createdAt),
      updatedAt: iso(record.updatedAt),
      archived: record.archived,
      ...(record.archived && record.archivedAt !== undefined ? { archivedAt: iso(record.archivedAt) } : {}),
    };
  }

  /** Properties of a write's result: everything it set plus the system ones (which ones HubSpot echoes is unconfirmed). */
  #writeView(type: ObjectTypeState, record: StoredRecord, written: readonly string[]): Record<string, unknown> {
    return this.#view(type, record, [...new Set([...(DEFAULT_PROPERTIES[type.name] ?? []), ...written])]);
  }

  #requested(raw: unknown): string[] | undefined {
    if (raw === undefined) return undefined;
    const list = Array.isArray(raw) ? raw.map(textOf) : textOf(raw).split(',');
    const names = list.map((s) => s.trim()).filter((s) => s !== '');
    return names.length === 0 ? undefined : names;
  }

  async #list(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const type = this.store.requireType(param(req, 'objectType'));
    const limit = query(req, 'limit') === undefined ? 10 : Number(query(req, 'limit'));
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw new HubSpotApiError(
        400,
        'VALIDATION_ERROR',
        `limit must be an integer from 1 to 100, got ${query(req, 'limit')}`,
      );
    }
    const archived = query(req, 'archived') === 'true';
    const after = query(req, 'after');
    const from = after === undefined ? 0 : Number(after);
    if (!Number.isFinite(from))
      throw new HubSpotApiError(400, 'VALIDATION_ERROR', `after must be a cursor from paging.next.after`);
    const requested = this.#requested(query(req, 'properties'));
    const ids = [...type.records.values()]
      .filter((r) => r.archived === archived && Number(r.id) >= from)
      .sort((a, b) => Number(a.id) - Number(b.id));
    const page = ids.slice(0, limit);
    const next = ids[limit];
    const url = new URL(req.url, 'http://emulator');
    if (next) url.searchParams.set('after', next.id);
    return this.#ok(req, reply, 200, {
      results: page.map((r) => this.#view(type, r, requested)),
      ...(next ? { paging: { next: { after: next.id, link: `${url.pathname}?${url.searchParams.toString()}` } } } : {}),
    });
  }

  #find(type: ObjectTypeState, id: string, idProperty: string | undefined, archived = false): StoredRecord | undefined {
    if (idProperty === undefined || idProperty === 'hs_object_id') {
      const r = type.records.get(id);
      return r && r.archived === archived ? r : undefined;
    }
    if (archived) {
      for (const r of type.records.values()) if (r.archived && r.properties[idProperty] === id) return r;
      return undefined;
    }
    return this.store.findByUnique(type, idProperty, id);
  }

  #notFound(id: string): HubSpotApiError {
    return new HubSpotApiError(404, 'OBJECT_NOT_FOUND', 'Object not found.  objectId are usually numeric.', {
      context: { id: [id] },
    });
  }

  #checkIdProperty(type: ObjectTypeState, idProperty: string | undefined): void {
    if (idProperty === undefined || idProperty === 'hs_object_id') return;
    const p = type.properties.get(idProperty);
    if (!p)
      throw new HubSpotApiError(
        400,
        'VALIDATION_ERROR',
        `Property ${idProperty} does not exist on ${type.objectTypeId}`,
      );
    if (!p.hasUniqueValue) {
      throw new HubSpotApiError(
        400,
        'VALIDATION_ERROR',
        `Unable to perform update/upsert by non-unique ${type.objectTypeId} property ${idProperty}`,
      );
    }
  }

  async #getOne(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const type = this.store.requireType(param(req, 'objectType'));
    const idProperty = query(req, 'idProperty');
    this.#checkIdProperty(type, idProperty);
    const r = this.#find(type, param(req, 'id'), idProperty, query(req, 'archived') === 'true');
    if (!r) throw this.#notFound(param(req, 'id'));
    return this.#ok(req, reply, 200, this.#view(type, r, this.#requested(query(req, 'properties'))));
  }

  #invalid(errors: readonly PropertyValueError[]): HubSpotApiError {
    return new HubSpotApiError(400, 'VALIDATION_ERROR', `Property values were not valid: ${JSON.stringify(errors)}`);
  }

  async #createOne(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const type = this.store.requireType(param(req, 'objectType'));
    const checked = this.store.check(type, asBody(req.body)['properties'] ?? {});
    if (!checked.ok) throw this.#invalid(checked.errors);
    const conflict = this.store.uniqueConflict(type, checked.values, undefined);
    if (conflict) throw this.#conflict(type, conflict.owner);
    const r = this.store.create(type, checked.values);
    this.#stats.recordsCreated++;
    return this.#written(req, reply, 201, this.#writeView(type, r, Object.keys(checked.values)));
  }

  async #patchOne(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const type = this.store.requireType(param(req, 'objectType'));
    const idProperty = query(req, 'idProperty');
    this.#checkIdProperty(type, idProperty);
    const r = this.#find(type, param(req, 'id'), idProperty);
    if (!r) throw this.#notFound(param(req, 'id'));
    const checked = this.store.check(type, asBody(req.body)['properties'] ?? {});
    if (!checked.ok) throw this.#invalid(checked.errors);
    const conflict = this.store.uniqueConflict(type, checked.values, r.id);
    if (conflict) throw this.#conflict(type, conflict.owner);
    this.store.update(r, type, checked.values);
    this.#stats.recordsUpdated++;
    return this.#written(req, reply, 200, this.#writeView(type, r, Object.keys(checked.values)));
  }

  async #deleteOne(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const type = this.store.requireType(param(req, 'objectType'));
    const r = type.records.get(param(req, 'id'));
    if (r && !r.archived) {
      this.store.archive(r);
      this.#stats.recordsArchived++;
    }
    return this.#written(req, reply, 204, undefined);
  }

  #conflict(type: ObjectTypeState, owner: StoredRecord): HubSpotApiError {
    const label = type.singular.charAt(0) + type.singular.slice(1).toLowerCase();
    return new HubSpotApiError(409, 'CONFLICT', `${label} already exists. Existing ID: ${owner.id}`);
  }

  /** Sends a write's answer, unless a fault says to drop it after applying or to answer late. */
  async #written(req: FastifyRequest, reply: FastifyReply, status: number, body: unknown): Promise<FastifyReply> {
    if (this.faults.takeDropAfterApply()) {
      this.#stats.connectionsDropped++;
      reply.hijack();
      req.raw.socket.destroy();
      return reply;
    }
    const delay = this.faults.config.writeResponseDelayMs;
    if (delay !== undefined && delay > 0) await sleep(delay);
    return this.#send(req, reply, status, body);
  }

  // ---- search ----

  async #search(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    this.#stats.searchRequests++;
    const type = this.store.requireType(param(req, 'objectType'));
    if (JSON.stringify(req.body ?? {}).length > SEARCH_LIMITS.maxBodyChars) {
      throw new HubSpotApiError(
        400,
        'VALIDATION_ERROR',
        `Search request body exceeds ${SEARCH_LIMITS.maxBodyChars} characters.`,
      );
    }
    const q = parseSearchQuery(type, req.body);
    const now = Date.now();
    const hits: { record: StoredRecord; id: string; properties: Readonly<Record<string, string>> }[] = [];
    for (const record of type.records.values()) {
      const seen = this.store.indexed(record, now);
      if (!seen || seen.archived) continue;
      if (matchesQuery(type, q, seen.properties)) hits.push({ record, id: record.id, properties: seen.properties });
    }
    hits.sort(searchOrder(type, q));
    const page = hits.slice(q.after, q.after + q.limit);
    const nextAfter = q.after + q.limit;
    return this.#ok(req, reply, 200, {
      total: hits.length,
      results: page.map((h) => this.#view(type, h.record, q.properties, h.properties)),
      ...(nextAfter < hits.length ? { paging: { next: { after: String(nextAfter) } } } : {}),
    });
  }

  // ---- batch ----

  async #batch(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    this.#stats.batchRequests++;
    const type = this.store.requireType(param(req, 'objectType'));
    const op = param(req, 'op');
    const body = asBody(req.body);
    const inputs = body['inputs'];
    if (!Array.isArray(inputs)) throw new HubSpotApiError(400, 'VALIDATION_ERROR', 'inputs must be a list');
    if (inputs.length > MAX_BATCH) {
      throw new HubSpotApiError(
        400,
        'VALIDATION_ERROR',
        `Batch input limit exceeded: ${inputs.length} inputs. The maximum is ${MAX_BATCH}.`,
        {
          context: { limit: [String(MAX_BATCH)] },
        },
      );
    }
    const items = inputs.map(asBody);
    const startedAt = iso(Date.now());
    switch (op) {
      case 'read':
        return this.#batchRead(req, reply, type, body, items, startedAt);
      case 'archive':
        return this.#batchArchive(req, reply, type, items);
      case 'create':
      case 'update':
      case 'upsert':
        return this.#batchWrite(req, reply, type, op, items, startedAt);
      default:
        throw new HubSpotApiError(
          404,
          'OBJECT_NOT_FOUND',
          `No batch operation '${op}'; use create, read, update, upsert or archive`,
        );
    }
  }

  #duplicates(ids: readonly string[]): void {
    const seen = new Set<string>();
    const dup = new Set<string>();
    for (const id of ids) (seen.has(id) ? dup : seen).add(id);
    if (dup.size > 0) {
      throw new HubSpotApiError(
        400,
        'VALIDATION_ERROR',
        `Duplicate IDs found in batch input: [${[...dup].join(', ')}]. IDs must be unique`,
        {
          context: { ids: [...dup] },
        },
      );
    }
  }

  async #batchRead(
    req: FastifyRequest,
    reply: FastifyReply,
    type: ObjectTypeState,
    body: Body,
    items: readonly Body[],
    startedAt: string,
  ): Promise<FastifyReply> {
    const idProperty = typeof body['idProperty'] === 'string' ? body['idProperty'] : undefined;
    this.#checkIdProperty(type, idProperty);
    const normalize = (id: string): string =>
      type.name === 'contacts' && idProperty === 'email' ? id.trim().toLowerCase() : id;
    const ids = items.map((i) => normalize(textOf(i['id'] ?? '')));
    this.#duplicates(ids);
    const archived = query(req, 'archived') === 'true';
    const requested = this.#requested(body['properties']);
    const found: Record<string, unknown>[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const r = this.#find(type, id, idProperty, archived);
      if (r) found.push(this.#view(type, r, requested));
      else missing.push(id);
    }
    const done = { status: 'COMPLETE', results: this.#shuffle(found), startedAt, completedAt: iso(Date.now()) };
    if (missing.length === 0) return this.#ok(req, reply, 200, done);
    return this.#ok(req, reply, 207, {
      ...done,
      numErrors: 1,
      errors: [
        {
          status: 'error',
          category: 'OBJECT_NOT_FOUND',
          message: `Could not get some ${type.singular} objects, they may be deleted or not exist. Check that ids are valid.`,
          context: { ids: missing },
        },
      ],
    });
  }

  async #batchArchive(
    req: FastifyRequest,
    reply: FastifyReply,
    type: ObjectTypeState,
    items: readonly Body[],
  ): Promise<FastifyReply> {
    const ids = items.map((i) => textOf(i['id'] ?? ''));
    this.#duplicates(ids);
    for (const id of ids) {
      const r = type.records.get(id);
      if (r && !r.archived) {
        this.store.archive(r);
        this.#stats.recordsArchived++;
      }
    }
    return this.#written(req, reply, 204, undefined);
  }

  /**
   * create / update / upsert. Every input is checked first. When every input carries `objectWriteTraceId`, the valid
   * ones are written and the rest listed in a 207; otherwise one bad input fails the whole request (400, or 409 for
   * a unique-value conflict) and nothing is written.
   */
  async #batchWrite(
    req: FastifyRequest,
    reply: FastifyReply,
    type: ObjectTypeState,
    op: 'create' | 'update' | 'upsert',
    items: readonly Body[],
    startedAt: string,
  ): Promise<FastifyReply> {
    const traced = items.length > 0 && items.every((i) => typeof i['objectWriteTraceId'] === 'string');
    const idProperties = new Set<string | undefined>();
    const keyOf = (i: Body): string => {
      const idProperty = typeof i['idProperty'] === 'string' ? i['idProperty'] : undefined;
      const id = textOf(i['id'] ?? '');
      return type.name === 'contacts' && idProperty === 'email' ? id.trim().toLowerCase() : id;
    };
    if (op !== 'create') {
      for (const i of items) {
        const idProperty = typeof i['idProperty'] === 'string' ? i['idProperty'] : undefined;
        idProperties.add(idProperty);
        this.#checkIdProperty(type, idProperty);
        if (typeof i['id'] !== 'string' || i['id'] === '') {
          throw new HubSpotApiError(400, 'VALIDATION_ERROR', 'Each input needs an id (a string).');
        }
      }
      this.#duplicates(items.map(keyOf));
    }
    type Plan =
      | { kind: 'create'; input: Body; values: Readonly<Record<string, string>> }
      | { kind: 'update'; input: Body; record: StoredRecord; values: Readonly<Record<string, string>> };
    const plans: Plan[] = [];
    const errors: { input: Body; error: HubSpotApiError }[] = [];
    // Unique values claimed by earlier inputs of this request.
    const claimed = new Map<string, string>();
    for (const input of items) {
      const checked = this.store.check(type, input['properties'] ?? {});
      if (!checked.ok) {
        errors.push({ input, error: this.#invalid(checked.errors) });
        continue;
      }
      const idProperty = typeof input['idProperty'] === 'string' ? input['idProperty'] : undefined;
      let values = checked.values;
      let record: StoredRecord | undefined;
      if (op !== 'create') {
        const id = keyOf(input);
        record = this.#find(type, id, idProperty);
        if (!record && op === 'update') {
          errors.push({
            input,
            error: new HubSpotApiError(
              404,
              'OBJECT_NOT_FOUND',
              `Object not found. ${type.singular} ${id} does not exist.`,
              { context: { ids: [id] } },
            ),
          });
          continue;
        }
        if (!record && idProperty !== undefined && idProperty !== 'hs_object_id') {
          const idValue = this.store.check(type, { [idProperty]: id }, true);
          if (!idValue.ok) {
            errors.push({ input, error: this.#invalid(idValue.errors) });
            continue;
          }
          values = { ...values, ...idValue.values };
        } else if (!record) {
          errors.push({ input, error: this.#notFound(id) });
          continue;
        }
      }
      const conflict = this.store.uniqueConflict(type, values, record?.id);
      let clash: string | undefined;
      for (const [name, value] of Object.entries(values)) {
        if (value === '' || !type.properties.get(name)?.hasUniqueValue) continue;
        const owner = claimed.get(`${name}\u0000${value}`);
        if (owner !== undefined && owner !== (record?.id ?? `new:${plans.length}`)) clash = name;
      }
      if (conflict || clash !== undefined) {
        const error = conflict
          ? this.#conflict(type, conflict.owner)
          : new HubSpotApiError(409, 'CONFLICT', `Two inputs of this request set ${clash} to the same unique value.`);
        errors.push({ input, error });
        continue;
      }
      for (const [name, value] of Object.entries(values)) {
        if (value !== '' && type.properties.get(name)?.hasUniqueValue)
          claimed.set(`${name}\u0000${value}`, record?.id ?? `new:${plans.length}`);
      }
      plans.push(record ? { kind: 'update', input, record, values } : { kind: 'create', input, values });
    }
    if (errors.length > 0 && !traced) {
      this.#stats.recordsRejected += errors.length;
      throw errors[0]!.error;
    }
    const results: Record<string, unknown>[] = [];
    for (const plan of plans) {
      let record: StoredRecord;
      if (plan.kind === 'create') {
        record = this.store.create(type, plan.values);
        this.#stats.recordsCreated++;
      } else {
        record = this.store.update(plan.record, type, plan.values);
        this.#stats.recordsUpdated++;
      }
      const idProperty = typeof plan.input['idProperty'] === 'string' ? [plan.input['idProperty']] : [];
      const view = this.#writeView(type, record, [...Object.keys(plan.values), ...idProperty]);
      const trace = plan.input['objectWriteTraceId'];
      results.push({
        ...view,
        ...(op === 'upsert' ? { new: plan.kind === 'create' } : {}),
        ...(typeof trace === 'string' ? { objectWriteTraceId: trace } : {}),
      });
    }
    const success = op === 'create' ? 201 : 200;
    const done = { status: 'COMPLETE', results: this.#shuffle(results), startedAt, completedAt: iso(Date.now()) };
    if (errors.length === 0) return this.#written(req, reply, success, done);
    this.#stats.recordsRejected += errors.length;
    return this.#written(req, reply, 207, {
      ...done,
      numErrors: errors.length,
      errors: errors.map(({ input, error }) => {
        const detail = error.message.startsWith('Property values were not valid: ')
          ? (JSON.parse(error.message.slice('Property values were not valid: '.length)) as PropertyValueError[])
          : [];
        return {
          status: 'error',
          category: error.category,
          message: error.message,
          context: {
            objectWriteTraceId: [String(input['objectWriteTraceId'])],
            ...((error.extra['context'] as object | undefined) ?? {}),
          },
          errors: detail.map((d) => ({ message: d.message, code: d.error, context: { propertyName: [d.name] } })),
        };
      }),
    });
  }

  /** Results come back in no promised order (HubSpot's do not follow the inputs): a seeded shuffle. */
  #shuffle<T>(items: T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      this.#order = (Math.imul(this.#order, 1_103_515_245) + 12_345) >>> 0;
      const j = this.#order % (i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}

function param(req: FastifyRequest, name: string): string {
  return String((req.params as Record<string, string>)[name] ?? '');
}

function query(req: FastifyRequest, name: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.map(textOf).join(',') : textOf(v);
}
