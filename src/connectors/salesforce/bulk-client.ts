import { Readable } from 'node:stream';
import { UnavailableError } from '../../util/errors.js';
import { BACKOFF_DEFAULTS, backoffDelay, sleep } from './backoff.js';
import {
  isIngestJobState,
  isTerminalState,
  pollDelay,
  type IngestJobState,
  type JobWaitOutcome,
} from './bulk-job-state.js';
import { csvRows } from './csv-rows.js';
import { apiErrorFrom, BulkQueryFailedError, SalesforceApiError } from './errors.js';
import type { SObjectField } from './field-types.js';
import { discardBody, headerValue, type HttpClient, type HttpMethod, type HttpResponse } from './http-client.js';
import { isNetworkError } from './with-retry.js';
import { textOf } from '../../util/text-of.js';

/** The parts of a Bulk API 2.0 JobInfo tandem reads. */
export interface BulkJobInfo {
  readonly id: string;
  readonly state: IngestJobState;
  readonly object: string;
  readonly operation: string;
  readonly numberRecordsProcessed?: number;
  readonly numberRecordsFailed?: number;
  readonly errorMessage?: string;
}

export type IngestOperation = 'insert' | 'update' | 'upsert' | 'delete' | 'hardDelete';
export type QueryOperation = 'query' | 'queryAll';
export type IngestResultFile = 'successfulResults' | 'failedResults' | 'unprocessedrecords';

export interface IngestJobSpec {
  readonly object: string;
  readonly operation: IngestOperation;
  /** Required for upsert. */
  readonly externalIdFieldName?: string;
}

/** How to wait for a job: polls start at `intervalMs`, grow by half each time up to `maxIntervalMs`. */
export interface PollOptions {
  readonly intervalMs: number;
  readonly maxIntervalMs: number;
  /** After this the wait ends as `unknown` (the job is not failed; it is resumed later). */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface BulkClientOptions {
  /** An HttpClient with auth, retries and limits already applied. */
  readonly http: HttpClient;
  /** The instance's origin, e.g. `https://acme.my.salesforce.com` (from config or the token response). */
  readonly instanceUrl: () => Promise<string>;
  /** e.g. `62.0`. */
  readonly apiVersion: string;
  /** Restarts of one result file after the connection dropped mid-body. */
  readonly maxStreamRestarts?: number;
}

/**
 * Bulk API 2.0 and the few REST calls around it (describe, limits), on the wire as documented in
 * docs/salesforce-connector.md. Every method maps to one or a few HTTP calls; results are streamed.
 *
 * @example
 * ```ts
 * const bulk = new BulkClient({ http, instanceUrl: async () => url, apiVersion: '62.0' })
 * const job = await bulk.createIngestJob({ object: 'Account', operation: 'upsert', externalIdFieldName: 'Ext__c' })
 * await bulk.uploadJobData(job.id, csv); await bulk.closeIngestJob(job.id) // or uploadJobStream for a streamed body
 * const outcome = await bulk.waitForJob('ingest', job.id, { intervalMs: 1000, maxIntervalMs: 20000, timeoutMs: 600000 })
 * for await (const row of bulk.ingestResults(job.id, 'successfulResults')) ...
 * ```
 */
/** One object as describeGlobal lists it. */
export interface SObjectSummary {
  readonly name: string;
  readonly label: string;
  readonly custom: boolean;
  readonly queryable: boolean;
  readonly createable: boolean;
  readonly updateable: boolean;
}

function booleanAttributes(source: Record<string, unknown>, names: readonly string[]): Record<string, boolean> {
  return Object.fromEntries(names.flatMap((n) => (typeof source[n] === 'boolean' ? [[n, source[n]]] : [])));
}

export class BulkClient {
  readonly #http: HttpClient;
  readonly #instanceUrl: () => Promise<string>;
  readonly apiVersion: string;
  readonly #maxStreamRestarts: number;

  constructor(options: BulkClientOptions) {
    this.#http = options.http;
    this.#instanceUrl = options.instanceUrl;
    this.apiVersion = options.apiVersion;
    this.#maxStreamRestarts = options.maxStreamRestarts ?? BACKOFF_DEFAULTS.maxRetries;
  }

  /** `GET /sobjects/{object}/describe`: the object's fields and their types. */
  async describe(object: string, signal?: AbortSignal): Promise<{ name: string; fields: readonly SObjectField[] }> {
    const body = await this.#json('GET', `/sobjects/${encodeURIComponent(object)}/describe`, `describe of ${object}`, {
      signal,
    });
    const fields = Array.isArray(body['fields']) ? (body['fields'] as Record<string, unknown>[]) : [];
    return {
      name: typeof body['name'] === 'string' ? body['name'] : object,
      fields: fields.map((f) => ({
        name: textOf(f['name']),
        type: textOf(f['type'] ?? 'string'),
        ...(typeof f['label'] === 'string' ? { label: f['label'] } : {}),
        ...booleanAttributes(f, [
          'createable',
          'updateable',
          'nillable',
          'externalId',
          'unique',
          'calculated',
          'defaultedOnCreate',
        ]),
      })),
    };
  }

  /** `GET /sobjects` (describeGlobal): every object's name, label and what may be done with it. */
  async describeGlobal(signal?: AbortSignal): Promise<readonly SObjectSummary[]> {
    const body = await this.#json('GET', '/sobjects', 'describeGlobal', { signal });
    const objects = Array.isArray(body['sobjects']) ? (body['sobjects'] as Record<string, unknown>[]) : [];
    return objects.map((o) => ({
      name: textOf(o['name']),
      label: textOf(o['label'] ?? o['name']),
      custom: o['custom'] === true,
      queryable: o['queryable'] !== false,
      createable: o['createable'] !== false,
      updateable: o['updateable'] !== false,
    }));
  }

  /** `GET /limits`: the org's limits, e.g. `{ DailyApiRequests: { Max, Remaining } }`. */
  async limits(signal?: AbortSignal): Promise<Readonly<Record<string, { Max: number; Remaining: number }>>> {
    return (await this.#json('GET', '/limits', 'limits', { signal })) as Record<
      string,
      { Max: number; Remaining: number }
    >;
  }

  /**
   * Creates an ingest job (state Open). The POST may be retried: a retried create can at worst leave an empty Open
   * job behind, never duplicate data, because data only goes to the job id the ledger recorded.
   */
  async createIngestJob(spec: IngestJobSpec, signal?: AbortSignal): Promise<BulkJobInfo> {
    const body = {
      object: spec.object,
      operation: spec.operation,
      ...(spec.externalIdFieldName ? { externalIdFieldName: spec.externalIdFieldName } : {}),
      contentType: 'CSV',
      lineEnding: 'LF',
      columnDelimiter: 'COMMA',
    };
    return toJobInfo(
      await this.#json('POST', '/jobs/ingest', `create ${spec.operation} job on ${spec.object}`, {
        body,
        signal,
        idempotent: true,
      }),
    );
  }

  /**
   * Uploads one CSV part to an Open job (`PUT .../batches`). Not idempotent (a second copy would be appended), so it is
   * only retried when the server refused it (429/503) or the connection never opened.
   */
  async uploadJobData(jobId: string, csv: Uint8Array | readonly Uint8Array[], signal?: AbortSignal): Promise<void> {
    const parts = csv instanceof Uint8Array ? [csv] : csv;
    const length = parts.reduce((n, p) => n + p.byteLength, 0);
    const { response, url } = await this.#call('PUT', `/jobs/ingest/${jobId}/batches`, {
      body: Readable.from(parts),
      replay: () => Readable.from(parts),
      headers: { 'content-type': 'text/csv; charset=UTF-8', 'content-length': String(length) },
      idempotent: false,
      signal,
    });
    if (response.statusCode !== 201 && response.statusCode !== 200)
      throw await apiErrorFrom(response, 'PUT', url, `upload to job ${jobId}`);
    await discardBody(response);
  }

  /**
   * Streams one CSV upload to an Open job (`PUT .../batches`, `Transfer-Encoding: chunked`) while the caller writes it.
   * Sent again only while the body can still be replayed from its start (a 429/503 refusal or a connection that never
   * opened, see `withRetry`); after a 500 or a dropped connection it throws, the job stays Open and the next run's
   * `resume` aborts it.
   */
  async uploadJobStream(
    jobId: string,
    body: { open(): Readable; replay(): Readable },
    signal?: AbortSignal,
  ): Promise<void> {
    const { response, url } = await this.#call('PUT', `/jobs/ingest/${jobId}/batches`, {
      body: body.open(),
      replay: () => body.replay(),
      headers: { 'content-type': 'text/csv; charset=UTF-8' },
      idempotent: false,
      signal,
    });
    if (response.statusCode !== 201 && response.statusCode !== 200)
      throw await apiErrorFrom(response, 'PUT', url, `upload to job ${jobId}`);
    await discardBody(response);
  }

  /** Closes the upload (`state: UploadComplete`); a job already past Open counts as closed (a retried close). */
  async closeIngestJob(jobId: string, signal?: AbortSignal): Promise<BulkJobInfo> {
    return this.#patchState(jobId, 'UploadComplete', signal);
  }

  /** Aborts a job; a job already finished or gone is left as it is. */
  async abortIngestJob(jobId: string, signal?: AbortSignal): Promise<BulkJobInfo | undefined> {
    try {
      return await this.#patchState(jobId, 'Aborted', signal);
    } catch (error) {
      if (error instanceof SalesforceApiError && (error.status === 404 || error.status === 400))
        return this.getJob('ingest', jobId, signal);
      throw error;
    }
  }

  /** Job info, or undefined when the job does not exist (404). */
  async getJob(kind: 'ingest' | 'query', jobId: string, signal?: AbortSignal): Promise<BulkJobInfo | undefined> {
    const { response, url } = await this.#call('GET', `/jobs/${kind}/${jobId}`, { signal });
    if (response.statusCode === 404) {
      await discardBody(response);
      return undefined;
    }
    if (response.statusCode !== 200) throw await apiErrorFrom(response, 'GET', url, `${kind} job ${jobId} info`);
    return toJobInfo((await response.body.json()) as Record<string, unknown>);
  }

  /**
   * Polls a job until it is JobComplete, Failed or Aborted, with growing intervals. A client-side timeout is the
   * outcome `unknown`, never a failure: the job may still finish and is resumed later.
   */
  async waitForJob(kind: 'ingest' | 'query', jobId: string, poll: PollOptions): Promise<JobWaitOutcome> {
    const started = Date.now();
    for (let n = 0; ; n += 1) {
      const info = await this.getJob(kind, jobId, poll.signal);
      if (!info) {
        throw new SalesforceApiError(`Salesforce ${kind} job ${jobId} disappeared while tandem waited for it (404)`, {
          status: 404,
          errorCode: 'NOT_FOUND',
          method: 'GET',
          path: `/jobs/${kind}/${jobId}`,
          detail: '',
        });
      }
      const lastState = info.state;
      if (isTerminalState(info.state)) {
        return {
          kind: 'finished',
          state: info.state as 'JobComplete' | 'Failed' | 'Aborted',
          ...(info.errorMessage ? { errorMessage: info.errorMessage } : {}),
        };
      }
      const delay = pollDelay(n, poll.intervalMs, poll.maxIntervalMs);
      if (Date.now() - started + delay > poll.timeoutMs) return { kind: 'unknown', lastState };
      await sleep(delay, poll.signal);
    }
  }

  /** One of an ingest job's three result files, parsed as a stream (gzip accepted). */
  ingestResults(jobId: string, file: IngestResultFile, signal?: AbortSignal): AsyncGenerator<Record<string, string>> {
    return this.#rowsWithRestart(`/jobs/ingest/${jobId}/${file}`, `${file} of job ${jobId}`, signal);
  }

  /** Creates a query job. Retrying the POST can at worst start a second, unused query job. */
  async createQueryJob(soql: string, operation: QueryOperation, signal?: AbortSignal): Promise<BulkJobInfo> {
    const body = { operation, query: soql, contentType: 'CSV', columnDelimiter: 'COMMA', lineEnding: 'LF' };
    return toJobInfo(
      await this.#json('POST', '/jobs/query', `create ${operation} job`, { body, signal, idempotent: true }),
    );
  }

  /**
   * A query job's result rows, page by page (`maxRecords`, following `Sforce-Locator` until `null`), each page parsed
   * as a stream. A page whose connection drops mid-body is fetched again and its rows already given are skipped.
   */
  async *queryResults(jobId: string, pageSize: number, signal?: AbortSignal): AsyncGenerator<Record<string, string>> {
    let locator: string | undefined;
    for (;;) {
      const query = new URLSearchParams({ maxRecords: String(pageSize) });
      if (locator) query.set('locator', locator);
      const next: { locator?: string | undefined } = {};
      yield* this.#rowsWithRestart(
        `/jobs/query/${jobId}/results?${query.toString()}`,
        `results of query job ${jobId}`,
        signal,
        next,
      );
      // `null` (a string) marks the last page; a missing header is treated the same rather than looping forever.
      if (!next.locator || next.locator === 'null') return;
      locator = next.locator;
    }
  }

  /**
   * Runs a query job to completion and streams its rows. Throws BulkQueryFailedError when the job fails and
   * UnavailableError when it does not finish within the poll timeout (the read can simply be repeated).
   */
  async *query(
    soql: string,
    options: { operation: QueryOperation; pageSize: number; poll: PollOptions; object: string },
  ): AsyncGenerator<Record<string, string>> {
    const signal = options.poll.signal;
    const job = await this.createQueryJob(soql, options.operation, signal);
    const outcome = await this.waitForJob('query', job.id, options.poll);
    if (outcome.kind === 'unknown') {
      await this.#abortQuietly(job.id);
      throw new UnavailableError(
        `Salesforce query job ${job.id} on ${options.object} did not finish within pollTimeoutMs (${options.poll.timeoutMs} ms; last state ${outcome.lastState}). ` +
          'Nothing was lost: the read starts again from the same watermark next run. Raise pollTimeoutMs for large objects.',
        { jobId: job.id, object: options.object, lastState: outcome.lastState },
      );
    }
    if (outcome.state !== 'JobComplete') {
      throw new BulkQueryFailedError(
        `Salesforce query job ${job.id} on ${options.object} ended ${outcome.state}${outcome.errorMessage ? `: ${outcome.errorMessage}` : ''}. ` +
          'The watermark did not move; the next run reads the same changes again.',
        { jobId: job.id, state: outcome.state, errorMessage: outcome.errorMessage ?? '', object: options.object },
      );
    }
    yield* this.queryResults(job.id, options.pageSize, signal);
  }

  async #abortQuietly(jobId: string): Promise<void> {
    try {
      const { response } = await this.#call('PATCH', `/jobs/query/${jobId}`, { body: { state: 'Aborted' } });
      await discardBody(response);
    } catch {
      // Best effort: Salesforce deletes it after 7 days anyway.
    }
  }

  async *#rowsWithRestart(
    path: string,
    what: string,
    signal: AbortSignal | undefined,
    out?: { locator?: string | undefined },
  ): AsyncGenerator<Record<string, string>> {
    let given = 0;
    for (let restart = 0; ; restart += 1) {
      const { response, url } = await this.#call('GET', path, {
        headers: { accept: 'text/csv', 'accept-encoding': 'gzip' },
        signal,
      });
      if (response.statusCode !== 200) throw await apiErrorFrom(response, 'GET', url, what);
      if (out) out.locator = headerValue(response, 'sforce-locator');
      // A compressed body still says so when the client was built without withContentDecoding.
      const gzip = (headerValue(response, 'content-encoding') ?? '').toLowerCase().includes('gzip');
      let seen = 0;
      try {
        for await (const row of csvRows(response.body, { gzip })) {
          seen += 1;
          if (seen <= given) continue;
          given += 1;
          yield row;
        }
        return;
      } catch (error) {
        if (!isNetworkError(error) || restart >= this.#maxStreamRestarts) {
          if (isNetworkError(error)) {
            throw new UnavailableError(
              `Salesforce connection dropped while reading ${what} (${restart + 1} attempts)`,
              { what, rowsRead: given },
              error,
            );
          }
          throw error;
        }
        await sleep(backoffDelay(restart, BACKOFF_DEFAULTS), signal);
      }
    }
  }

  async #patchState(jobId: string, state: 'UploadComplete' | 'Aborted', signal?: AbortSignal): Promise<BulkJobInfo> {
    const { response, url } = await this.#call('PATCH', `/jobs/ingest/${jobId}`, { body: { state }, signal });
    if (response.statusCode === 200) return toJobInfo((await response.body.json()) as Record<string, unknown>);
    const error = await apiErrorFrom(response, 'PATCH', url, `set job ${jobId} to ${state}`);
    // A retried PATCH whose first attempt went through finds the job already past Open.
    if (state === 'UploadComplete' && response.statusCode === 400) {
      const info = await this.getJob('ingest', jobId, signal);
      if (info && info.state !== 'Open' && info.state !== 'Aborted') return info;
    }
    throw error;
  }

  async #json(
    method: HttpMethod,
    path: string,
    what: string,
    options: { body?: unknown; signal?: AbortSignal | undefined; idempotent?: boolean },
  ): Promise<Record<string, unknown>> {
    const { response, url } = await this.#call(method, path, options);
    if (response.statusCode < 200 || response.statusCode >= 300) throw await apiErrorFrom(response, method, url, what);
    const parsed: unknown = await response.body.json();
    if (parsed === null || typeof parsed !== 'object')
      throw new UnavailableError(`Salesforce ${what}: the answer was not a JSON object`, { method, path });
    return parsed as Record<string, unknown>;
  }

  async #call(
    method: HttpMethod,
    path: string,
    options: {
      body?: unknown;
      replay?: () => Readable;
      headers?: Record<string, string>;
      signal?: AbortSignal | undefined;
      idempotent?: boolean;
    },
  ): Promise<{ response: HttpResponse; url: string }> {
    const base = await this.#instanceUrl();
    const url = `${base}/services/data/v${this.apiVersion}${path}`;
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    let body: string | Uint8Array | Readable | undefined;
    if (options.body instanceof Uint8Array || options.body instanceof Readable) body = options.body;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json; charset=UTF-8';
    }
    const response = await this.#http(url, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      ...(options.replay ? { replay: options.replay } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.idempotent !== undefined ? { idempotent: options.idempotent } : {}),
    });
    return { response, url };
  }
}

function toJobInfo(body: Record<string, unknown>): BulkJobInfo {
  const state = body['state'];
  if (typeof body['id'] !== 'string' || !isIngestJobState(state)) {
    throw new UnavailableError(
      `Salesforce answered a job call without a valid id and state (state ${JSON.stringify(state)})`,
      {},
    );
  }
  const num = (v: unknown): number | undefined =>
    typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : undefined;
  const processed = num(body['numberRecordsProcessed']);
  const failed = num(body['numberRecordsFailed']);
  return Object.freeze({
    id: body['id'],
    state,
    object: textOf(body['object'] ?? ''),
    operation: textOf(body['operation'] ?? ''),
    ...(processed !== undefined ? { numberRecordsProcessed: processed } : {}),
    ...(failed !== undefined ? { numberRecordsFailed: failed } : {}),
    ...(typeof body['errorMessage'] === 'string' && body['errorMessage'] !== ''
      ? { errorMessage: body['errorMessage'] }
      : {}),
  });
}
