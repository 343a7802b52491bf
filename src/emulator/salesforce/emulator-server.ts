import { createHash, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pipeline as pipeStreams } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ApiLimits } from './api-limits.js';
import { EmulatorConfigError, EmulatorRecordError, SalesforceApiError } from './emulator-errors.js';
import { type EmulatorStore, toRecord } from './emulator-store.js';
import { type FaultConfig, FaultInjector, type FaultKind, parseFaultConfig } from './fault-config.js';
import {
  COLUMN_DELIMITERS,
  type ColumnDelimiter,
  discardUpload,
  INGEST_OPERATIONS,
  type IngestJob,
  type IngestOperation,
  type JobState,
  type LineEnding,
  runIngestJob,
  successfulResultChunks,
} from './ingest-job.js';
import { OAuthTokenEndpoint, ORG_ID, USER_ID } from './oauth-token-endpoint.js';
import type { FieldDefinition, ObjectDefinition } from './object-definition.js';
import { decodeLocator, encodeLocator, type QueryJob, resultPageChunks, runQueryJob } from './query-job.js';
import { SalesforceIdGenerator } from './salesforce-id.js';
import { compileSoql } from './soql-query-plan.js';
import { UploadSpool } from './upload-spool.js';
import { textOf } from '../../util/text-of.js';
import { clientStatusOf, createEmulatorApp, HTTP_METHODS, type HttpMethod, isBodyTooLarge } from '../emulator-http.js';

/** Raw CSV upload limit per job. Salesforce's is 150 MB after base64 (~100 MB raw); see docs. */
export const MAX_UPLOAD_BYTES = 150 * 1024 * 1024;
/** Multipart create+upload: at most 100,000 characters of CSV, as documented. */
export const MAX_MULTIPART_CSV_CHARS = 100_000;
const MIN_API_VERSION = 41;
const MIN_QUERY_API_VERSION = 47;
const JOB_LIST_PAGE = 1000;

/** Counters since start, served by `stats()` and `GET /__emulator/stats`. */
export interface EmulatorStats {
  readonly httpRequests: number;
  readonly apiRequests: number;
  readonly tokenRequests: number;
  readonly jobsCreated: number;
  readonly queryJobsCreated: number;
  readonly recordsIngested: number;
  readonly recordsFailed: number;
  readonly batchesProcessed: number;
  readonly recordsQueried: number;
  readonly faultsInjected: number;
  readonly connectionsDropped: number;
}

export interface EmulatorServerSettings {
  readonly store: EmulatorStore;
  readonly logger: Logger;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly jwtPublicKeyPem: string | undefined;
  /** The admin API (`/__emulator/...`) answers only requests with `Authorization: Bearer <adminToken>`. */
  readonly adminToken: string;
  readonly apiVersion: string;
  readonly queryPageSize: number;
  readonly batchSize: number;
  readonly dailyApiRequests: number;
  readonly faults: FaultConfig;
}

type Job = IngestJob | QueryJob;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const JSON_TYPE = 'application/json;charset=UTF-8';

/** Salesforce's job timestamp style: `2022-01-02T21:33:43.000+0000`. */
function jobTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** JSON with `apiVersion` as a number with one decimal (`62.0`), as Salesforce sends it. */
function jobJson(value: unknown): string {
  return JSON.stringify(value).replace(/"apiVersion":"(\d+\.\d+)"/g, '"apiVersion":$1');
}

/** Request bodies other than uploads: JSON job definitions, admin records (Salesforce's REST limit is far above). */
const JSON_BODY_LIMIT = 10 * 1024 * 1024;
/** The token endpoint's form and the admin fault config. */
const SMALL_BODY_LIMIT = 1024 * 1024;
/** The REST API's paths: every request to them passes the fault, auth and quota gate first (also unknown ones). */
const REST_PATH = /^\/services\/data\/v\d+\.\d(\/.*)?$|^\/id\/[^/]+\/[^/]+$/;

type Handler = (req: FastifyRequest, reply: FastifyReply) => unknown;

/** What a resource answers to one request: a handler per allowed method, and checks due before its body is read. */
interface Resource {
  readonly methods: Partial<Record<HttpMethod, Handler>>;
  readonly beforeBody?: () => void;
  /** The body goes to this stream (a temp file) instead of memory; the handler finds it with #spools. */
  readonly spool?: () => UploadSpool;
}

/**
 * The HTTP side of the emulator on fastify: routing, auth, limits, faults, and the handlers of the OAuth, REST,
 * Bulk API 2.0 and admin endpoints. Construct it once, then `app.listen` (see startSalesforceEmulator).
 */
export class EmulatorServer {
  readonly app: FastifyInstance;
  readonly store: EmulatorStore;
  readonly limits: ApiLimits;
  readonly faults: FaultInjector;
  readonly oauth: OAuthTokenEndpoint;
  readonly #settings: EmulatorServerSettings;
  readonly #log: Logger;
  readonly #jobs = new Map<string, Job>();
  readonly #jobIds = new SalesforceIdGenerator('750');
  readonly #running = new Set<Promise<void>>();
  readonly #resolved = new WeakMap<FastifyRequest, Resource>();
  readonly #spools = new WeakMap<FastifyRequest, UploadSpool>();
  readonly #stats: Mutable<EmulatorStats> = {
    httpRequests: 0,
    apiRequests: 0,
    tokenRequests: 0,
    jobsCreated: 0,
    queryJobsCreated: 0,
    recordsIngested: 0,
    recordsFailed: 0,
    batchesProcessed: 0,
    recordsQueried: 0,
    faultsInjected: 0,
    connectionsDropped: 0,
  };
  origin = '';

  constructor(settings: EmulatorServerSettings) {
    this.#settings = settings;
    this.store = settings.store;
    this.#log = settings.logger;
    this.limits = new ApiLimits(settings.dailyApiRequests);
    this.faults = new FaultInjector(settings.faults);
    this.oauth = new OAuthTokenEndpoint({
      clientId: settings.clientId,
      clientSecret: settings.clientSecret,
      jwtPublicKeyPem: settings.jwtPublicKeyPem,
    });
    this.app = createEmulatorApp({
      bodyLimit: JSON_BODY_LIMIT,
      keepAliveTimeout: 30_000,
      requestTimeout: 0, // 150 MB uploads over slow links must not be cut off
      forceCloseConnections: true, // close() ends uploads in flight too
      headRoutes: false, // HEAD is answered 405 like every method a resource does not allow
      ignoreTrailingSlash: true,
      badRequest: (message) => ({
        status: 400,
        contentType: JSON_TYPE,
        body: new SalesforceApiError(400, 'INVALID_INPUT', message).body(),
      }),
    });
    this.#routes();
  }

  stats(): EmulatorStats {
    return { ...this.#stats };
  }

  /** Waits for background jobs (used on close). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.#running]);
  }

  /** Stops background jobs at their next batch boundary. */
  abortAll(): void {
    for (const job of this.#jobs.values()) {
      if (job.state === 'UploadComplete' || job.state === 'InProgress' || job.state === 'Open') job.state = 'Aborted';
      // A running job took its upload over and removes it when it stops; the others' go now.
      if (job.kind === 'ingest' && job.state === 'Aborted') discardUpload(job);
    }
  }

  // ---- routing ----

  #routes(): void {
    const app = this.app;
    // Bodies stay raw whatever their type (JSON, CSV, multipart, forms): handlers parse them as Salesforce does.
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    app.setErrorHandler((error, req, reply) => this.#fail(error, req, reply));
    app.setNotFoundHandler((req, reply) => this.#fail(notFound(), req, reply));
    app.addHook('onRequest', async (req, reply) => {
      this.#stats.httpRequests++;
      // An unknown path of the REST API still costs a request and needs a session, as on Salesforce.
      if (req.is404 && REST_PATH.test(pathOf(req))) await this.#gate(req, reply);
    });

    this.#resource(
      app,
      '/services/oauth2/token',
      () => ({ methods: { POST: (req, reply) => this.#token(req, reply) } }),
      { bodyLimit: SMALL_BODY_LIMIT },
    );
    this.#resource(app, '/services/data', () => ({ methods: { GET: (_req, reply) => this.#versions(reply) } }));

    // The REST API: every route passes the gate (faults, session, quota) before anything else.
    void app.register(async (api) => {
      api.addHook('onRequest', async (req, reply) => {
        const v = paramOf(req, 'v');
        if (v !== undefined && !/^v\d+\.\d$/.test(v)) throw notFound();
        await this.#gate(req, reply);
      });
      this.#resource(api, '/id/:org/:user', () => ({ methods: { GET: (_req, reply) => this.#identity(reply) } }));
      this.#resource(api, '/services/data/:v', (req) => {
        const version = this.#version(req);
        return { methods: { GET: (_req, reply) => this.#apiIndex(reply, version) } };
      });
      this.#resource(api, '/services/data/:v/limits', (req) => {
        this.#version(req);
        return { methods: { GET: (_req, reply) => this.#json(reply, 200, this.limits.toJson()) } };
      });
      for (const url of ['/services/data/:v/sobjects', '/services/data/:v/sobjects/*']) {
        this.#resource(api, url, (req) => {
          const version = this.#version(req);
          const parts = pathParts(req).slice(4);
          return { methods: { GET: (_req, reply) => this.#sobjects(reply, version, parts) } };
        });
      }
      this.#resource(
        api,
        '/services/data/:v/jobs/:kind',
        (req) => {
          const { version, kind } = this.#jobKind(req);
          return {
            methods: {
              GET: (r, reply) => this.#listJobs(reply, urlOf(r), version, kind),
              POST: (r, reply) =>
                kind === 'ingest' ? this.#createIngestJob(r, reply, version) : this.#createQueryJob(r, reply, version),
            },
          };
        },
        { bodyLimit: MAX_UPLOAD_BYTES }, // a multipart create carries CSV; JSON bodies keep JSON_BODY_LIMIT
      );
      this.#resource(api, '/services/data/:v/jobs/:kind/:jobId', (req) => {
        const job = this.#job(req);
        return {
          methods: {
            GET: (_r, reply) => this.#json(reply, 200, this.#jobInfo(job, 'full')),
            PATCH: (r, reply) => this.#patchJob(r, reply, job),
            DELETE: (_r, reply) => this.#deleteJob(reply, job),
          },
        };
      });
      this.#resource(api, '/services/data/:v/jobs/:kind/:jobId/:sub', (req) => this.#jobPart(req), {
        bodyLimit: MAX_UPLOAD_BYTES,
        errorHandler: (error, req, reply) => {
          this.#spools.get(req)?.discard();
          const job = this.#jobs.get(paramOf(req, 'jobId') ?? '');
          if (!isBodyTooLarge(error) || job?.kind !== 'ingest') return this.#fail(error, req, reply);
          job.uploaded = false;
          return this.#fail(
            new SalesforceApiError(
              400,
              'CLIENTINPUTERROR',
              `ClientInputError : Exceeded max size limit of ${MAX_UPLOAD_BYTES} bytes for job data; split the data into several jobs`,
            ),
            req,
            reply,
          );
        },
      });
    });

    // The admin API: the admin token first, for known and unknown paths alike.
    void app.register(
      async (admin) => {
        admin.addHook('onRequest', async (req) => this.#checkAdminToken(req));
        admin.setNotFoundHandler((req, reply) => this.#fail(notFound(), req, reply));
        this.#resource(
          admin,
          '/faults',
          () => ({
            methods: {
              GET: (_r, reply) => this.#json(reply, 200, this.faults.config),
              PUT: (r, reply) => this.#putFaults(r, reply),
            },
          }),
          { bodyLimit: SMALL_BODY_LIMIT },
        );
        this.#resource(admin, '/stats', () => ({
          methods: { GET: (_r, reply) => this.#json(reply, 200, { ...this.stats(), limits: this.limits.toJson() }) },
        }));
        this.#resource(admin, '/objects/:object/records', (req) => {
          const table = this.#adminTable(req);
          return {
            methods: {
              GET: (_r, reply) => {
                const records = [...table.rows.values()].map((r) => toRecord(table, r));
                return this.#json(reply, 200, { totalSize: records.length, records });
              },
              POST: (r, reply) => this.#adminSave(r, reply, table.definition.name),
            },
          };
        });
        this.#resource(admin, '/objects/:object/records/:id', (req) => {
          const name = this.#adminTable(req).definition.name;
          const id = paramOf(req, 'id') ?? '';
          return {
            methods: {
              GET: (_r, reply) => {
                const record = this.store.get(name, id);
                if (!record) throw new SalesforceApiError(404, 'NOT_FOUND', `no ${name} with id ${id}`);
                return this.#json(reply, 200, record);
              },
              DELETE: (_r, reply) => {
                this.store.delete(name, id);
                return this.#send(reply, 204, undefined);
              },
            },
          };
        });
      },
      { prefix: '/__emulator' },
    );
  }

  /**
   * Registers a resource for every method: before the body is read, `resolve` finds what the path names (404 when it
   * does not exist) and the method is checked (405 with `Allow`), as Salesforce answers in that order.
   */
  #resource(
    app: FastifyInstance,
    url: string,
    resolve: (req: FastifyRequest) => Resource,
    options: {
      bodyLimit?: number;
      errorHandler?: (error: unknown, req: FastifyRequest, reply: FastifyReply) => void;
    } = {},
  ): void {
    app.route({
      method: [...HTTP_METHODS],
      url,
      ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
      ...(options.errorHandler === undefined ? {} : { errorHandler: options.errorHandler }),
      preParsing: async (req, _reply, payload) => {
        const resource = resolve(req);
        allow(req.method, Object.keys(resource.methods));
        resource.beforeBody?.();
        this.#resolved.set(req, resource);
        if (!resource.spool) return payload;
        const spool = resource.spool();
        this.#spools.set(req, spool);
        // An aborted request destroys the spool, which removes its file.
        pipeStreams(payload, spool, () => undefined);
        return spool;
      },
      handler: async (req, reply) => {
        const handle = this.#resolved.get(req)?.methods[req.method as HttpMethod];
        if (!handle) throw notFound();
        await handle(req, reply);
        return reply;
      },
    });
  }

  /** A REST API request's gate: injected faults, the session, the daily quota, counting, Sforce-Limit-Info. */
  async #gate(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const decision = this.faults.decide();
    if (decision.kind === 'drop') {
      this.#stats.connectionsDropped++;
      reply.hijack();
      req.raw.socket.destroy();
      return;
    }
    reply.header('Sforce-Limit-Info', this.limits.header());
    if (decision.kind === 'error') {
      this.#stats.faultsInjected++;
      throw faultError(decision.error, this.faults.config.retryAfterSeconds);
    }
    this.#authenticate(req);
    if (this.limits.apiRequests >= this.limits.dailyApiRequests) throw quotaError();
    this.limits.apiRequests++;
    this.#stats.apiRequests++;
    reply.header('Sforce-Limit-Info', this.limits.header());
  }

  #fail(error: unknown, req: FastifyRequest, reply: FastifyReply): void {
    if (reply.raw.headersSent) {
      reply.raw.destroy(error instanceof Error ? error : undefined);
      return;
    }
    let apiError: SalesforceApiError;
    if (error instanceof SalesforceApiError) apiError = error;
    else if (error instanceof EmulatorConfigError)
      apiError = new SalesforceApiError(400, 'INVALID_INPUT', error.message);
    else if (error instanceof EmulatorRecordError)
      apiError = new SalesforceApiError(400, error.statusCode, error.message);
    else if (isBodyTooLarge(error)) apiError = tooLarge(req.routeOptions.bodyLimit);
    else if (clientStatusOf(error) !== undefined)
      apiError = new SalesforceApiError(clientStatusOf(error)!, 'INVALID_INPUT', (error as Error).message);
    else {
      this.#log.error({ err: error, method: req.method, path: pathOf(req) }, 'emulator request failed');
      apiError = new SalesforceApiError(500, 'UNKNOWN_EXCEPTION', 'An unexpected error occurred in the emulator.');
    }
    // Salesforce compresses any answer, errors included, when the request accepts gzip.
    const body = apiError.body();
    if (acceptsGzip(req)) {
      this.#send(reply, apiError.status, gzipSync(body), {
        'Content-Type': JSON_TYPE,
        'Content-Encoding': 'gzip',
        Vary: 'Accept-Encoding',
        ...apiError.headers,
      });
    } else this.#send(reply, apiError.status, body, { 'Content-Type': JSON_TYPE, ...apiError.headers });
  }

  #send(
    reply: FastifyReply,
    status: number,
    body: string | Buffer | Readable | undefined,
    headers: Record<string, string> = {},
  ): FastifyReply {
    return reply.code(status).headers(headers).send(body);
  }

  #json(reply: FastifyReply, status: number, value: unknown): FastifyReply {
    return this.#send(reply, status, jobJson(value), { 'Content-Type': JSON_TYPE });
  }

  // ---- resources ----

  async #token(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    this.#stats.tokenRequests++;
    const form = new URLSearchParams(bodyOf(req).toString('utf8'));
    // instance_url names the host the client reached us by (a container name in docker compose), as a real org
    // answers with its own My Domain; the listening address (0.0.0.0) would not be reachable from elsewhere.
    const host = req.headers.host;
    const answer = await this.oauth.handle(
      form,
      host && /^[A-Za-z0-9.\-[\]:]+$/.test(host) ? `http://${host}` : this.origin,
    );
    this.#send(reply, answer.status, JSON.stringify(answer.body), {
      'Content-Type': JSON_TYPE,
      'Cache-Control': 'no-cache,must-revalidate,max-age=0,no-store,private',
    });
  }

  #versions(reply: FastifyReply): void {
    const newest = Number(this.#settings.apiVersion);
    const versions = [];
    for (let v = MIN_API_VERSION; v <= newest; v++) {
      const version = `${v}.0`;
      versions.push({ label: `API ${version}`, url: `/services/data/v${version}`, version });
    }
    this.#json(reply, 200, versions);
  }

  #identity(reply: FastifyReply): void {
    this.#json(reply, 200, {
      id: `${this.origin}/id/${ORG_ID}/${USER_ID}`,
      user_id: USER_ID,
      organization_id: ORG_ID,
      username: 'emulator@tandem.local',
      display_name: 'Tandem Emulator',
      active: true,
      user_type: 'STANDARD',
    });
  }

  #apiIndex(reply: FastifyReply, version: string): void {
    const base = `/services/data/v${version}`;
    this.#json(reply, 200, {
      limits: `${base}/limits`,
      sobjects: `${base}/sobjects`,
      jobs: `${base}/jobs`,
      query: `${base}/query`,
    });
  }

  /** The path's API version (`62.0`); 404 outside 41.0 up to the newest served. */
  #version(req: FastifyRequest): string {
    const version = (paramOf(req, 'v') ?? '').slice(1);
    const v = Number(version);
    if (v < MIN_API_VERSION || v > Number(this.#settings.apiVersion)) throw notFound();
    return version;
  }

  #jobKind(req: FastifyRequest): { version: string; kind: 'ingest' | 'query' } {
    const version = this.#version(req);
    const kind = paramOf(req, 'kind');
    if (kind !== 'ingest' && kind !== 'query') throw notFound();
    if (kind === 'query' && Number(version) < MIN_QUERY_API_VERSION) throw notFound();
    return { version, kind };
  }

  #job(req: FastifyRequest): Job {
    const { kind } = this.#jobKind(req);
    const job = this.#jobs.get(paramOf(req, 'jobId') ?? '');
    if (!job || job.kind !== kind) throw notFound();
    return job;
  }

  /** `.../jobs/ingest/{id}/batches|successfulResults|failedResults|unprocessedrecords`, `.../jobs/query/{id}/results`. */
  #jobPart(req: FastifyRequest): Resource {
    const { version } = this.#jobKind(req);
    const job = this.#job(req);
    const sub = (paramOf(req, 'sub') ?? '').toLowerCase();
    if (job.kind === 'ingest') {
      if (sub === 'batches') {
        return {
          methods: { PUT: (r, reply) => this.#upload(r, reply, job) },
          beforeBody: () => this.#startUpload(job),
          spool: () => new UploadSpool(MAX_UPLOAD_BYTES),
        };
      }
      if (sub === 'successfulresults' || sub === 'failedresults' || sub === 'unprocessedrecords') {
        return { methods: { GET: (r, reply) => this.#ingestResults(r, reply, job, sub) } };
      }
    } else if (sub === 'results') {
      return { methods: { GET: (r, reply) => this.#queryResults(r, reply, urlOf(r), job, version) } };
    }
    throw notFound();
  }

  #authenticate(req: FastifyRequest): void {
    const header = req.headers.authorization ?? '';
    const token = /^(?:Bearer|OAuth)\s+(.+)$/i.exec(header)?.[1]?.trim();
    const state = token === undefined ? 'unknown' : this.oauth.check(token, this.faults.config.tokenTtlSeconds);
    if (state !== 'valid') {
      throw new SalesforceApiError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    }
  }

  // ---- sobjects ----

  #sobjects(res: FastifyReply, version: string, parts: readonly string[]): void {
    if (parts.length === 0) {
      this.#json(res, 200, {
        encoding: 'UTF-8',
        maxBatchSize: 200,
        sobjects: this.store.objects().map((o) => ({ ...objectSummary(o, version) })),
      });
      return;
    }
    const def = this.store.describe(parts[0]!);
    if (!def) {
      throw new SalesforceApiError(404, 'NOT_FOUND', `The requested resource does not exist`);
    }
    if (parts.length === 1) {
      this.#json(res, 200, { objectDescribe: objectSummary(def, version), recentItems: [] });
      return;
    }
    if (parts.length === 2 && parts[1] === 'describe') {
      this.#json(res, 200, {
        ...objectSummary(def, version),
        fields: def.fields.map(describeField),
        childRelationships: this.store.objects().flatMap((o) =>
          o.fields
            .filter((f) => f.referenceTo.includes(def.name))
            .map((f) => ({
              childSObject: o.name,
              field: f.name,
              relationshipName: `${o.name}s`,
              cascadeDelete: false,
            })),
        ),
        recordTypeInfos: [],
      });
      return;
    }
    throw notFound();
  }

  // ---- jobs ----

  #jsonBody(req: FastifyRequest): Record<string, unknown> {
    const raw = bodyOf(req);
    if (raw.length > JSON_BODY_LIMIT) throw tooLarge(JSON_BODY_LIMIT);
    const text = raw.toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new SalesforceApiError(
        400,
        'JSON_PARSER_ERROR',
        `Unexpected character in JSON body: ${(error as Error).message}`,
      );
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new SalesforceApiError(400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object');
    }
    return body as Record<string, unknown>;
  }

  #formatOptions(body: Record<string, unknown>): { lineEnding: LineEnding; columnDelimiter: ColumnDelimiter } {
    const lineEnding = body['lineEnding'] ?? 'LF';
    const columnDelimiter = body['columnDelimiter'] ?? 'COMMA';
    const contentType = body['contentType'] ?? 'CSV';
    if (contentType !== 'CSV') {
      throw new SalesforceApiError(
        400,
        'INVALIDJOB',
        `InvalidJob : contentType ${textOf(contentType)} is not supported; Bulk API 2.0 supports CSV`,
      );
    }
    if (lineEnding !== 'LF' && lineEnding !== 'CRLF') {
      throw new SalesforceApiError(
        400,
        'INVALIDJOB',
        `InvalidJob : Invalid lineEnding ${textOf(lineEnding)}; allowed: LF, CRLF`,
      );
    }
    if (typeof columnDelimiter !== 'string' || !(columnDelimiter in COLUMN_DELIMITERS)) {
      throw new SalesforceApiError(
        400,
        'INVALIDJOB',
        `InvalidJob : Invalid columnDelimiter ${textOf(columnDelimiter)}; allowed: ${Object.keys(COLUMN_DELIMITERS).join(', ')}`,
      );
    }
    return { lineEnding, columnDelimiter: columnDelimiter as ColumnDelimiter };
  }

  async #createIngestJob(req: FastifyRequest, res: FastifyReply, version: string): Promise<void> {
    const contentType = req.headers['content-type'] ?? '';
    let body: Record<string, unknown>;
    let csv: Buffer | undefined;
    if (/^multipart\/form-data/i.test(contentType)) {
      const raw = bodyOf(req);
      const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData().catch(() => {
        throw new SalesforceApiError(400, 'INVALIDJOB', 'InvalidJob : the multipart body could not be parsed');
      });
      const jobPart = form.get('job');
      const contentPart = form.get('content');
      if (jobPart === null || contentPart === null) {
        throw new SalesforceApiError(
          400,
          'INVALIDJOB',
          "InvalidJob : a multipart create needs the parts 'job' (JSON) and 'content' (CSV)",
        );
      }
      const jobText = typeof jobPart === 'string' ? jobPart : await jobPart.text();
      const csvText = typeof contentPart === 'string' ? contentPart : await contentPart.text();
      if (csvText.length > MAX_MULTIPART_CSV_CHARS) {
        throw new SalesforceApiError(
          400,
          'INVALIDJOB',
          `InvalidJob : multipart uploads are limited to ${MAX_MULTIPART_CSV_CHARS} characters of CSV; use PUT .../batches for more`,
        );
      }
      try {
        body = JSON.parse(jobText) as Record<string, unknown>;
      } catch (error) {
        throw new SalesforceApiError(
          400,
          'JSON_PARSER_ERROR',
          `Unexpected character in the job part: ${(error as Error).message}`,
        );
      }
      csv = Buffer.from(csvText, 'utf8');
    } else {
      body = this.#jsonBody(req);
    }
    const operation = body['operation'];
    const objectName = body['object'];
    if (typeof objectName !== 'string' || objectName === '') {
      throw new SalesforceApiError(400, 'INVALIDJOB', 'InvalidJob : Required field object is missing');
    }
    if (typeof operation !== 'string' || !(INGEST_OPERATIONS as readonly string[]).includes(operation)) {
      throw new SalesforceApiError(
        400,
        'INVALIDJOB',
        `InvalidJob : Invalid operation ${String(operation)}; allowed: ${INGEST_OPERATIONS.join(', ')}`,
      );
    }
    const def = this.store.describe(objectName);
    if (!def) {
      throw new SalesforceApiError(400, 'INVALIDENTITY', `Entity '${objectName}' is not supported by the Bulk API.`);
    }
    const format = this.#formatOptions(body);
    let externalIdFieldName: string | undefined;
    if (operation === 'upsert') {
      const name = body['externalIdFieldName'];
      if (typeof name !== 'string' || name === '') {
        throw new SalesforceApiError(
          400,
          'INVALIDJOB',
          'InvalidJob : External ID field name is required for upsert operation',
        );
      }
      const field = def.fields.find((f) => f.name.toLowerCase() === name.toLowerCase());
      if (!field || !(field.externalId || field.idLookup)) {
        throw new SalesforceApiError(
          400,
          'INVALIDJOB',
          `InvalidJob : Field name provided, ${name} does not match an External ID, Salesforce Id, or indexed field for ${def.name}`,
        );
      }
      externalIdFieldName = field.name;
    }
    const now = Date.now();
    const job: IngestJob = {
      kind: 'ingest',
      id: this.#jobIds.next(),
      operation: operation as IngestOperation,
      object: def.name,
      externalIdFieldName,
      createdById: USER_ID,
      createdDate: now,
      systemModstamp: now,
      apiVersion: version,
      ...format,
      state: 'Open',
      upload: [],
      uploadFile: undefined,
      uploadBytes: 0,
      uploaded: false,
      numberRecordsProcessed: 0,
      numberRecordsFailed: 0,
      errorMessage: undefined,
      totalProcessingTime: 0,
      columns: [],
      columnPlan: [],
      successIds: [],
      successCreated: [],
      failed: [],
      unprocessed: [],
    };
    this.#jobs.set(job.id, job);
    this.#stats.jobsCreated++;
    if (csv) {
      job.upload = [csv];
      job.uploadBytes = csv.length;
      job.uploaded = true;
      this.#startIngest(job);
    }
    this.#json(res, 200, this.#jobInfo(job, 'create'));
  }

  #createQueryJob(req: FastifyRequest, res: FastifyReply, version: string): void {
    const body = this.#jsonBody(req);
    const operation = body['operation'] ?? 'query';
    if (operation !== 'query' && operation !== 'queryAll') {
      throw new SalesforceApiError(
        400,
        'INVALIDJOB',
        `InvalidJob : Invalid operation ${textOf(operation)}; allowed: query, queryAll`,
      );
    }
    const soql = body['query'];
    if (typeof soql !== 'string' || soql.trim() === '') {
      throw new SalesforceApiError(400, 'INVALIDJOB', 'InvalidJob : Required field query is missing');
    }
    const format = this.#formatOptions(body);
    const plan = compileSoql(soql, this.store);
    const now = Date.now();
    const job: QueryJob = {
      kind: 'query',
      id: this.#jobIds.next(),
      operation,
      query: soql,
      plan,
      object: plan.table.definition.name,
      createdById: USER_ID,
      createdDate: now,
      systemModstamp: now,
      apiVersion: version,
      ...format,
      state: 'UploadComplete',
      rows: undefined,
      numberRecordsProcessed: 0,
      totalProcessingTime: 0,
    };
    this.#jobs.set(job.id, job);
    this.#stats.queryJobsCreated++;
    this.limits.queryJobs++;
    this.#track(
      runQueryJob(job, () => this.faults.config.jobDelayMs ?? 0).then(() => {
        this.#stats.recordsQueried += job.numberRecordsProcessed;
      }),
    );
    this.#json(res, 200, this.#jobInfo(job, 'create'));
  }

  #track(p: Promise<void>): void {
    const tracked = p.catch((error: unknown) => this.#log.error({ err: error }, 'background job crashed'));
    this.#running.add(tracked);
    void tracked.finally(() => this.#running.delete(tracked));
  }

  #startIngest(job: IngestJob): void {
    job.state = 'UploadComplete';
    job.systemModstamp = Date.now();
    let counted = 0;
    this.#track(
      runIngestJob(job, {
        store: this.store,
        batchSize: this.#settings.batchSize,
        logger: this.#log,
        jobDelayMs: () => this.faults.config.jobDelayMs ?? 0,
        failJobAfterRecords: () => this.faults.config.failJobAfterRecords,
        onBatch: () => {
          this.#stats.batchesProcessed++;
          this.limits.bulkBatches++;
          this.#stats.recordsIngested += job.numberRecordsProcessed - counted;
          counted = job.numberRecordsProcessed;
        },
      }).then(() => {
        this.#stats.recordsIngested += job.numberRecordsProcessed - counted;
        this.#stats.recordsFailed += job.numberRecordsFailed;
      }),
    );
  }

  #jobInfo(job: Job, variant: 'create' | 'full' | 'list'): Record<string, unknown> {
    const info: Record<string, unknown> = {
      id: job.id,
      operation: job.kind === 'ingest' ? job.operation : job.operation,
      object: job.object,
      createdById: job.createdById,
      createdDate: jobTime(job.createdDate),
      systemModstamp: jobTime(job.systemModstamp),
      state: job.state,
    };
    if (job.kind === 'ingest' && job.externalIdFieldName !== undefined)
      info['externalIdFieldName'] = job.externalIdFieldName;
    info['concurrencyMode'] = 'Parallel';
    info['contentType'] = 'CSV';
    info['apiVersion'] = job.apiVersion;
    if (variant !== 'create') info['jobType'] = job.kind === 'ingest' ? 'V2Ingest' : 'V2Query';
    if (job.kind === 'ingest' && variant !== 'list') {
      info['contentUrl'] = `services/data/v${job.apiVersion}/jobs/ingest/${job.id}/batches`;
    }
    info['lineEnding'] = job.lineEnding;
    info['columnDelimiter'] = job.columnDelimiter;
    if (variant === 'full') {
      info['numberRecordsProcessed'] = job.numberRecordsProcessed;
      if (job.kind === 'ingest') info['numberRecordsFailed'] = job.numberRecordsFailed;
      info['retries'] = 0;
      info['totalProcessingTime'] = job.totalProcessingTime;
      if (job.kind === 'ingest') {
        info['apiActiveProcessingTime'] = job.totalProcessingTime;
        info['apexProcessingTime'] = 0;
        if (job.state === 'Failed' && job.errorMessage !== undefined) info['errorMessage'] = job.errorMessage;
      } else {
        info['isPkChunkingSupported'] = true;
      }
    }
    return info;
  }

  #listJobs(res: FastifyReply, url: URL, version: string, kind: 'ingest' | 'query'): void {
    const jobType = url.searchParams.get('jobType');
    const wanted = [...this.#jobs.values()].filter((j) => {
      if (jobType === 'V2Ingest') return j.kind === 'ingest';
      if (jobType === 'V2Query') return j.kind === 'query';
      if (jobType === 'Classic' || jobType === 'BigObjectIngest') return false;
      return j.kind === kind;
    });
    const locator = url.searchParams.get('queryLocator');
    const offset = locator ? decodeLocator(locator) : 0;
    if (offset === undefined)
      throw new SalesforceApiError(400, 'INVALID_QUERY_LOCATOR', `invalid query locator: ${locator}`);
    const page = wanted.slice(offset, offset + JOB_LIST_PAGE);
    const done = offset + JOB_LIST_PAGE >= wanted.length;
    const next = new URLSearchParams(url.searchParams);
    next.set('queryLocator', encodeLocator(offset + JOB_LIST_PAGE));
    this.#json(res, 200, {
      done,
      records: page.map((j) => this.#jobInfo(j, 'list')),
      nextRecordsUrl: done ? null : `/services/data/v${version}/jobs/${kind}?${next.toString()}`,
    });
  }

  #patchJob(req: FastifyRequest, res: FastifyReply, job: Job): void {
    const body = this.#jsonBody(req);
    const state = body['state'];
    if (state === 'UploadComplete' && job.kind === 'ingest') {
      if (job.state !== 'Open') {
        throw new SalesforceApiError(
          400,
          'INVALIDJOBSTATE',
          `Unable to close job ${job.id}: it is in state ${job.state}, not Open`,
        );
      }
      this.#startIngest(job);
      this.#json(res, 200, this.#jobInfo(job, 'create'));
      return;
    }
    if (state === 'Aborted') {
      const abortable: readonly JobState[] =
        job.kind === 'ingest' ? ['Open', 'UploadComplete', 'InProgress'] : ['UploadComplete', 'InProgress'];
      if (!abortable.includes(job.state)) {
        const what = job.state === 'JobComplete' ? 'Completed' : job.state;
        throw new SalesforceApiError(400, 'INVALIDJOBSTATE', `Aborting already ${what} Job not allowed`);
      }
      job.state = 'Aborted';
      job.systemModstamp = Date.now();
      if (job.kind === 'ingest') discardUpload(job);
      this.#json(res, 200, this.#jobInfo(job, 'create'));
      return;
    }
    throw new SalesforceApiError(
      400,
      'INVALIDJOBSTATE',
      `Invalid state ${JSON.stringify(state)} for a ${job.kind} job; allowed: ${job.kind === 'ingest' ? 'UploadComplete, Aborted' : 'Aborted'}`,
    );
  }

  #deleteJob(res: FastifyReply, job: Job): void {
    const deletable: readonly JobState[] =
      job.kind === 'ingest'
        ? ['UploadComplete', 'JobComplete', 'Aborted', 'Failed']
        : ['JobComplete', 'Aborted', 'Failed'];
    if (!deletable.includes(job.state)) {
      throw new SalesforceApiError(
        400,
        'API_ERROR',
        'Error encountered when deleting the job because the job is not terminated',
      );
    }
    if (job.state === 'UploadComplete') job.state = 'Aborted'; // stops its background run before it starts
    if (job.kind === 'ingest') discardUpload(job);
    this.#jobs.delete(job.id);
    this.#send(res, 204, undefined);
  }

  /** Checked before an upload's body is read: the job takes data once, while Open. */
  #startUpload(job: IngestJob): void {
    if (job.state !== 'Open') {
      throw new SalesforceApiError(
        400,
        'INVALIDJOBSTATE',
        `Job ${job.id} is in state ${job.state}; data can only be uploaded to an Open job`,
      );
    }
    if (job.uploaded) {
      throw new SalesforceApiError(
        400,
        'INVALIDJOBSTATE',
        `Found multiple contents for job: <${job.id}>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.`,
      );
    }
    job.uploaded = true;
  }

  /** The upload itself; its size limit (MAX_UPLOAD_BYTES) is the route's body limit. */
  #upload(req: FastifyRequest, res: FastifyReply, job: IngestJob): void {
    const spool = this.#spools.get(req);
    discardUpload(job);
    job.uploadBytes = spool?.bytes ?? 0;
    // Aborted or deleted while the body came in: nothing will read the file.
    if (spool && spool.bytes > 0 && job.state === 'Open' && this.#jobs.has(job.id)) job.uploadFile = spool.keep();
    else spool?.discard();
    this.#send(res, 201, undefined);
  }

  #ingestResults(req: FastifyRequest, res: FastifyReply, job: IngestJob, which: string): void {
    if (job.state === 'Open') {
      throw new SalesforceApiError(
        400,
        'INVALIDJOBSTATE',
        `Job ${job.id} is still Open; close it before asking for results`,
      );
    }
    const delimiter = COLUMN_DELIMITERS[job.columnDelimiter];
    const eol = job.lineEnding === 'CRLF' ? '\r\n' : '\n';
    const original = job.columns.map((c) =>
      c.includes(delimiter) || c.includes('"') ? `"${c.replace(/"/g, '""')}"` : c,
    );
    if (which === 'successfulresults') {
      this.#sendCsv(req, res, 200, successfulResultChunks(job, this.store), {});
      return;
    }
    let header: string[];
    let chunks: string[];
    if (which === 'failedresults') {
      header = ['"sf__Id"', '"sf__Error"', ...original];
      chunks = job.failed;
    } else {
      header = original;
      chunks = job.unprocessed;
    }
    const parts = [`${header.join(delimiter)}${eol}`, ...chunks];
    this.#sendCsv(req, res, 200, parts, {});
  }

  #queryResults(req: FastifyRequest, res: FastifyReply, url: URL, job: QueryJob, version: string): void {
    if (version !== job.apiVersion) {
      throw new SalesforceApiError(
        409,
        'API_ERROR',
        `Job ${job.id} was created with API version ${job.apiVersion}; request its results with /services/data/v${job.apiVersion}/`,
      );
    }
    if (job.state !== 'JobComplete' || !job.rows) {
      throw new SalesforceApiError(
        400,
        'INVALIDJOBSTATE',
        `The job is in state ${job.state}; results are available once it is JobComplete`,
      );
    }
    const locator = url.searchParams.get('locator');
    const start = locator === null || locator === '' ? 0 : decodeLocator(locator);
    if (start === undefined || start > job.rows.length) {
      throw new SalesforceApiError(400, 'INVALID_QUERY_LOCATOR', `invalid locator: ${locator}`);
    }
    const maxParam = url.searchParams.get('maxRecords');
    let pageSize = this.#settings.queryPageSize;
    if (maxParam !== null) {
      if (!/^\d+$/.test(maxParam) || Number(maxParam) < 1) {
        throw new SalesforceApiError(
          400,
          'INVALIDJOB',
          `InvalidJob : maxRecords must be a positive integer, got '${maxParam}'`,
        );
      }
      pageSize = Number(maxParam);
    }
    const end = Math.min(job.rows.length, start + pageSize);
    const headers = {
      'Sforce-Locator': end < job.rows.length ? encodeLocator(end) : 'null',
      'Sforce-NumberOfRecords': String(end - start),
    };
    const limits = this.limits;
    const counted = (function* (gen: Generator<string>) {
      let bytes = 0;
      for (const chunk of gen) {
        bytes += chunk.length;
        yield chunk;
      }
      limits.queryResultBytes += bytes;
    })(resultPageChunks(job, start, end));
    this.#sendCsv(req, res, 200, counted, headers);
  }

  #sendCsv(
    req: FastifyRequest,
    res: FastifyReply,
    status: number,
    chunks: Iterable<string>,
    headers: Record<string, string>,
  ): void {
    const gzip = acceptsGzip(req);
    const source = Readable.from(chunks, { objectMode: false });
    let body: Readable = source;
    if (gzip) {
      const compressed = createGzip();
      // pipeline destroys `compressed` when the source fails, which ends the response early.
      pipeline(source, compressed).catch(() => undefined);
      body = compressed;
    }
    this.#send(res, status, body, {
      'Content-Type': 'text/csv',
      ...headers,
      ...(gzip ? { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' } : {}),
    });
  }

  // ---- admin API ----

  #checkAdminToken(req: FastifyRequest): void {
    if (!sameSecret(bearerOf(req), this.#settings.adminToken)) {
      throw new SalesforceApiError(
        401,
        'INVALID_AUTH_HEADER',
        'The emulator admin API needs Authorization: Bearer <admin token> (printed at start; set it with --admin-token or TANDEM_EMULATOR_ADMIN_TOKEN).',
        { 'WWW-Authenticate': 'Bearer realm="emulator-admin"' },
      );
    }
  }

  #putFaults(req: FastifyRequest, reply: FastifyReply): void {
    const text = bodyOf(req).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text === '' ? '{}' : text);
    } catch (error) {
      throw new SalesforceApiError(400, 'JSON_PARSER_ERROR', `fault config is not JSON: ${(error as Error).message}`);
    }
    this.faults.set(parseFaultConfig(body, 'PUT /__emulator/faults'));
    this.#json(reply, 200, this.faults.config);
  }

  #adminTable(req: FastifyRequest): NonNullable<ReturnType<EmulatorStore['table']>> {
    const name = paramOf(req, 'object') ?? '';
    const table = this.store.table(name);
    if (!table) throw new SalesforceApiError(404, 'NOT_FOUND', `unknown object '${name}'`);
    return table;
  }

  #adminSave(req: FastifyRequest, reply: FastifyReply, objectName: string): void {
    const body = this.#jsonBody(req);
    const records = body['records'];
    if (!Array.isArray(records)) {
      throw new SalesforceApiError(
        400,
        'INVALID_INPUT',
        'body must be {"records":[{...}]}; give Id to update a record',
      );
    }
    const results = records.map((r: unknown) => {
      if (r === null || typeof r !== 'object')
        return {
          success: false,
          errors: [{ statusCode: 'INVALID_INPUT', message: 'a record must be an object', fields: [] }],
        };
      const fields = r as Record<string, unknown>;
      const id = fields['Id'];
      try {
        const saved =
          typeof id === 'string' && id !== ''
            ? this.store.update(objectName, id, fields)
            : this.store.insert(objectName, fields);
        return { id: saved['Id'], success: true, created: !(typeof id === 'string' && id !== ''), errors: [] };
      } catch (error) {
        if (!(error instanceof EmulatorRecordError)) throw error;
        return {
          success: false,
          errors: [{ statusCode: error.statusCode, message: error.message, fields: error.fields }],
        };
      }
    });
    this.#json(reply, 200, results);
  }
}

/** The request's path, undecoded (as it came). */
function pathOf(req: FastifyRequest): string {
  const path = req.url.split('?')[0] ?? '/';
  return path === '' ? '/' : path;
}

/** The request's URL (path and query) against the emulator's origin. */
function urlOf(req: FastifyRequest): URL {
  return new URL(req.url, 'http://emulator.invalid');
}

/** The decoded, non-empty segments of the request's path. */
function pathParts(req: FastifyRequest): string[] {
  return pathOf(req)
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
}

function paramOf(req: FastifyRequest, name: string): string | undefined {
  return (req.params as Record<string, string | undefined>)[name];
}

/** The raw request body (the content-type parser keeps every body as a Buffer); empty when there was none. */
function bodyOf(req: FastifyRequest): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

function tooLarge(limit: number): SalesforceApiError {
  return new SalesforceApiError(413, 'REQUEST_ENTITY_TOO_LARGE', `request body exceeds ${limit} bytes`);
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
function bearerOf(req: FastifyRequest): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
}

/** Compares two secrets in constant time (digests first, so lengths do not leak either). */
function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Whether the request's Accept-Encoding lists gzip. */
function acceptsGzip(req: FastifyRequest): boolean {
  return /\bgzip\b/i.test(String(req.headers['accept-encoding'] ?? ''));
}

function allow(method: string, allowed: readonly string[]): void {
  if (!allowed.includes(method)) {
    throw new SalesforceApiError(
      405,
      'METHOD_NOT_ALLOWED',
      `HTTP Method '${method}' not allowed. Allowed are ${allowed.join(',')}`,
      {
        Allow: allowed.join(', '),
      },
    );
  }
}

function notFound(): SalesforceApiError {
  return new SalesforceApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
}

function quotaError(): SalesforceApiError {
  return new SalesforceApiError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
}

function faultError(kind: FaultKind, retryAfter: number | undefined): SalesforceApiError {
  const retry: Record<string, string> = retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) };
  switch (kind) {
    case '403-quota':
      return quotaError();
    case '429':
      return new SalesforceApiError(429, 'REQUEST_LIMIT_EXCEEDED', 'ConcurrentPerOrgLongTxn Limit exceeded.', retry);
    case '500':
      return new SalesforceApiError(
        500,
        'UNKNOWN_EXCEPTION',
        'An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-1234567890)',
      );
    case '502':
      return new SalesforceApiError(502, 'BAD_GATEWAY', 'Bad Gateway');
    case '503':
      return new SalesforceApiError(
        503,
        'SERVER_UNAVAILABLE',
        'Server is temporarily unavailable. Please try again later.',
        retry,
      );
  }
}

function objectSummary(o: ObjectDefinition, version: string): Record<string, unknown> {
  const base = `/services/data/v${version}/sobjects/${o.name}`;
  return {
    name: o.name,
    label: o.label,
    labelPlural: `${o.label}s`,
    keyPrefix: o.keyPrefix,
    custom: o.name.endsWith('__c'),
    createable: true,
    updateable: true,
    deletable: true,
    queryable: true,
    undeletable: true,
    urls: { sobject: base, describe: `${base}/describe`, rowTemplate: `${base}/{ID}` },
  };
}

function describeField(f: FieldDefinition): Record<string, unknown> {
  return {
    name: f.name,
    label: f.label,
    type: f.type,
    length: f.length,
    nillable: f.nillable,
    createable: f.createable,
    updateable: f.updateable,
    externalId: f.externalId,
    idLookup: f.idLookup,
    unique: f.unique,
    referenceTo: f.referenceTo,
    relationshipName: f.relationshipName,
    defaultedOnCreate: f.defaultedOnCreate,
    custom: f.name.endsWith('__c'),
    calculated: false,
    filterable: true,
    sortable: f.type !== 'textarea',
    caseSensitive: false,
    precision: f.precision ?? 0,
    scale: f.scale ?? 0,
    digits: f.type === 'int' ? 9 : 0,
    soapType: soapType(f.type),
    picklistValues: f.picklistValues.map((v) => ({
      active: true,
      defaultValue: false,
      label: v,
      validFor: null,
      value: v,
    })),
    restrictedPicklist: f.restrictedPicklist ?? false,
  };
}

function soapType(type: FieldDefinition['type']): string {
  switch (type) {
    case 'id':
    case 'reference':
      return 'tns:ID';
    case 'boolean':
      return 'xsd:boolean';
    case 'int':
      return 'xsd:int';
    case 'double':
    case 'currency':
    case 'percent':
      return 'xsd:double';
    case 'date':
      return 'xsd:date';
    case 'datetime':
      return 'xsd:dateTime';
    default:
      return 'xsd:string';
  }
}
