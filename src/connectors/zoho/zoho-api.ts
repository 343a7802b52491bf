import { FormData } from 'undici';
import { UnavailableError } from '../../util/errors.js';
import { ZohoApiError } from './zoho-errors.js';
import { errorBody, type ZohoHttp } from './zoho-http.js';
import { textOf } from '../../util/text-of.js';

/** One per-record answer of REST upsert/update/delete. */
export interface ZohoRecordAnswer {
  readonly status: string;
  readonly code: string;
  readonly message: string;
  readonly action?: string;
  readonly details?: Record<string, unknown>;
}

/** One entry of the deleted-records listing: the Zoho id and when it was deleted (with Zoho's offset). */
export interface ZohoDeletedRecord {
  readonly id: string;
  readonly deletedTime: string;
}

export interface WriteJobDetails {
  readonly status: string;
  readonly downloadUrl: string | undefined;
}

export interface ReadJobDetails {
  readonly state: string;
  readonly downloadUrl: string | undefined;
  readonly moreRecords: boolean;
  readonly nextPageToken: string | undefined;
  readonly errorMessage: string | undefined;
}

/** Every Zoho endpoint tandem uses, with its credit cost. Paths are relative to the API domain unless noted. */
export class ZohoApi {
  readonly #http: ZohoHttp;
  readonly #version: string;
  readonly #uploadUrl: string;

  constructor(http: ZohoHttp, options: { apiVersion: string; uploadUrl: string }) {
    this.#http = http;
    this.#version = options.apiVersion;
    this.#uploadUrl = options.uploadUrl;
  }

  /** The org's zgid (X-CRM-ORG). */
  async orgId(signal?: AbortSignal): Promise<string> {
    const res = await this.#http.call({
      method: 'GET',
      url: `/crm/${this.#version}/org`,
      credits: 1,
      what: 'org details',
      signal,
    });
    const org = res.json<{ org?: { zgid?: unknown }[] }>().org?.[0];
    if (org?.zgid === undefined)
      throw new UnavailableError('Zoho GET /org answered without org[0].zgid; set crm.orgId', {});
    return textOf(org.zgid);
  }

  /** `GET /crm/{v}/settings/modules`: the org's modules (`{"modules":[{"api_name","plural_label","api_supported"…}]}`). */
  async modules(signal?: AbortSignal): Promise<unknown> {
    const res = await this.#http.call({
      method: 'GET',
      url: `/crm/${this.#version}/settings/modules`,
      credits: 1,
      what: 'the modules list',
      signal,
    });
    return res.json();
  }

  async fields(module: string, signal?: AbortSignal): Promise<unknown> {
    const res = await this.#http.call({
      method: 'GET',
      url: `/crm/${this.#version}/settings/fields?module=${encodeURIComponent(module)}`,
      credits: 1,
      what: `fields metadata of ${module}`,
      signal,
    });
    return res.json();
  }

  /** One page of a REST listing; undefined on 204 (no records). */
  async list(
    module: string,
    params: { fields: readonly string[]; since?: string | undefined; pageToken?: string | undefined },
    signal?: AbortSignal,
  ): Promise<{ data: Record<string, unknown>[]; nextPageToken: string | undefined; moreRecords: boolean } | undefined> {
    const q = new URLSearchParams({
      fields: params.fields.join(','),
      per_page: '200',
      sort_by: 'Modified_Time',
      sort_order: 'asc',
    });
    if (params.pageToken) q.set('page_token', params.pageToken);
    const res = await this.#http.call(
      {
        method: 'GET',
        url: `/crm/${this.#version}/${encodeURIComponent(module)}?${q.toString()}`,
        headers: params.since ? { 'If-Modified-Since': params.since } : {},
        credits: 1,
        what: `list ${module}`,
        signal,
      },
      (s) => s < 300 || s === 304,
    );
    if (res.status === 204 || res.status === 304 || res.bytes.length === 0) return undefined;
    const body = res.json<{
      data?: Record<string, unknown>[];
      info?: { next_page_token?: string | null; more_records?: boolean };
    }>();
    return {
      data: body.data ?? [],
      nextPageToken: body.info?.next_page_token ?? undefined,
      moreRecords: body.info?.more_records === true,
    };
  }

  /**
   * One page (200) of the deleted-records listing (`type=all`: recycle bin and permanently deleted), deleted after
   * `since`; undefined on 204 (none). 2 credits a call.
   */
  async deleted(
    module: string,
    params: { since: string; page: number },
    signal?: AbortSignal,
  ): Promise<{ data: ZohoDeletedRecord[]; moreRecords: boolean } | undefined> {
    const q = new URLSearchParams({ type: 'all', page: String(params.page), per_page: '200' });
    const res = await this.#http.call(
      {
        method: 'GET',
        url: `/crm/${this.#version}/${encodeURIComponent(module)}/deleted?${q.toString()}`,
        headers: { 'If-Modified-Since': params.since },
        credits: 2,
        what: `deleted ${module}`,
        signal,
      },
      (s) => s < 300 || s === 304,
    );
    if (res.status === 204 || res.status === 304 || res.bytes.length === 0) return undefined;
    const body = res.json<{ data?: Record<string, unknown>[]; info?: { more_records?: boolean } }>();
    const data: ZohoDeletedRecord[] = [];
    for (const row of body.data ?? []) {
      if (row['id'] === undefined || row['id'] === null || typeof row['deleted_time'] !== 'string') continue;
      data.push({ id: textOf(row['id']), deletedTime: row['deleted_time'] });
    }
    return { data, moreRecords: body.info?.more_records === true };
  }

  /** REST upsert of at most 100 records; one answer per record, in request order. */
  upsert(
    module: string,
    data: readonly Record<string, unknown>[],
    duplicateCheckFields: readonly string[],
    signal?: AbortSignal,
  ): Promise<ZohoRecordAnswer[]> {
    return this.#records(
      'POST',
      `/crm/${this.#version}/${encodeURIComponent(module)}/upsert`,
      { data, duplicate_check_fields: duplicateCheckFields, trigger: [] },
      data.length,
      `upsert ${data.length} ${module}`,
      signal,
    );
  }

  /** REST update by id of at most 100 records. */
  update(module: string, data: readonly Record<string, unknown>[], signal?: AbortSignal): Promise<ZohoRecordAnswer[]> {
    return this.#records(
      'PUT',
      `/crm/${this.#version}/${encodeURIComponent(module)}`,
      { data, trigger: [] },
      data.length,
      `update ${data.length} ${module}`,
      signal,
    );
  }

  /** REST delete of at most 100 ids. */
  async delete(module: string, ids: readonly string[], signal?: AbortSignal): Promise<ZohoRecordAnswer[]> {
    const res = await this.#http.call(
      {
        method: 'DELETE',
        url: `/crm/${this.#version}/${encodeURIComponent(module)}?ids=${ids.join(',')}`,
        credits: 1,
        what: `delete ${ids.length} ${module}`,
        signal,
      },
      (s) => s < 300 || s === 400,
    );
    return this.#answers(res, ids.length, `delete ${module}`);
  }

  /** Records matching a search criteria string (at most 200); [] on 204. */
  async search(module: string, criteria: string, signal?: AbortSignal): Promise<Record<string, unknown>[]> {
    const res = await this.#http.call({
      method: 'GET',
      url: `/crm/${this.#version}/${encodeURIComponent(module)}/search?criteria=${encodeURIComponent(criteria)}`,
      credits: 1,
      what: `search ${module}`,
      signal,
    });
    if (res.status === 204 || res.bytes.length === 0) return [];
    return res.json<{ data?: Record<string, unknown>[] }>().data ?? [];
  }

  /** Uploads a zip to the upload host (`feature: bulk-write`, `X-CRM-ORG`); returns the file id. */
  async upload(zip: Uint8Array, fileName: string, orgId: string, signal?: AbortSignal): Promise<string> {
    const form = new FormData();
    form.append('file', new Blob([zip], { type: 'application/zip' }), fileName);
    const res = await this.#http.call({
      method: 'POST',
      url: `${this.#uploadUrl}/crm/${this.#version}/upload`,
      headers: { feature: 'bulk-write', 'X-CRM-ORG': orgId },
      form,
      credits: 0,
      what: `upload ${fileName}`,
      signal,
    });
    const body = res.json<{ status?: string; details?: { file_id?: unknown } }>();
    if (body.details?.file_id === undefined) {
      const e = errorBody(res);
      throw new ZohoApiError(`Zoho upload answered without details.file_id: ${e.code} ${e.message}`, {
        status: res.status,
        zohoCode: e.code,
        url: 'upload',
      });
    }
    return textOf(body.details.file_id);
  }

  async createWriteJob(body: unknown, signal?: AbortSignal): Promise<string> {
    const res = await this.#http.call({
      method: 'POST',
      url: `/crm/bulk/${this.#version}/write`,
      json: body,
      credits: 500,
      what: 'bulk write job',
      signal,
      retryable: false,
    });
    const parsed = res.json<{ status?: string; details?: { id?: unknown } }>();
    if (parsed.status !== 'success' || parsed.details?.id === undefined) {
      const e = errorBody(res);
      throw new ZohoApiError(`Zoho did not create the bulk write job: ${e.code} ${e.message}`, {
        status: res.status,
        zohoCode: e.code,
        url: 'bulk write',
      });
    }
    return textOf(parsed.details.id);
  }

  /** Job details; undefined when Zoho no longer knows the job (404). */
  async writeJob(jobId: string, signal?: AbortSignal): Promise<WriteJobDetails | undefined> {
    const res = await this.#http.call(
      {
        method: 'GET',
        url: `/crm/bulk/${this.#version}/write/${jobId}`,
        credits: 1,
        what: `bulk write job ${jobId}`,
        signal,
      },
      (s) => s < 300 || s === 404,
    );
    if (res.status === 404) return undefined;
    const body = res.json<{ status?: string; result?: { download_url?: string } }>();
    return { status: String(body.status ?? ''), downloadUrl: body.result?.download_url };
  }

  /** Downloads a result file: a relative URL is resolved against the API domain, an absolute one used as is. */
  async download(url: string, what: string, signal?: AbortSignal): Promise<Buffer> {
    const res = await this.#http.call({
      method: 'GET',
      url: url.startsWith('/') || /^https?:/.test(url) ? url : `/${url}`,
      credits: 0,
      what,
      signal,
    });
    return res.bytes;
  }

  async createReadJob(query: unknown, signal?: AbortSignal): Promise<string> {
    const res = await this.#http.call({
      method: 'POST',
      url: `/crm/bulk/${this.#version}/read`,
      json: { query },
      credits: 50,
      what: 'bulk read job',
      signal,
      retryable: false,
    });
    const id = res.json<{ data?: { details?: { id?: unknown } }[] }>().data?.[0]?.details?.id;
    if (id === undefined) throw new UnavailableError('Zoho created a bulk read job without data[0].details.id', {});
    return textOf(id);
  }

  async readJob(jobId: string, signal?: AbortSignal): Promise<ReadJobDetails> {
    const res = await this.#http.call({
      method: 'GET',
      url: `/crm/bulk/${this.#version}/read/${jobId}`,
      credits: 1,
      what: `bulk read job ${jobId}`,
      signal,
    });
    const d = res.json<{
      data?: {
        state?: string;
        result?: {
          download_url?: string;
          more_records?: boolean;
          next_page_token?: string;
          error_message?: { message?: string };
        };
      }[];
    }>().data?.[0];
    return {
      state: String(d?.state ?? ''),
      downloadUrl: d?.result?.download_url,
      moreRecords: d?.result?.more_records === true,
      nextPageToken: d?.result?.next_page_token,
      errorMessage: d?.result?.error_message?.message,
    };
  }

  async #records(
    method: 'POST' | 'PUT',
    url: string,
    json: unknown,
    count: number,
    what: string,
    signal?: AbortSignal,
  ): Promise<ZohoRecordAnswer[]> {
    const res = await this.#http.call(
      { method, url, json, credits: Math.max(1, Math.ceil(count / 10)), what, signal },
      (s) => s < 300 || s === 400,
    );
    return this.#answers(res, count, what);
  }

  #answers(res: Awaited<ReturnType<ZohoHttp['call']>>, count: number, what: string): ZohoRecordAnswer[] {
    let data: unknown;
    try {
      data = res.json<{ data?: unknown }>().data;
    } catch {
      data = undefined;
    }
    if (!Array.isArray(data) || data.length !== count) {
      const e = errorBody(res);
      throw new ZohoApiError(`Zoho answered ${res.status} ${e.code} to ${what}: ${e.message}`, {
        status: res.status,
        zohoCode: e.code,
        url: what,
        details: e.details,
      });
    }
    return data.map((d: Record<string, unknown>) => ({
      status: textOf(d['status'] ?? ''),
      code: textOf(d['code'] ?? ''),
      message: textOf(d['message'] ?? ''),
      ...(typeof d['action'] === 'string' ? { action: d['action'] } : {}),
      ...(d['details'] && typeof d['details'] === 'object' ? { details: d['details'] as Record<string, unknown> } : {}),
    }));
  }
}
