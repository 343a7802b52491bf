import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';

/** The methods an emulator route answers (with the protocol's 405 where a resource does not allow one). */
export const HTTP_METHODS = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** A protocol's error answer: status, content type and body (already serialised). */
export interface ProtocolErrorReply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export interface EmulatorAppOptions {
  /** Default body limit in bytes (routes may set their own). */
  readonly bodyLimit: number;
  readonly keepAliveTimeout?: number;
  /** Node's requestTimeout; 0 = none (large uploads over slow links). Default: fastify's. */
  readonly requestTimeout?: number;
  /** Close open connections on close, requests in flight included (default: only idle ones). */
  readonly forceCloseConnections?: boolean;
  /** Whether GET routes also answer HEAD (fastify's default); false leaves HEAD to the route's own method check. */
  readonly headRoutes?: boolean;
  /** `/a/b/` finds the route `/a/b`. */
  readonly ignoreTrailingSlash?: boolean;
  /**
   * The answer to requests fastify refuses before routing (a malformed URL escape, a malformed HTTP request), in the
   * protocol's shape, so that no fastify default body ever reaches a client.
   */
  readonly badRequest: (message: string) => ProtocolErrorReply;
}

/**
 * A fastify instance set up as every emulator needs it: no request logging (a bulk run makes thousands of requests),
 * no content-type parsers (each emulator registers its own, raw where the protocol sends CSV, zip or forms), and the
 * protocol's own 400 for what fastify refuses before any route or hook runs.
 */
export function createEmulatorApp(options: EmulatorAppOptions): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit,
    ...(options.keepAliveTimeout === undefined ? {} : { keepAliveTimeout: options.keepAliveTimeout }),
    ...(options.requestTimeout === undefined ? {} : { requestTimeout: options.requestTimeout }),
    exposeHeadRoutes: options.headRoutes ?? true,
    forceCloseConnections: options.forceCloseConnections ?? 'idle',
    routerOptions: { ignoreTrailingSlash: options.ignoreTrailingSlash ?? false },
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      const answer = options.badRequest(error.message);
      void reply.code(answer.status).header('content-type', answer.contentType).send(answer.body);
    },
    clientErrorHandler: (error, socket) => {
      if (!socket.writable) return;
      const answer = options.badRequest(error.message);
      socket.end(
        `HTTP/1.1 ${answer.status} Bad Request\r\nConnection: close\r\nContent-Type: ${answer.contentType}\r\n` +
          `Content-Length: ${Buffer.byteLength(answer.body)}\r\n\r\n${answer.body}`,
      );
    },
  });
  app.removeAllContentTypeParsers();
  return app;
}

/** Whether an error is fastify's refusal of a body larger than the route's limit. */
export function isBodyTooLarge(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'FST_ERR_CTP_BODY_TOO_LARGE';
}

/** The client-side status (4xx) fastify put on an error of its own (a bad Content-Length, ...), if any. */
export function clientStatusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/**
 * Listens and returns the emulator's origin. `bound` names the address the socket is bound to (`0.0.0.0` stays
 * `0.0.0.0`); `loopback` names the one fastify reports as reachable (127.0.0.1 for `0.0.0.0` and `localhost`).
 */
export async function listenEmulator(
  app: FastifyInstance,
  where: { readonly port: number; readonly host: string },
  style: 'bound' | 'loopback',
): Promise<string> {
  const reported = await app.listen({ port: where.port, host: where.host });
  if (style === 'loopback') return reported.replace('localhost', '127.0.0.1');
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

export interface StatePersistenceOptions {
  /** Where state is saved; undefined = memory only (save does nothing). */
  readonly dataDir: string | undefined;
  /** Grows on every change; a save happens only when it moved since the last one. */
  readonly version: () => number;
  /** Writes the state into dataDir. */
  readonly write: (dataDir: string) => Promise<void>;
  readonly logger: Logger;
  /** Logged (with the error) when a save fails. */
  readonly failureMessage: string;
  readonly intervalMs: number;
}

/** Saving of an emulator's records: every `intervalMs` when changed, and on demand (on close); saves never overlap. */
export interface StatePersistence {
  save(): Promise<void>;
  /** Stops the periodic save. */
  stop(): void;
}

export function persistState(options: StatePersistenceOptions): StatePersistence {
  const { dataDir, logger } = options;
  let savedVersion = options.version();
  let saving: Promise<void> = Promise.resolve();
  const save = (): Promise<void> => {
    if (dataDir === undefined || options.version() === savedVersion) return saving;
    const version = options.version();
    saving = saving
      .then(() => options.write(dataDir))
      .then(
        () => {
          savedVersion = version;
        },
        (error: unknown) => logger.error({ err: error }, options.failureMessage),
      );
    return saving;
  };
  const timer = dataDir === undefined ? undefined : setInterval(() => void save(), options.intervalMs);
  timer?.unref();
  return {
    save,
    stop: () => {
      if (timer) clearInterval(timer);
    },
  };
}

/** Wraps a shutdown so that every call shares the first one's promise ("safe to call twice"). */
export function closeOnce(shutdown: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= shutdown();
    return closing;
  };
}
