import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { ConsoleContext } from '../console/console-context.js';
import { registerConsole } from '../console/console-plugin.js';
import { coerceError } from '../util/errors.js';
import type { RunKind } from './run-scheduler.js';
import type { ServeRunRow } from './serve-run-log.js';
import type { ServiceMetrics } from './service-metrics.js';
import type { ServiceState } from './service-state.js';

/** One dependency /readyz checks (the state store, each connector). Throws when it is not reachable. */
export interface ReadinessCheck {
  readonly name: string;
  /** How long a success is reused, in ms (a remote whose checks cost API calls); default 0. */
  readonly cacheMs?: number;
  check(signal: AbortSignal): Promise<void>;
}

export interface HttpApiOptions {
  readonly host: string;
  readonly port: number;
  /** The bearer token every route but /healthz requires. */
  readonly token: string;
  readonly sync: string;
  readonly objects: readonly string[];
  readonly state: ServiceState;
  readonly metrics: ServiceMetrics;
  readonly checks: readonly ReadinessCheck[];
  /** Longest one readiness check may take (ms). */
  readonly checkTimeoutMs?: number;
  enqueue(
    objects: readonly string[],
    kind: RunKind,
  ): Promise<readonly { readonly object: string; readonly jobId: string | null }[]>;
  serveRuns(runIds: readonly string[]): Promise<ReadonlyMap<string, ServeRunRow>>;
  /** False once the process is shutting down (readyz answers 503 then). */
  accepting(): boolean;
  /** The admin console under /ui (its own sign-in with the same token); none when absent. */
  readonly console?: ConsoleContext;
}

export interface RunningHttpApi {
  readonly url: string;
  close(): Promise<void>;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Whether a path is the console's (/ui and below): the console checks its session or the bearer header itself. */
const consolePath = (url: string) => url === '/ui' || url.startsWith('/ui/') || url.startsWith('/ui?');

/**
 * The HTTP endpoint of `tandem serve` (fastify): /healthz (no token), /readyz, /metrics, POST /runs, GET /runs,
 * GET /runs/:id, and the console under /ui. Binds to 127.0.0.1 unless told otherwise.
 */
export async function startHttpApi(options: HttpApiOptions): Promise<RunningHttpApi> {
  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  const expected = digest(options.token);

  const authorized = (request: FastifyRequest): boolean => {
    const header = request.headers.authorization;
    if (typeof header !== 'string' || !header.startsWith('Bearer ')) return false;
    return timingSafeEqual(digest(header.slice('Bearer '.length)), expected);
  };
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url === '/healthz') return;
    if (options.console && consolePath(request.url)) return;
    if (!authorized(request)) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({
        error: 'unauthorized',
        message: `send the API token as 'Authorization: Bearer <token>' (the value of the variable named in serve.tokenEnv)`,
      });
    }
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  const timeoutMs = options.checkTimeoutMs ?? 5000;
  const cache = new Map<string, { at: number; error: string | null }>();
  const runCheck = async (check: ReadinessCheck): Promise<string | null> => {
    const cached = cache.get(check.name);
    if (cached && Date.now() - cached.at < (check.cacheMs ?? 0)) return cached.error;
    let error: string | null = null;
    try {
      await check.check(AbortSignal.timeout(timeoutMs));
    } catch (thrown) {
      error = coerceError(thrown).message;
    }
    // Only successes are reused: a failing dependency is asked again at the next probe.
    if (error === null) cache.set(check.name, { at: Date.now(), error });
    else cache.delete(check.name);
    return error;
  };

  app.get('/readyz', async (_request, reply) => {
    const checks: Record<string, { ok: boolean; error?: string }> = {};
    const results = await Promise.all(options.checks.map(async (c) => [c.name, await runCheck(c)] as const));
    for (const [name, error] of results) checks[name] = error === null ? { ok: true } : { ok: false, error };
    let lastRun: { id: string; status: string } | null = null;
    try {
      const [run] = await options.state.recentRuns(1);
      if (run) lastRun = { id: run.id, status: run.status };
      checks['lastRun'] = run?.status === 'failed' ? { ok: false, error: `run ${run.id} failed` } : { ok: true };
    } catch (thrown) {
      checks['lastRun'] = { ok: false, error: coerceError(thrown).message };
    }
    if (!options.accepting()) checks['accepting'] = { ok: false, error: 'shutting down' };
    const ready = Object.values(checks).every((c) => c.ok);
    return reply.code(ready ? 200 : 503).send({ ready, checks, lastRun });
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await options.metrics.registry.metrics();
    return reply.header('content-type', options.metrics.registry.contentType).send(text);
  });

  app.post('/runs', async (request, reply) => {
    const body = (request.body ?? {}) as { full?: unknown; objects?: unknown };
    if (body.full !== undefined && typeof body.full !== 'boolean')
      return reply.code(400).send({ error: 'bad_request', message: 'full must be true or false' });
    if (
      body.objects !== undefined &&
      (!Array.isArray(body.objects) || !body.objects.every((o): o is string => typeof o === 'string'))
    )
      return reply.code(400).send({ error: 'bad_request', message: 'objects must be a list of object names' });
    const objects = body.objects ?? [...options.objects];
    const unknown = objects.filter((o) => !options.objects.includes(o));
    if (unknown.length > 0)
      return reply.code(400).send({
        error: 'unknown_object',
        message: `unknown object(s) ${unknown.join(', ')}; the config maps: ${options.objects.join(', ')}`,
      });
    const jobs = await options.enqueue(objects, body.full ? 'full' : 'increment');
    return reply.code(202).send({
      sync: options.sync,
      full: body.full === true,
      jobs: jobs.map((j) => ({ object: j.object, jobId: j.jobId, queued: j.jobId !== null })),
    });
  });

  app.get('/runs', async (request) => {
    const limit = Math.min(200, Math.max(1, Number((request.query as { limit?: string }).limit ?? 20) || 20));
    const runs = await options.state.recentRuns(limit);
    const served = await options.serveRuns(runs.map((r) => r.id));
    return { runs: runs.map((r) => ({ ...r, serve: served.get(r.id) ?? null })) };
  });

  app.get('/runs/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const run = await options.state.run(id);
    if (!run) return reply.code(404).send({ error: 'not_found', message: `no run ${id} in sync ${options.sync}` });
    const served = await options.serveRuns([run.id]);
    return { ...run, serve: served.get(run.id) ?? null };
  });

  if (options.console) await registerConsole(app, { token: options.token, context: options.console });

  const address = await app.listen({ host: options.host, port: options.port });
  return {
    url: address,
    async close() {
      await app.close();
    },
  };
}
