import { UnavailableError } from './errors.js';

/** Postgres SQLSTATEs that mean "this database or role is not there (or may not be used)", not a bug. */
const POSTGRES_UNAVAILABLE: Readonly<Record<string, string>> = Object.freeze({
  '3D000': 'the database does not exist',
  '28000': 'the role may not log in (invalid authorization)',
  '28P01': 'the password was rejected',
  '57P03': 'the server is starting up or shutting down',
  '53300': 'the server has too many connections',
});

/** Node/undici socket codes of a connection that never opened or was cut. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/**
 * Recognises an error thrown by a database driver or HTTP client when a system cannot be used at all (a database
 * or role that does not exist, a refused or unresolvable host, https spoken to a plain-http server) and returns it
 * as an `UnavailableError` (exit 4) with a plain message; anything else gives `undefined`. Walks the `cause` chain
 * (undici wraps socket errors in `fetch failed`). Messages carry the driver's own text, which never holds a secret.
 *
 * @example
 * ```ts
 * const error = connectionFailureOf(thrown) ?? thrown
 * ```
 */
export function connectionFailureOf(thrown: unknown): UnavailableError | undefined {
  for (let error = thrown, depth = 0; error !== null && typeof error === 'object' && depth < 8; depth += 1) {
    if (error instanceof UnavailableError) return error;
    const { code, message } = error as { code?: unknown; message?: unknown };
    const text = typeof message === 'string' ? message : '';
    if (typeof code === 'string') {
      const postgres = POSTGRES_UNAVAILABLE[code];
      if (postgres !== undefined)
        return new UnavailableError(
          `cannot use the Postgres database: ${text} (${postgres}, SQLSTATE ${code}). ` +
            'Check the url in tandem.yaml (erp.settings.url or state.url) and that the database and role exist (createdb, CREATE ROLE).',
          { code },
          thrown,
        );
      if (code.startsWith('ERR_SSL_') || code === 'EPROTO' || /wrong version number|packet length too long/i.test(text))
        return new UnavailableError(
          `TLS handshake failed (${code}): the server did not answer in TLS. ` +
            'An https:// URL probably points at a plain http:// server (or the port is wrong); fix the URL in tandem.yaml.',
          { code },
          thrown,
        );
      if (SOCKET_CODES.has(code))
        return new UnavailableError(
          `cannot connect: ${text || code}. Check that the host and port in tandem.yaml are right and the system is running.`,
          { code },
          thrown,
        );
    }
    if (/does not support SSL|The server does not support SSL connections/i.test(text))
      return new UnavailableError(
        `TLS mismatch: ${text}. Remove sslmode=require from the database url or enable SSL on the server.`,
        {},
        thrown,
      );
    error = (error as { cause?: unknown }).cause;
  }
  return undefined;
}
