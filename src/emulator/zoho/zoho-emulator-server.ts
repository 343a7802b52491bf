import { randomBytes } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { strFromU8, unzipSync } from 'fflate';
import type { Logger } from 'pino';
import { ZohoAccounts } from './zoho-accounts.js';
import { ZohoApiLimits } from './zoho-api-limits.js';
import {
  checkWriteJob,
  createWriteJobSchema,
  processWriteJob,
  writeJobState,
  type BulkWriteJob,
  type UploadedFile,
} from './zoho-bulk-write.js';
import {
  createReadJobSchema,
  processReadJob,
  querySignature,
  readJobFields,
  readJobState,
  type BulkReadJob,
} from './zoho-bulk-read.js';
import { ZohoApiError, ZohoEmulatorConfigError, ZohoRecordError } from './zoho-emulator-errors.js';
import { parseZohoFaultConfig, SeededRandom, type ZohoFaultConfig } from './zoho-fault-config.js';
import { parseSearchCriteria } from './zoho-search-criteria.js';
import type { ZohoModuleTable, ZohoRecord, ZohoStore } from './zoho-store.js';
import { formatZohoDateTime, parseIsoDateTime } from './zoho-values.js';
import { textOf } from '../../util/text-of.js';
import { clientStatusOf, createEmulatorApp, isBodyTooLarge } from '../emulator-http.js';

const MB = 1024 * 1024;
const MAX_UPLOAD_BYTES = 25 * MB;
const MAX_UPLOAD_ROWS = 25_000;
const REST_PAGE_CAP = 2_000;
const TOKEN_PAGE_CAP = 100_000;
const USER = Object.freeze({ id: '3652397000000035795', name: 'Tandem Emulator' });

export interface ZohoEmulatorSettings {
  readonly store: ZohoStore;
  readonly accounts: ZohoAccounts;
  readonly limits: ZohoApiLimits;
  readonly logger: Logger;
  readonly orgId: string;
  readonly adminToken: string;
  /** How long jobs stay ADDED, then IN PROGRESS (each). */
  readonly jobDelayMs: number;
  /** Rows per bulk-read page (Zoho: 200,000). */
  readonly bulkReadPageSize: number;
  /** Bulk-read result downloads allowed per minute (Zoho: 10). */
  readonly downloadsPerMinute: number;
  readonly faults: ZohoFaultConfig;
}

/** Counters since start (`GET /__emulator/stats`). */
export interface ZohoEmulatorStats {
  apiRequests: number;
  tokenRequests: number;
  tokensMinted: number;
  refreshRateLimited: number;
  uploads: number;
  writeJobs: number;
  readJobs: number;
  readDownloads: number;
  restUpsertCalls: number;
  restRecordsWritten: number;
  restDeleteCalls: number;
  listCalls: number;
  creditsSpent: number;
}

interface ApiRoute {
  /** Credits the call costs (charged once the request is authenticated and admitted). */
  readonly cost: (request: FastifyRequest) => number;
  /** Counts against the sub-concurrency limit. */
  readonly heavy?: (request: FastifyRequest) => boolean;
}

/**
 * The Zoho CRM emulator as a fastify app: Zoho Accounts' token endpoint, the upload host, Bulk Write, Bulk Read,
 * REST list/upsert/update/delete/search, deleted records, field metadata, credits and concurrency, fault injection,
 * and an admin API under `/__emulator` guarded by the admin token.
 */
export class ZohoEmulatorServer {
  readonly app: FastifyInstance;
  readonly store: ZohoStore;
  readonly accounts: ZohoAccounts;
  readonly limits: ZohoApiLimits;
  readonly #settings: ZohoEmulatorSettings;
  readonly #logger: Logger;
  #faults: ZohoFaultConfig;
  #random: SeededRandom;
  readonly #files = new Map<string, UploadedFile>();
  readonly #writeJobs = new Map<string, BulkWriteJob>();
  readonly #readJobs = new Map<string, BulkReadJob>();
  readonly #pageTokens = new Map<string, { signature: string; offset: number }>();
  readonly #readTokens = new Map<string, { signature: string; offset: number }>();
  readonly #downloads: number[] = [];
  readonly #stats: ZohoEmulatorStats = {
    apiRequests: 0,
    tokenRequests: 0,
    tokensMinted: 0,
    refreshRateLimited: 0,
    uploads: 0,
    writeJobs: 0,
    readJobs: 0,
    readDownloads: 0,
    restUpsertCalls: 0,
    restRecordsWritten: 0,
    restDeleteCalls: 0,
    listCalls: 0,
    creditsSpent: 0,
  };
  /** Set once listening: absolute URLs (api_domain, absolute download URLs) use it. */
  origin = '';

  constructor(settings: ZohoEmulatorSettings) {
    this.#settings = settings;
    this.store = settings.store;
    this.accounts = settings.accounts;
    this.limits = settings.limits;
    this.#faults = settings.faults;
    this.#random = new SeededRandom(settings.faults.seed ?? 1);
    // Requests are not logged one by one (a bulk run makes thousands); errors are, through the error handler.
    this.app = createEmulatorApp({
      bodyLimit: 30 * MB,
      badRequest: (message) => ({
        status: 400,
        contentType: 'application/json; charset=utf-8',
        body: JSON.stringify(new ZohoApiError(400, 'INVALID_REQUEST', message).body()),
      }),
    });
    this.#logger = settings.logger;
    this.#routes();
  }

  get faults(): ZohoFaultConfig {
    return this.#faults;
  }

  setFaults(faults: ZohoFaultConfig): void {
    this.#faults = Object.freeze({ ...faults });
    this.#random = new SeededRandom(faults.seed ?? 1);
  }

  stats(): ZohoEmulatorStats {
    return {
      ...this.#stats,
      tokensMinted: this.accounts.minted,
      refreshRateLimited: this.accounts.rateLimited,
      creditsSpent: this.limits.spentTotal,
    };
  }

  #jobDelay(): number {
    return this.#faults.jobDelayMs ?? this.#settings.jobDelayMs;
  }

  // ---- plumbing ----

  #routes(): void {
    const app = this.app;
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, body === '' ? {} : (JSON.parse(body as string) as unknown));
      } catch (error) {
        done(
          new ZohoApiError(400, 'INVALID_DATA', `the body is not valid JSON: ${(error as Error).message}`),
          undefined,
        );
      }
    });
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
      done(null, body),
    );
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

    app.setErrorHandler((error: unknown, request, reply) => {
      if (error instanceof ZohoApiError) {
        void reply
          .code(error.status)
          .headers({ ...this.limits.headers(), ...error.headers })
          .send(error.body());
        return;
      }
      if (error instanceof ZohoEmulatorConfigError) {
        void reply.code(400).send({ code: 'INVALID_DATA', details: {}, message: error.message, status: 'error' });
        return;
      }
      if (isBodyTooLarge(error)) {
        void reply.code(413).send({
          code: 'FILE_TOO_LARGE',
          details: { limit: MAX_UPLOAD_BYTES },
          message: 'file size exceeds the limit',
          status: 'error',
        });
        return;
      }
      const status = clientStatusOf(error);
      if (status !== undefined) {
        void reply.code(status).send(new ZohoApiError(status, 'INVALID_REQUEST', (error as Error).message).body());
        return;
      }
      this.#logger.error({ err: error, url: request.url }, 'zoho emulator: unexpected error');
      void reply.code(500).send({ code: 'INTERNAL_ERROR', details: {}, message: 'internal error', status: 'error' });
    });
    app.setNotFoundHandler((_request, reply) => {
      void reply.code(404).send({
        code: 'INVALID_URL_PATTERN',
        details: {},
        message: 'Please check if the URL trying to access is a correct one',
        status: 'error',
      });
    });

    // Zoho Accounts
    app.post('/oauth/v2/token', async (request, reply) => {
      this.#stats.tokenRequests += 1;
      const params = new URLSearchParams(request.url.split('?')[1] ?? '');
      if (typeof request.body === 'string') for (const [k, v] of new URLSearchParams(request.body)) params.set(k, v);
      const answer = this.accounts.grant(params, this.origin, this.#faults.tokenTtlSeconds);
      return reply.code(200).send(answer.body);
    });

    // Upload host
    this.#api('POST', '/crm/:version/upload', { cost: () => 0 }, (req, reply) => this.#upload(req, reply));
    // Bulk Write
    this.#api('POST', '/crm/bulk/:version/write', { cost: () => 500 }, (req, reply) =>
      this.#createWriteJob(req, reply),
    );
    this.#api('GET', '/crm/bulk/:version/write/:jobId', { cost: () => 1 }, (req, reply) =>
      this.#writeJobDetails(req, reply),
    );
    this.#api('GET', '/:version/crm/:org/bulk-write/:jobId/:file', { cost: () => 0 }, (req, reply) =>
      this.#writeJobResult(req, reply),
    );
    // Bulk Read
    this.#api('POST', '/crm/bulk/:version/read', { cost: () => 50 }, (req, reply) => this.#createReadJob(req, reply));
    this.#api('GET', '/crm/bulk/:version/read/:jobId', { cost: () => 1 }, (req, reply) =>
      this.#readJobDetails(req, reply),
    );
    this.#api('GET', '/crm/bulk/:version/read/:jobId/result', { cost: () => 0 }, (req, reply) =>
      this.#readJobResult(req, reply),
    );
    // Metadata
    this.#api('GET', '/crm/:version/org', { cost: () => 1 }, (_req, reply) =>
      reply.send({
        org: [
          {
            id: '3652397000000017001',
            zgid: this.#settings.orgId,
            company_name: 'Tandem Emulator',
            time_zone_offset: this.store.orgOffset,
          },
        ],
      }),
    );
    this.#api('GET', '/crm/:version/settings/fields', { cost: () => 1 }, (req, reply) => this.#fields(req, reply));
    // The org's modules, as Zoho lists them (what `tandem init` reads before each module's fields).
    this.#api('GET', '/crm/:version/settings/modules', { cost: () => 1 }, (_req, reply) =>
      reply.send({
        modules: this.store.moduleNames().map((name, i) => ({
          api_name: name,
          module_name: name,
          plural_label: name.replace(/_/g, ' '),
          singular_label: name.replace(/_/g, ' ').replace(/s$/, ''),
          id: `36523970000000${String(20_000 + i)}`,
          api_supported: true,
          generated_type: ['Contacts', 'Accounts', 'Leads', 'Deals'].includes(name) ? 'default' : 'custom',
        })),
      }),
    );
    // REST records
    this.#api(
      'GET',
      '/crm/:version/:module',
      { cost: () => 1, heavy: (r) => query(r).has('page_token') },
      (req, reply) => this.#list(req, reply),
    );
    this.#api(
      'POST',
      '/crm/:version/:module/upsert',
      { cost: (r) => writeCost(r), heavy: (r) => recordCount(r) > 10 },
      (req, reply) => this.#upsert(req, reply),
    );
    this.#api(
      'PUT',
      '/crm/:version/:module',
      { cost: (r) => writeCost(r), heavy: (r) => recordCount(r) > 10 },
      (req, reply) => this.#update(req, reply),
    );
    this.#api('DELETE', '/crm/:version/:module', { cost: () => 1 }, (req, reply) => this.#delete(req, reply));
    this.#api('GET', '/crm/:version/:module/deleted', { cost: () => 2 }, (req, reply) => this.#deleted(req, reply));
    this.#api('GET', '/crm/:version/:module/search', { cost: () => 1 }, (req, reply) => this.#search(req, reply));

    // Admin API
    app.register(
      async (admin) => {
        admin.addHook('onRequest', async (request) => {
          const header = request.headers['authorization'];
          const token = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header)?.[1] : undefined;
          if (token === undefined) {
            throw new ZohoApiError(
              401,
              'AUTHENTICATION_FAILURE',
              'the admin API needs Authorization: Bearer <admin token>',
            );
          }
          if (token !== this.#settings.adminToken) throw new ZohoApiError(403, 'NO_PERMISSION', 'wrong admin token');
        });
        admin.get('/faults', async () => this.#faults);
        admin.put('/faults', async (request) => {
          this.setFaults(parseZohoFaultConfig(request.body ?? {}, 'PUT /__emulator/faults'));
          return this.#faults;
        });
        admin.get('/stats', async () => ({ ...this.stats(), credits: this.limits.toJson() }));
        admin.put('/credits', async (request) => {
          const used = (request.body as { used?: unknown } | undefined)?.used;
          if (typeof used !== 'number' || !Number.isInteger(used) || used < 0) {
            throw new ZohoApiError(400, 'INVALID_DATA', 'body must be {"used": <non-negative integer>}');
          }
          this.limits.setUsed(used);
          return this.limits.toJson();
        });
        admin.post('/tokens/revoke', async () => {
          this.accounts.revokeAccessTokens();
          return { revoked: true };
        });
        admin.post('/tokens/reset-refresh-limits', async () => {
          this.accounts.resetRefreshLimits();
          return { reset: true };
        });
        admin.get('/modules/:module/records', async (request) => {
          const table = this.#table((request.params as { module: string }).module);
          return { data: this.store.sorted(table).map((r) => this.#recordJson(table, r)) };
        });
        admin.post('/modules/:module/records', async (request, reply) => {
          const table = this.#table((request.params as { module: string }).module);
          const record = this.#userWrite(() => this.store.insert(table.definition.api_name, objectBody(request)));
          return reply.code(201).send({ data: [this.#recordJson(table, record)] });
        });
        admin.patch('/modules/:module/records/:id', async (request) => {
          const { module, id } = request.params as { module: string; id: string };
          const table = this.#table(module);
          const record = this.#userWrite(() => this.store.update(table.definition.api_name, id, objectBody(request)));
          return { data: [this.#recordJson(table, record)] };
        });
        admin.delete('/modules/:module/records/:id', async (request, reply) => {
          const { module, id } = request.params as { module: string; id: string };
          const table = this.#table(module);
          if (!this.store.delete(table.definition.api_name, id)) {
            throw new ZohoApiError(404, 'INVALID_DATA', 'the related id given seems to be invalid', { id });
          }
          return reply.code(200).send({ deleted: id });
        });
      },
      { prefix: '/__emulator' },
    );
  }

  /** Registers an API route: auth, injected faults, (sub-)concurrency, credits, then the handler. */
  #api(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    route: ApiRoute,
    handler: (request: FastifyRequest, reply: FastifyReply) => unknown,
  ): void {
    this.app.route({
      method,
      url,
      handler: async (request, reply) => {
        this.#stats.apiRequests += 1;
        const version = (request.params as { version?: string }).version;
        if (version !== undefined && !/^v[2-8](\.1)?$/.test(version)) {
          throw new ZohoApiError(
            404,
            'INVALID_URL_PATTERN',
            'Please check if the URL trying to access is a correct one',
          );
        }
        this.#authenticate(request);
        this.#injectFault();
        const leave = this.limits.enter(route.heavy?.(request) ?? false);
        try {
          this.limits.charge(route.cost(request));
          const headers = this.limits.headers();
          if (Object.keys(headers).length > 0) void reply.headers(headers);
          return await handler(request, reply);
        } finally {
          leave();
        }
      },
    });
  }

  #authenticate(request: FastifyRequest): void {
    const header = request.headers['authorization'];
    if (typeof header !== 'string' || header.trim() === '') {
      throw new ZohoApiError(401, 'AUTHENTICATION_FAILURE', 'Authentication failed');
    }
    const token = /^Zoho-oauthtoken\s+(.+)$/i.exec(header.trim())?.[1];
    if (token === undefined || this.accounts.check(token) !== 'valid') {
      throw new ZohoApiError(401, 'INVALID_TOKEN', 'invalid oauth token');
    }
  }

  #injectFault(): void {
    const f = this.#faults;
    if (!f.errorRate || this.#random.next() >= f.errorRate) return;
    const kinds = f.errorKinds && f.errorKinds.length > 0 ? f.errorKinds : (['500'] as const);
    const kind = kinds[Math.floor(this.#random.next() * kinds.length)] ?? '500';
    if (kind === '429')
      throw new ZohoApiError(429, 'TOO_MANY_REQUESTS', 'The concurrency limit for the org has exceeded');
    if (kind === 'invalid-token') {
      this.accounts.revokeAccessTokens();
      throw new ZohoApiError(401, 'INVALID_TOKEN', 'invalid oauth token');
    }
    throw new ZohoApiError(500, 'INTERNAL_ERROR', 'Internal Server Error');
  }

  #table(name: string): ZohoModuleTable {
    const table = this.store.module(name);
    if (!table)
      throw new ZohoApiError(400, 'INVALID_MODULE', 'the module name given seems to be invalid', { module: name });
    return table;
  }

  #userWrite(write: () => ZohoRecord): ZohoRecord {
    try {
      return write();
    } catch (error) {
      if (error instanceof ZohoRecordError)
        throw new ZohoApiError(400, error.zohoCode, error.message, { ...error.details });
      throw error;
    }
  }

  #recordJson(table: ZohoModuleTable, record: ZohoRecord, fields?: readonly string[]): Record<string, unknown> {
    return this.store.toJson(table, record, fields);
  }

  // ---- upload host ----

  async #upload(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const feature = request.headers['feature'];
    const org = request.headers['x-crm-org'];
    if (feature !== 'bulk-write' || org !== this.#settings.orgId) {
      throw new ZohoApiError(400, 'INVALID_REQUEST', 'check if headers [feature, X-CRM-ORG] are present and valid', {
        'x-error': 'check if headers [feature, X-CRM-ORG] are present and valid',
      });
    }
    const contentType = request.headers['content-type'] ?? '';
    if (!contentType.startsWith('multipart/form-data') || !Buffer.isBuffer(request.body)) {
      throw new ZohoApiError(400, 'INVALID_FILE_FORMAT', 'send multipart/form-data with the zip in the field "file"');
    }
    const form = await new Response(request.body, { headers: { 'content-type': contentType } }).formData();
    const file = form.get('file');
    if (file === null || typeof file === 'string') {
      throw new ZohoApiError(400, 'INVALID_FILE_FORMAT', 'the multipart body has no file field "file"');
    }
    if (file.size > MAX_UPLOAD_BYTES) {
      throw new ZohoApiError(413, 'FILE_TOO_LARGE', 'file size exceeds the limit', { limit: MAX_UPLOAD_BYTES });
    }
    let entries: Record<string, Uint8Array>;
    try {
      entries = unzipSync(new Uint8Array(await file.arrayBuffer()));
    } catch {
      throw new ZohoApiError(400, 'INVALID_FILE_FORMAT', 'the file is not a zip');
    }
    const csvs = Object.entries(entries).filter(([name]) => name.toLowerCase().endsWith('.csv'));
    if (csvs.length !== 1) {
      throw new ZohoApiError(
        400,
        'INVALID_FILE_FORMAT',
        `the zip must hold exactly one CSV file, it holds ${csvs.length}`,
      );
    }
    const [name, bytes] = csvs[0]!;
    const text = strFromU8(bytes).replace(/^\uFEFF/, '');
    const firstLine = text.slice(0, text.indexOf('\n') < 0 ? text.length : text.indexOf('\n'));
    const delimiter = [',', ';', ':', '|'].reduce(
      (best, d) => (count(firstLine, d) > count(firstLine, best) ? d : best),
      ',',
    );
    let rows: string[][];
    try {
      rows = parse(text, { delimiter, relax_column_count: true, bom: true });
    } catch (error) {
      throw new ZohoApiError(400, 'INVALID_FILE_FORMAT', `the CSV cannot be parsed: ${(error as Error).message}`);
    }
    const [header, ...data] = rows;
    if (!header) throw new ZohoApiError(400, 'INVALID_FILE_FORMAT', 'the CSV is empty');
    if (data.length > MAX_UPLOAD_ROWS) {
      throw new ZohoApiError(400, 'LIMIT_EXCEEDED', `a file holds at most ${MAX_UPLOAD_ROWS} records`, {
        limit: MAX_UPLOAD_ROWS,
      });
    }
    const id = this.store.newId();
    const createdTime = this.store.now();
    this.#files.set(id, { id, name, header, rows: data, createdTime });
    this.#stats.uploads += 1;
    return reply.code(200).send({
      status: 'success',
      code: 'FILE_UPLOAD_SUCCESS',
      message: 'file uploaded.',
      details: { file_id: id, created_time: formatZohoDateTime(createdTime, this.store.orgOffset) },
    });
  }

  // ---- bulk write ----

  #createWriteJob(request: FastifyRequest, reply: FastifyReply): unknown {
    const parsed = createWriteJobSchema.safeParse(request.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue?.path.join('.') ?? '';
      const code = issue?.code === 'invalid_type' && issue.input === undefined ? 'MANDATORY_NOT_FOUND' : 'INVALID_DATA';
      throw new ZohoApiError(400, code, issue?.message ?? 'invalid data', { api_name: path });
    }
    const { table, file, mappings, findBy } = checkWriteJob(parsed.data, this.store, this.#files);
    const id = this.store.newId();
    const job: BulkWriteJob = {
      id,
      serial: this.#writeJobs.size + 1,
      operation: parsed.data.operation,
      ignoreEmpty: parsed.data.ignore_empty ?? false,
      table,
      findBy,
      mappings,
      file,
      createdAtMs: Date.now(),
      createdTime: this.store.now(),
      delayMs: this.#jobDelay(),
      callback: parsed.data.callback,
    };
    this.#writeJobs.set(id, job);
    this.#stats.writeJobs += 1;
    return reply
      .code(201)
      .send({ status: 'success', code: 'SUCCESS', message: 'success', details: { id, created_by: USER } });
  }

  #writeJob(jobId: string): BulkWriteJob {
    const job = this.#writeJobs.get(jobId);
    if (!job) throw new ZohoApiError(404, 'RESOURCE_NOT_FOUND', 'the requested resource is not found', { id: jobId });
    if (writeJobState(job, Date.now(), this.#jobDelay()) === 'DUE') {
      job.processed = processWriteJob(job, this.store, {
        failAfterRecords: this.#faults.failJobAfterRecords,
        shuffle: this.#faults.shuffleResultRows ? new SeededRandom((this.#faults.seed ?? 1) + job.serial) : undefined,
      });
    }
    return job;
  }

  #writeJobDetails(request: FastifyRequest, reply: FastifyReply): unknown {
    const job = this.#writeJob((request.params as { jobId: string }).jobId);
    const state = writeJobState(job, Date.now(), this.#jobDelay());
    const p = job.processed;
    const relative = `/v7/crm/org${this.#settings.orgId}/bulk-write/${job.id}/${job.id}.zip`;
    return reply.send({
      status: state,
      character_encoding: 'UTF-8',
      id: job.id,
      operation: job.operation,
      created_by: USER,
      created_time: formatZohoDateTime(job.createdTime, this.store.orgOffset),
      resource: [
        {
          status: state,
          type: 'data',
          code: p ? 'COMPLETED' : state === 'ADDED' ? 'ADDED' : 'INPROGRESS',
          module: { api_name: job.table.definition.api_name, id: '3652397000000002179' },
          field_mappings: job.mappings.map((m) => ({
            api_name: m.api_name,
            index: m.index,
            format: m.format ?? null,
            find_by: m.find_by ?? null,
            default_value: m.default_value ?? null,
          })),
          file: p
            ? {
                status: p.state,
                name: job.file.name,
                added_count: p.counts.added,
                updated_count: p.counts.updated,
                skipped_count: p.counts.skipped,
                total_count: p.counts.total,
              }
            : { status: 'INPROGRESS' },
        },
      ],
      ...(p
        ? { result: { download_url: this.#faults.absoluteDownloadUrls ? `${this.origin}${relative}` : relative } }
        : {}),
    });
  }

  #writeJobResult(request: FastifyRequest, reply: FastifyReply): unknown {
    const { org, jobId, file } = request.params as { org: string; jobId: string; file: string };
    const job = this.#writeJob(jobId);
    if (org !== `org${this.#settings.orgId}` || file !== `${jobId}.zip` || !job.processed) {
      throw new ZohoApiError(404, 'RESOURCE_NOT_FOUND', 'the requested resource is not found', { id: jobId });
    }
    return reply.code(200).header('content-type', 'application/zip').send(Buffer.from(job.processed.zip));
  }

  // ---- bulk read ----

  #createReadJob(request: FastifyRequest, reply: FastifyReply): unknown {
    if (!(request.headers['content-type'] ?? '').startsWith('application/json')) {
      throw new ZohoApiError(415, 'MEDIA_TYPE_NOT_SUPPORTED', 'The Content-Type header must be application/json');
    }
    const parsed = createReadJobSchema.safeParse(request.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ZohoApiError(400, 'INVALID_DATA', issue?.message ?? 'invalid data', {
        api_name: issue?.path.join('.') ?? '',
      });
    }
    const q = parsed.data.query;
    const table = this.#table(q.module.api_name);
    const fields = readJobFields(table, q.fields);
    const signature = querySignature(table.definition.api_name, fields, q.criteria);
    let offset = 0;
    if (q.page_token !== undefined) {
      const token = this.#readTokens.get(q.page_token);
      if (!token)
        throw new ZohoApiError(400, 'INVALID_DATA', 'the page_token given is invalid or expired', {
          api_name: 'page_token',
        });
      if (token.signature !== signature) {
        throw new ZohoApiError(400, 'TOKEN_BOUND_DATA_MISMATCH', 'the page_token is bound to another query', {
          api_name: 'page_token',
        });
      }
      offset = token.offset;
    } else if (q.page !== undefined) {
      offset = (q.page - 1) * this.#settings.bulkReadPageSize;
    }
    const id = this.store.newId();
    const job: BulkReadJob = {
      id,
      table,
      fields,
      criteria: q.criteria,
      offset,
      page: Math.floor(offset / this.#settings.bulkReadPageSize) + 1,
      query: q,
      createdAtMs: Date.now(),
      createdTime: this.store.now(),
      delayMs: this.#jobDelay(),
    };
    this.#readJobs.set(id, job);
    this.#stats.readJobs += 1;
    return reply.code(201).send({
      data: [
        {
          status: 'success',
          code: 'ADDED_SUCCESSFULLY',
          message: 'Added successfully.',
          details: {
            id,
            operation: 'read',
            state: 'ADDED',
            created_by: USER,
            created_time: formatZohoDateTime(job.createdTime, this.store.orgOffset),
          },
        },
      ],
      info: {},
    });
  }

  #readJob(jobId: string): BulkReadJob {
    const job = this.#readJobs.get(jobId);
    if (!job) throw new ZohoApiError(404, 'RESOURCE_NOT_FOUND', 'the requested resource is not found', { id: jobId });
    if (readJobState(job, Date.now(), this.#jobDelay()) === 'DUE') {
      const signature = querySignature(job.table.definition.api_name, job.fields, job.criteria);
      job.processed = processReadJob(job, this.store, this.#settings.bulkReadPageSize, (offset) => {
        const token = randomBytes(24).toString('hex');
        this.#readTokens.set(token, { signature, offset });
        return token;
      });
    }
    return job;
  }

  #readJobDetails(request: FastifyRequest, reply: FastifyReply): unknown {
    const job = this.#readJob((request.params as { jobId: string }).jobId);
    const state = readJobState(job, Date.now(), this.#jobDelay());
    const p = job.processed;
    return reply.send({
      data: [
        {
          id: job.id,
          operation: 'read',
          state,
          query: job.query,
          created_by: USER,
          created_time: formatZohoDateTime(job.createdTime, this.store.orgOffset),
          file_type: 'csv',
          ...(p
            ? {
                result: {
                  page: job.page,
                  per_page: this.#settings.bulkReadPageSize,
                  count: p.count,
                  download_url: `/crm/bulk/v7/read/${job.id}/result`,
                  more_records: p.moreRecords,
                  ...(p.nextPageToken === undefined ? {} : { next_page_token: p.nextPageToken }),
                },
              }
            : {}),
        },
      ],
    });
  }

  #readJobResult(request: FastifyRequest, reply: FastifyReply): unknown {
    const job = this.#readJob((request.params as { jobId: string }).jobId);
    if (!job.processed) throw new ZohoApiError(400, 'INVALID_REQUEST', 'the job is not completed yet', { id: job.id });
    const now = Date.now();
    while (this.#downloads.length > 0 && now - this.#downloads[0]! >= 60_000) this.#downloads.shift();
    if (this.#downloads.length >= this.#settings.downloadsPerMinute) {
      throw new ZohoApiError(
        429,
        'TOO_MANY_REQUESTS',
        'the download limit of bulk read results per minute is exceeded',
        {},
        {
          'retry-after': String(Math.ceil((60_000 - (now - this.#downloads[0]!)) / 1000)),
        },
      );
    }
    this.#downloads.push(now);
    this.#stats.readDownloads += 1;
    return reply.code(200).header('content-type', 'application/zip').send(Buffer.from(job.processed.zip));
  }

  // ---- metadata ----

  #fields(request: FastifyRequest, reply: FastifyReply): unknown {
    const module = query(request).get('module');
    if (!module)
      throw new ZohoApiError(400, 'REQUIRED_PARAM_MISSING', 'One of the expected parameter is missing', {
        param_name: 'module',
      });
    const table = this.#table(module);
    return reply.send({
      fields: table.definition.fields.map((f, i) => ({
        api_name: f.api_name,
        field_label: f.api_name.replace(/_/g, ' '),
        id: `36523970000000${String(10_000 + i)}`,
        data_type: f.data_type,
        json_type: jsonType(f.data_type),
        length: f.length ?? (['text', 'email', 'phone', 'picklist', 'textarea'].includes(f.data_type) ? 255 : 16),
        read_only: f.read_only,
        field_read_only: f.read_only,
        system_mandatory: f.system_mandatory,
        custom_field: !['Created_Time', 'Modified_Time'].includes(f.api_name),
        unique: f.unique ? { casesensitive: 'true' } : {},
      })),
    });
  }

  // ---- REST records ----

  #list(request: FastifyRequest, reply: FastifyReply): unknown {
    this.#stats.listCalls += 1;
    const table = this.#table((request.params as { module: string }).module);
    const q = query(request);
    const fieldsParam = q.get('fields');
    if (!fieldsParam)
      throw new ZohoApiError(400, 'REQUIRED_PARAM_MISSING', 'One of the expected parameter is missing', {
        param_name: 'fields',
      });
    const fields = fieldsParam
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f !== '');
    if (fields.length > 50)
      throw new ZohoApiError(400, 'LIMIT_EXCEEDED', 'at most 50 fields', { api_name: 'fields', limit: 50 });
    for (const f of fields) {
      if (f !== 'id' && !table.fields.has(f.toLowerCase()))
        throw new ZohoApiError(400, 'INVALID_DATA', 'invalid field', { api_name: f });
    }
    const perPage = Number(q.get('per_page') ?? '200');
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 200) {
      throw new ZohoApiError(400, 'INVALID_DATA', 'per_page must be 1..200', { api_name: 'per_page' });
    }
    const sortBy = q.get('sort_by') ?? 'id';
    const sortOrder = q.get('sort_order') ?? 'desc';
    if (!['id', 'Created_Time', 'Modified_Time'].includes(sortBy)) {
      throw new ZohoApiError(400, 'INVALID_DATA', 'sort_by must be id, Created_Time or Modified_Time', {
        api_name: 'sort_by',
      });
    }
    const sinceHeader = request.headers['if-modified-since'];
    let since: number | undefined;
    if (typeof sinceHeader === 'string' && sinceHeader !== '') {
      since = parseIsoDateTime(sinceHeader);
      if (since === undefined)
        throw new ZohoApiError(400, 'INVALID_DATA', 'If-Modified-Since must be ISO 8601', {
          api_name: 'If-Modified-Since',
        });
    }
    const signature = querySignature(table.definition.api_name, fields, [sortBy, sortOrder, since ?? null, perPage]);
    let offset: number;
    let page: number;
    const pageToken = q.get('page_token');
    if (pageToken) {
      const token = this.#pageTokens.get(pageToken);
      if (!token)
        throw new ZohoApiError(400, 'INVALID_DATA', 'the page_token given is invalid', { api_name: 'page_token' });
      if (token.signature !== signature)
        throw new ZohoApiError(400, 'TOKEN_BOUND_DATA_MISMATCH', 'the page_token is bound to other parameters', {
          api_name: 'page_token',
        });
      offset = token.offset;
      page = Math.floor(offset / perPage) + 1;
      if (offset >= TOKEN_PAGE_CAP)
        throw new ZohoApiError(400, 'PAGINATION_LIMIT_EXCEEDED', 'you can fetch at most 100000 records', {
          limit: TOKEN_PAGE_CAP,
        });
    } else {
      page = Number(q.get('page') ?? '1');
      if (!Number.isInteger(page) || page < 1)
        throw new ZohoApiError(400, 'INVALID_DATA', 'page must be a positive integer', { api_name: 'page' });
      offset = (page - 1) * perPage;
      if (offset + perPage > REST_PAGE_CAP) {
        throw new ZohoApiError(
          400,
          'DISCRETE_PAGINATION_LIMIT_EXCEEDED',
          'use page_token to fetch more than 2000 records',
          { limit: REST_PAGE_CAP },
        );
      }
    }
    let records = [...table.records.values()].filter((r) => since === undefined || r.modifiedAt > since);
    const key = (r: ZohoRecord): number =>
      sortBy === 'Modified_Time' ? r.modifiedAt : sortBy === 'Created_Time' ? r.createdAt : 0;
    records.sort((a, b) => key(a) - key(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (sortOrder === 'desc') records = records.reverse();
    const slice = records.slice(offset, offset + perPage);
    if (slice.length === 0) return reply.code(204).send();
    const more = offset + perPage < records.length;
    let next: string | null = null;
    if (more) {
      next = randomBytes(24).toString('hex');
      this.#pageTokens.set(next, { signature, offset: offset + perPage });
    }
    return reply.send({
      data: slice.map((r) => this.#recordJson(table, r, fields)),
      info: {
        per_page: perPage,
        count: slice.length,
        page,
        sort_by: sortBy,
        sort_order: sortOrder,
        more_records: more,
        next_page_token: next,
        previous_page_token: null,
        page_token_expiry: next === null ? null : formatZohoDateTime(this.store.now() + 86_400, this.store.orgOffset),
      },
    });
  }

  #upsert(request: FastifyRequest, reply: FastifyReply): unknown {
    this.#stats.restUpsertCalls += 1;
    const table = this.#table((request.params as { module: string }).module);
    const body = objectBody(request);
    const data = recordsOf(body);
    const dupParam = body['duplicate_check_fields'];
    const dupFields: string[] = [];
    if (dupParam !== undefined) {
      if (!Array.isArray(dupParam) || !dupParam.every((f) => typeof f === 'string')) {
        throw new ZohoApiError(400, 'INVALID_DATA', 'duplicate_check_fields must be an array of field API names', {
          api_name: 'duplicate_check_fields',
        });
      }
      for (const name of dupParam) {
        const field = table.fields.get(name.toLowerCase());
        if (!field?.unique) {
          throw new ZohoApiError(400, 'INVALID_DATA', 'duplicate_check_fields takes unique fields only', {
            api_name: name,
          });
        }
        dupFields.push(field.api_name);
      }
    } else {
      dupFields.push(...table.definition.fields.filter((f) => f.unique).map((f) => f.api_name));
    }
    const results = data.map((record) => {
      try {
        if (record === null || typeof record !== 'object' || Array.isArray(record)) {
          throw new ZohoRecordError('INVALID_DATA', 'a record must be an object', { api_name: 'data' });
        }
        const fields = record as Record<string, unknown>;
        const id = fields['id'];
        let existing: ZohoRecord | undefined;
        let duplicateField: string | null = null;
        if (typeof id === 'string' && id !== '') {
          existing = table.records.get(id);
          if (!existing)
            throw new ZohoRecordError('INVALID_DATA', 'the related id given seems to be invalid', {
              api_name: 'id',
              id,
            });
        } else {
          for (const name of dupFields) {
            const value = fields[name];
            if (value === undefined || value === null || value === '') continue;
            existing = this.store.findBy(
              table,
              name,
              typeof value === 'number' || typeof value === 'boolean' ? value : textOf(value),
            );
            if (existing) {
              duplicateField = name;
              break;
            }
          }
        }
        const saved = existing
          ? this.store.update(table.definition.api_name, existing.id, fields)
          : this.store.insert(table.definition.api_name, fields);
        this.#stats.restRecordsWritten += 1;
        return {
          code: 'SUCCESS',
          duplicate_field: duplicateField,
          action: existing ? 'update' : 'insert',
          details: this.#writeDetails(saved),
          message: existing ? 'record updated' : 'record added',
          status: 'success',
        };
      } catch (error) {
        if (!(error instanceof ZohoRecordError)) throw error;
        return { code: error.zohoCode, details: error.details, message: error.message, status: 'error' };
      }
    });
    return reply.code(mixedStatus(results)).send({ data: results });
  }

  #update(request: FastifyRequest, reply: FastifyReply): unknown {
    this.#stats.restUpsertCalls += 1;
    const table = this.#table((request.params as { module: string }).module);
    const data = recordsOf(objectBody(request));
    const results = data.map((record) => {
      try {
        const fields = (record ?? {}) as Record<string, unknown>;
        const id = fields['id'];
        if (typeof id !== 'string' || id === '')
          throw new ZohoRecordError('MANDATORY_NOT_FOUND', 'required field not found', { api_name: 'id' });
        const saved = this.store.update(table.definition.api_name, id, fields);
        this.#stats.restRecordsWritten += 1;
        return { code: 'SUCCESS', details: this.#writeDetails(saved), message: 'record updated', status: 'success' };
      } catch (error) {
        if (!(error instanceof ZohoRecordError)) throw error;
        return { code: error.zohoCode, details: error.details, message: error.message, status: 'error' };
      }
    });
    return reply.code(mixedStatus(results)).send({ data: results });
  }

  #delete(request: FastifyRequest, reply: FastifyReply): unknown {
    this.#stats.restDeleteCalls += 1;
    const table = this.#table((request.params as { module: string }).module);
    const ids = (query(request).get('ids') ?? '').split(',').filter((id) => id !== '');
    if (ids.length === 0)
      throw new ZohoApiError(400, 'REQUIRED_PARAM_MISSING', 'One of the expected parameter is missing', {
        param_name: 'ids',
      });
    if (ids.length > 100) throw new ZohoApiError(400, 'LIMIT_EXCEEDED', 'at most 100 ids per call', { limit: 100 });
    const results = ids.map((id) =>
      this.store.delete(table.definition.api_name, id)
        ? { code: 'SUCCESS', details: { id }, message: 'record deleted', status: 'success' }
        : {
            code: 'INVALID_DATA',
            details: { id },
            message: 'the related id given seems to be invalid',
            status: 'error',
          },
    );
    return reply.code(mixedStatus(results)).send({ data: results });
  }

  #deleted(request: FastifyRequest, reply: FastifyReply): unknown {
    const table = this.#table((request.params as { module: string }).module);
    const q = query(request);
    const type = q.get('type') ?? 'all';
    if (!['all', 'recycle', 'permanent'].includes(type))
      throw new ZohoApiError(400, 'INVALID_DATA', 'type must be all, recycle or permanent', { api_name: 'type' });
    const perPage = Math.min(200, Math.max(1, Number(q.get('per_page') ?? '200') || 200));
    const page = Math.max(1, Number(q.get('page') ?? '1') || 1);
    const sinceHeader = request.headers['if-modified-since'];
    let since: number | undefined;
    if (typeof sinceHeader === 'string' && sinceHeader !== '') {
      since = parseIsoDateTime(sinceHeader);
      if (since === undefined)
        throw new ZohoApiError(400, 'INVALID_DATA', 'If-Modified-Since must be ISO 8601', {
          api_name: 'If-Modified-Since',
        });
    }
    // Records leave through the recycle bin only (nothing is purged), so `permanent` lists none.
    const all = type === 'permanent' ? [] : table.deleted.filter((d) => since === undefined || d.deletedAt > since);
    const slice = all.slice((page - 1) * perPage, page * perPage);
    if (slice.length === 0) return reply.code(204).send();
    return reply.send({
      data: slice.map((d) => ({
        deleted_by: USER,
        id: d.id,
        display_name: d.displayName,
        type: 'recycle',
        created_by: USER,
        deleted_time: formatZohoDateTime(d.deletedAt, this.store.orgOffset),
      })),
      info: { per_page: perPage, count: slice.length, page, more_records: page * perPage < all.length },
    });
  }

  #search(request: FastifyRequest, reply: FastifyReply): unknown {
    const table = this.#table((request.params as { module: string }).module);
    const criteria = query(request).get('criteria');
    if (!criteria)
      throw new ZohoApiError(400, 'REQUIRED_PARAM_MISSING', 'One of the expected parameter is missing', {
        param_name: 'criteria',
      });
    const { join, conditions } = parseSearchCriteria(criteria);
    for (const c of conditions) {
      if (c.field !== 'id' && !table.fields.has(c.field.toLowerCase()))
        throw new ZohoApiError(400, 'INVALID_QUERY', 'invalid query formed', { api_name: c.field });
    }
    const test =
      (record: ZohoRecord) =>
      (c: (typeof conditions)[number]): boolean => {
        const value =
          c.field === 'id' ? record.id : record.values.get(table.fields.get(c.field.toLowerCase())!.api_name);
        const text = value === null || value === undefined ? '' : String(value);
        return c.operator === 'equals' ? text === c.value : text.startsWith(c.value);
      };
    const found = this.store
      .sorted(table)
      .filter((r) => (join === 'and' ? conditions.every(test(r)) : conditions.some(test(r))))
      .slice(0, 200);
    if (found.length === 0) return reply.code(204).send();
    return reply.send({
      data: found.map((r) => this.#recordJson(table, r)),
      info: { per_page: 200, count: found.length, page: 1, more_records: false },
    });
  }

  #writeDetails(record: ZohoRecord): Record<string, unknown> {
    return {
      Modified_Time: formatZohoDateTime(record.modifiedAt, this.store.orgOffset),
      Modified_By: USER,
      Created_Time: formatZohoDateTime(record.createdAt, this.store.orgOffset),
      id: record.id,
      Created_By: USER,
    };
  }
}

function query(request: FastifyRequest): URLSearchParams {
  return new URLSearchParams(request.url.split('?')[1] ?? '');
}

function objectBody(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body) || Buffer.isBuffer(body)) {
    throw new ZohoApiError(400, 'INVALID_DATA', 'the body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

function recordsOf(body: Record<string, unknown>): unknown[] {
  const data = body['data'];
  if (!Array.isArray(data) || data.length === 0) {
    throw new ZohoApiError(400, 'MANDATORY_NOT_FOUND', 'required field not found', { api_name: 'data' });
  }
  if (data.length > 100)
    throw new ZohoApiError(400, 'LIMIT_EXCEEDED', 'at most 100 records per call', { api_name: 'data', limit: 100 });
  return data;
}

function recordCount(request: FastifyRequest): number {
  const data = (request.body as { data?: unknown } | undefined)?.data;
  return Array.isArray(data) ? data.length : 0;
}

/** Insert/update/upsert: 1 credit per 10 records. */
function writeCost(request: FastifyRequest): number {
  return Math.max(1, Math.ceil(recordCount(request) / 10));
}

/** 200 when every record succeeded, 400 when none did, 207 otherwise. */
function mixedStatus(results: readonly { status: string }[]): number {
  const ok = results.filter((r) => r.status === 'success').length;
  return ok === results.length ? 200 : ok === 0 ? 400 : 207;
}

function count(text: string, char: string): number {
  return text.split(char).length - 1;
}

function jsonType(dataType: string): string {
  if (dataType === 'integer' || dataType === 'bigint' || dataType === 'double' || dataType === 'currency')
    return dataType === 'double' || dataType === 'currency' ? 'double' : 'integer';
  if (dataType === 'boolean') return 'boolean';
  return 'string';
}
