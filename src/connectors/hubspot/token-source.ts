import { request, type Dispatcher } from 'undici';
import { HubSpotAuthError } from './hubspot-errors.js';
import type { HubSpotSettings } from './hubspot-settings.js';
import { textOf } from '../../util/text-of.js';

/** Where the bearer token comes from: a private app token, or OAuth access tokens refreshed from a refresh token. */
export interface TokenSource {
  token(signal?: AbortSignal): Promise<string>;
  /** Forgets the current token after a 401 (true when a new one can be had). */
  invalidate(): boolean;
  /** Token endpoint calls made (statistics). */
  readonly refreshes: number;
}

export function tokenSourceFor(settings: HubSpotSettings, dispatcher: Dispatcher): TokenSource {
  const auth = settings.auth;
  if (auth.kind === 'private-app') {
    return { token: () => Promise.resolve(auth.accessToken), invalidate: () => false, refreshes: 0 };
  }
  return new OAuthRefreshTokenSource(
    {
      tokenUrl: auth.tokenUrl ?? `${settings.baseUrl.replace(/\/+$/, '')}/oauth/v3/token`,
      clientId: auth.clientId,
      clientSecret: auth.clientSecret,
      refreshToken: auth.refreshToken,
    },
    dispatcher,
  );
}

/**
 * OAuth 2.0 refresh-token grant. Access tokens live 30 minutes: a new one is fetched before expiry (a minute or a
 * tenth of its life early) and after a 401; concurrent callers share one refresh. The refresh token HubSpot returns
 * replaces the old one (whether it rotates is unconfirmed). Secrets never appear in errors.
 */
export class OAuthRefreshTokenSource implements TokenSource {
  readonly #config: { tokenUrl: string; clientId: string; clientSecret: string; refreshToken: string };
  readonly #dispatcher: Dispatcher;
  #current: { token: string; refreshAt: number } | undefined;
  #pending: Promise<string> | undefined;
  refreshes = 0;

  constructor(
    config: { tokenUrl: string; clientId: string; clientSecret: string; refreshToken: string },
    dispatcher: Dispatcher,
  ) {
    this.#config = { ...config };
    this.#dispatcher = dispatcher;
  }

  async token(signal?: AbortSignal): Promise<string> {
    if (this.#current && Date.now() < this.#current.refreshAt) return this.#current.token;
    this.#pending ??= this.#refresh(signal).finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  invalidate(): boolean {
    this.#current = undefined;
    return true;
  }

  async #refresh(signal?: AbortSignal): Promise<string> {
    this.refreshes++;
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: this.#config.clientId,
      client_secret: this.#config.clientSecret,
      refresh_token: this.#config.refreshToken,
    });
    const started = Date.now();
    const res = await request(this.#config.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      dispatcher: this.#dispatcher,
      ...(signal ? { signal } : {}),
    });
    const text = await res.body.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Reported below with the status.
    }
    if (res.statusCode !== 200 || typeof body['access_token'] !== 'string') {
      const error = textOf(body['error'] ?? body['status'] ?? `HTTP_${res.statusCode}`);
      throw new HubSpotAuthError(
        `HubSpot's token endpoint refused the refresh (${res.statusCode} ${error}: ${textOf(body['error_description'] ?? body['message'] ?? '')}). ` +
          'Fix: check auth.clientId, auth.clientSecret and auth.refreshToken (re-install the app for a new refresh token).',
        { tokenUrl: this.#config.tokenUrl, status: res.statusCode, error },
      );
    }
    const ttlMs = Math.max(0, Number(body['expires_in'] ?? 1800) * 1000);
    if (typeof body['refresh_token'] === 'string' && body['refresh_token'] !== '')
      this.#config.refreshToken = body['refresh_token'];
    const margin = Math.min(60_000, ttlMs / 10);
    this.#current = { token: body['access_token'], refreshAt: started + ttlMs - margin };
    return body['access_token'];
  }
}
