import { createHash } from 'node:crypto';
import { request, type Dispatcher } from 'undici';
import { UnavailableError } from '../../util/errors.js';
import { ZohoAuthError } from './zoho-errors.js';

/** An access token, the API domain it was issued for, and when to stop using it (epoch ms). */
export interface ZohoAccessToken {
  readonly accessToken: string;
  readonly apiDomain: string | undefined;
  readonly expiresAt: number;
}

export interface ZohoOAuthCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly refreshToken: string;
}

/** Zoho: a refresh token mints at most 10 access tokens per 10 minutes (then it is blocked for the window). */
export const REFRESH_LIMIT = 10;
export const REFRESH_WINDOW_MS = 10 * 60_000;
/** Tokens are renewed this long before they expire. */
const EXPIRY_MARGIN_MS = 60_000;

interface SharedState {
  current: ZohoAccessToken | undefined;
  pending: Promise<ZohoAccessToken> | undefined;
  /** When this process minted access tokens with the refresh token (for the local guard). */
  readonly mints: number[];
}

/** One cache per (accounts server, client, refresh token) for the whole process: every connector shares it. */
const SHARED = new Map<string, SharedState>();

/**
 * Access tokens from Zoho Accounts' refresh-token grant, cached and shared by every connector of the process with
 * the same credentials: concurrent callers wait for one request, a token is reused until a minute before it
 * expires, and `invalidate` (after INVALID_TOKEN) only drops the token it names. A refresh token may mint 10 access
 * tokens per 10 minutes; a 10th mint within the window is refused locally before Zoho blocks the refresh token.
 *
 * @example
 * ```ts
 * const tokens = new ZohoTokenProvider('https://accounts.zoho.eu', { clientId, clientSecret, refreshToken }, agent)
 * const { accessToken } = await tokens.getToken()
 * ```
 */
export class ZohoTokenProvider {
  readonly #accountsUrl: string;
  readonly #credentials: ZohoOAuthCredentials;
  readonly #dispatcher: Dispatcher | undefined;
  readonly #state: SharedState;
  now: () => number = () => Date.now();

  constructor(accountsUrl: string, credentials: ZohoOAuthCredentials, dispatcher?: Dispatcher) {
    this.#accountsUrl = accountsUrl.replace(/\/+$/, '');
    this.#credentials = credentials;
    this.#dispatcher = dispatcher;
    const key = `${this.#accountsUrl}|${credentials.clientId}|${createHash('sha256').update(credentials.refreshToken).digest('hex')}`;
    let state = SHARED.get(key);
    if (!state) {
      state = { current: undefined, pending: undefined, mints: [] };
      SHARED.set(key, state);
    }
    this.#state = state;
  }

  /** Access tokens this process minted with the refresh token within the last window. */
  get recentMints(): number {
    const now = this.now();
    return this.#state.mints.filter((t) => now - t < REFRESH_WINDOW_MS).length;
  }

  async getToken(signal?: AbortSignal): Promise<ZohoAccessToken> {
    const s = this.#state;
    if (s.current && this.now() < s.current.expiresAt) return s.current;
    s.pending ??= this.#fetch(signal).finally(() => {
      s.pending = undefined;
    });
    return s.pending;
  }

  /** Drops `token` after Zoho answered INVALID_TOKEN for it (a newer token is kept). */
  invalidate(token: ZohoAccessToken): void {
    if (this.#state.current?.accessToken === token.accessToken) this.#state.current = undefined;
  }

  async #fetch(signal: AbortSignal | undefined): Promise<ZohoAccessToken> {
    const now = this.now();
    const recent = this.#state.mints.filter((t) => now - t < REFRESH_WINDOW_MS);
    this.#state.mints.splice(0, this.#state.mints.length, ...recent);
    if (recent.length >= REFRESH_LIMIT - 1) {
      throw new ZohoAuthError(
        `refused to refresh the Zoho access token: this process already minted ${recent.length} in the last 10 minutes and Zoho blocks a refresh token after ${REFRESH_LIMIT}. ` +
          'Something invalidates tokens repeatedly (check the clock and that no other client uses this refresh token); wait 10 minutes.',
        { recentMints: recent.length, limit: REFRESH_LIMIT },
      );
    }
    const body = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: this.#credentials.clientId,
      client_secret: this.#credentials.clientSecret,
      refresh_token: this.#credentials.refreshToken,
    }).toString();
    let text: string;
    let status: number;
    try {
      const res = await request(`${this.#accountsUrl}/oauth/v2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        ...(this.#dispatcher ? { dispatcher: this.#dispatcher } : {}),
        ...(signal ? { signal } : {}),
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (cause) {
      throw new UnavailableError(
        `cannot reach Zoho Accounts at ${this.#accountsUrl}: ${(cause as Error).message}`,
        { accountsUrl: this.#accountsUrl },
        cause,
      );
    }
    this.#state.mints.push(this.now());
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new ZohoAuthError(
        `Zoho Accounts answered HTTP ${status} without JSON at ${this.#accountsUrl}/oauth/v2/token`,
        {
          status,
        },
      );
    }
    // Zoho reports failures inside a 2xx body: trust the body, not the status.
    const accessToken = parsed['access_token'];
    if (typeof accessToken !== 'string' || accessToken === '') {
      const error = typeof parsed['error'] === 'string' ? parsed['error'] : `HTTP ${status}`;
      const hint =
        error === 'invalid_client'
          ? 'check crm.auth.clientId and crm.auth.clientSecret (and the data centre: a client belongs to one)'
          : error === 'invalid_code'
            ? 'the refresh token is unknown or revoked: generate a new one (access_type=offline, prompt=consent)'
            : error === 'Access Denied'
              ? 'the refresh token minted too many access tokens (10 per 10 minutes); wait 10 minutes'
              : 'see Zoho Accounts OAuth documentation';
      throw new ZohoAuthError(`Zoho Accounts refused the refresh-token grant: ${error}; ${hint}`, {
        error,
        accountsUrl: this.#accountsUrl,
      });
    }
    const expiresIn =
      typeof parsed['expires_in_sec'] === 'number' ? parsed['expires_in_sec'] : Number(parsed['expires_in'] ?? 3600);
    // Older answers gave expires_in in milliseconds.
    const seconds = expiresIn > 100_000 ? expiresIn / 1000 : expiresIn;
    const token: ZohoAccessToken = {
      accessToken,
      apiDomain: typeof parsed['api_domain'] === 'string' ? parsed['api_domain'] : undefined,
      expiresAt: this.now() + Math.max(0, seconds * 1000 - EXPIRY_MARGIN_MS),
    };
    this.#state.current = token;
    return token;
  }
}
