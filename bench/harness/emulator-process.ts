import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';

/** A Salesforce emulator in its own process (so its memory never counts as tandem's). */
export interface EmulatorProcess {
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
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
  options: { readonly queryPageSize?: number } = {},
): Promise<EmulatorProcess> {
  const extra = options.queryPageSize ? ['--query-page-size', String(options.queryPageSize)] : [];
  // The admin API needs a token; the harness makes one and hands it to the child through its environment.
  const adminToken = randomBytes(24).toString('base64url');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--max-old-space-size=16384',
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
  return {
    url,
    clientId: 'tandem-emulator',
    clientSecret: 'tandem-emulator-secret',
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
