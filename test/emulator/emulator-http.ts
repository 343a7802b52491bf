import { Readable } from 'node:stream';
import { request } from 'undici';
import type { RunningSalesforceEmulator } from '../../src/emulator/salesforce/index.js';

/** A raw HTTP client for the emulator tests: undici, real sockets, no Salesforce library in between. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
  readonly buffer: Buffer;
  json<T = unknown>(): T;
}

export async function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer | AsyncIterable<string> } = {},
): Promise<RawResponse> {
  const res =
    options.body === undefined
      ? await request(url, { method: (options.method ?? 'GET') as 'GET', headers: options.headers ?? {} })
      : await request(url, {
          method: (options.method ?? 'GET') as 'GET',
          headers: options.headers ?? {},
          body:
            typeof options.body === 'string' || Buffer.isBuffer(options.body)
              ? options.body
              : Readable.from(options.body),
        });
  const buffer = Buffer.from(await res.body.arrayBuffer());
  const text = buffer.toString('utf8');
  return { status: res.statusCode, headers: res.headers, text, buffer, json: <T>() => JSON.parse(text) as T };
}

/** A request to the emulator's admin API, with its bearer token. */
export async function adminRequest(
  sf: Pick<RunningSalesforceEmulator, 'url' | 'adminToken'>,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return raw(`${sf.url}${path}`, {
    ...options,
    headers: { ...options.headers, authorization: `Bearer ${sf.adminToken}` },
  });
}

export async function token(sf: RunningSalesforceEmulator): Promise<string> {
  const res = await raw(`${sf.url}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: sf.clientId,
      client_secret: sf.clientSecret,
    }).toString(),
  });
  if (res.status !== 200) throw new Error(`token: ${res.status} ${res.text}`);
  return res.json<{ access_token: string }>().access_token;
}

/** Calls the REST API under /services/data/v62.0 with a bearer token. */
export function api(sf: RunningSalesforceEmulator, accessToken: string, version = '62.0') {
  return (
    path: string,
    options: {
      method?: string;
      json?: unknown;
      csv?: string | AsyncIterable<string>;
      headers?: Record<string, string>;
    } = {},
  ) => {
    const headers: Record<string, string> = { authorization: `Bearer ${accessToken}`, ...(options.headers ?? {}) };
    let body: string | AsyncIterable<string> | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.csv !== undefined) {
      headers['content-type'] = 'text/csv';
      body = options.csv;
    }
    return raw(`${sf.url}/services/data/v${version}${path}`, {
      method: options.method ?? 'GET',
      headers,
      ...(body === undefined ? {} : { body }),
    });
  };
}

export type Api = ReturnType<typeof api>;

/** Polls a job until it leaves UploadComplete/InProgress (10 ms steps, 10 s cap). */
export async function waitForJob(call: Api, kind: 'ingest' | 'query', id: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const info = (await call(`/jobs/${kind}/${id}`)).json<Record<string, unknown>>();
    if (info['state'] !== 'UploadComplete' && info['state'] !== 'InProgress') return info;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${String(info['state'])}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs an ingest job end to end over raw HTTP; returns its final info. */
export async function ingest(
  call: Api,
  job: Record<string, unknown>,
  csv: string,
): Promise<Record<string, unknown> & { id: string }> {
  const created = await call('/jobs/ingest', { method: 'POST', json: job });
  if (created.status !== 200) throw new Error(`create: ${created.status} ${created.text}`);
  const id = created.json<{ id: string }>().id;
  const put = await call(`/jobs/ingest/${id}/batches`, { method: 'PUT', csv });
  if (put.status !== 201) throw new Error(`upload: ${put.status} ${put.text}`);
  await call(`/jobs/ingest/${id}`, { method: 'PATCH', json: { state: 'UploadComplete' } });
  return { ...(await waitForJob(call, 'ingest', id)), id };
}
