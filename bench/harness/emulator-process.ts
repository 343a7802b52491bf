import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { processCpuMs } from './proc-stat.js';

/** A Salesforce emulator in its own process (so its memory never counts as tandem's). */
export interface EmulatorProcess {
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly pid: number;
  /** CPU time (user + system) of the emulator process so far, ms (from /proc/<pid>/stat; NaN where unreadable). */
  cpuMs(): number;
  /**
   * The emulator's own processing time of every Bulk API ingest job it ran (`totalProcessingTime`, from InProgress to
   * the end), summed, ms. Makes HTTP calls (a token, the job list, one per job): read `httpRequests` first.
   */
  ingestProcessingMs(): Promise<number>;
  /** Total HTTP requests the emulator answered so far (the admin call that reads it included). */
  httpRequests(): Promise<number>;
  /** Inserts (no Id) or updates (with Id) records through the admin API, as a CRM user would edit them. */
  saveRecords(object: string, records: readonly Record<string, unknown>[]): Promise<readonly string[]>;
  /** Every record of an object (admin API; for small objects). */
  listRecords(object: string): Promise<readonly Record<string, unknown>[]>;
  close(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/**
 * Starts `tandem emulator salesforce --port 0` in a child process and waits for its URL.
 *
 * @example
 * ```ts
 * const sf = await startEmulatorProcess()
 * try { ... sf.url ... } finally { await sf.close() }
 * ```
 */
export async function startEmulatorProcess(
  options: {
    readonly queryPageSize?: number;
    /** Node flags of the emulator process; default a 16 GB heap limit (a measurement of its memory passes none). */
    readonly nodeArgs?: readonly string[];
    /** Sees everything the emulator prints on stdout (e.g. the lines of `--trace-gc`). */
    readonly onStdout?: (text: string) => void;
  } = {},
): Promise<EmulatorProcess> {
  const extra = options.queryPageSize ? ['--query-page-size', String(options.queryPageSize)] : [];
  // The admin API needs a token; the harness makes one and hands it to the child through its environment.
  const adminToken = randomBytes(24).toString('base64url');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? ['--max-old-space-size=16384']),
      '--import',
      'tsx',
      MAIN,
      'emulator',
      'salesforce',
      '--port',
      '0',
      '--daily-api-requests',
      '10000000',
      ...extra,
    ],
    {
      env: { ...process.env, TANDEM_LOG_LEVEL: 'warn', TANDEM_EMULATOR_ADMIN_TOKEN: adminToken },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-8000)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      options.onStdout?.(d);
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`emulator exited (${code}) before listening:\n${stderr}`)));
  });
  const admin = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> => {
    const res = await request(`${url}/__emulator${path}`, {
      method,
      headers: {
        authorization: `Bearer ${adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const parsed = await res.body.json();
    if (res.statusCode !== 200)
      throw new Error(`emulator admin ${method} ${path}: ${res.statusCode} ${JSON.stringify(parsed).slice(0, 500)}`);
    return parsed;
  };
  const clientId = 'tandem-emulator';
  const clientSecret = 'tandem-emulator-secret';
  return {
    url,
    clientId,
    clientSecret,
    pid: child.pid ?? -1,
    cpuMs() {
      return processCpuMs(child.pid ?? -1) ?? Number.NaN;
    },
    async ingestProcessingMs() {
      const token = await bulkToken(url, clientId, clientSecret);
      const api = async (path: string): Promise<Record<string, unknown>> => {
        const res = await request(`${url}/services/data/v62.0${path}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const body = (await res.body.json()) as Record<string, unknown>;
        if (res.statusCode !== 200) throw new Error(`emulator GET ${path}: ${res.statusCode}`);
        return body;
      };
      const list = (await api('/jobs/ingest')) as { records: { id: string }[] };
      let total = 0;
      for (const job of list.records)
        total += Number((await api(`/jobs/ingest/${job.id}`))['totalProcessingTime'] ?? 0);
      return total;
    },
    async httpRequests() {
      return ((await admin('GET', '/stats')) as { httpRequests: number }).httpRequests;
    },
    async saveRecords(object, records) {
      const results = (await admin('POST', `/objects/${object}/records`, { records })) as {
        id?: string;
        success: boolean;
        errors: unknown[];
      }[];
      const failed = results.find((r) => !r.success);
      if (failed) throw new Error(`emulator refused a record: ${JSON.stringify(failed.errors)}`);
      return results.map((r) => r.id ?? '');
    },
    async listRecords(object) {
      return ((await admin('GET', `/objects/${object}/records`)) as { records: Record<string, unknown>[] }).records;
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** An access token of the emulator's client-credentials flow (the harness's own calls to the Bulk API). */
export async function bulkToken(url: string, clientId: string, clientSecret: string): Promise<string> {
  const res = await request(`${url}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    }).toString(),
  });
  const body = (await res.body.json()) as { access_token?: string };
  if (res.statusCode !== 200 || !body.access_token) throw new Error(`emulator token: ${res.statusCode}`);
  return body.access_token;
}
