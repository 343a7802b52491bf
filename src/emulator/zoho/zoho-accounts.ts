import { randomBytes } from 'node:crypto';

/** What the token endpoint answers: always HTTP 200 with either tokens or `{"error": ...}`, as Zoho Accounts does. */
export type TokenAnswer =
  | {
      readonly ok: true;
      readonly body: {
        access_token: string;
        refresh_token?: string;
        api_domain: string;
        token_type: 'Bearer';
        expires_in: number;
        scope?: string;
      };
    }
  | { readonly ok: false; readonly body: { error: string; error_description?: string } };

export interface ZohoAccountsSettings {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Refresh tokens that exist from the start (e.g. the one handed to tandem). */
  readonly refreshTokens: readonly string[];
  /** The authorization code the code grant accepts (once per refresh token minted). */
  readonly authorizationCode: string;
  /** Access tokens a refresh token may mint per window (Zoho: 10 per 10 minutes). */
  readonly refreshLimit: number;
  readonly refreshWindowMs: number;
  /** Active access tokens per refresh token (Zoho: 30; the 31st removes the oldest). */
  readonly maxActiveTokens: number;
  /** Access token lifetime in seconds (Zoho: 3600). */
  readonly tokenTtlSeconds: number;
  readonly scope: string;
}

interface AccessTokenState {
  readonly refreshToken: string;
  readonly expiresAt: number;
}

/**
 * Zoho Accounts' `/oauth/v2/token`: the refresh-token and authorization-code grants, from the query string or a form
 * body. Errors come inside a 200 answer (`{"error":"invalid_code"}`), and a refresh token that mints more than
 * `refreshLimit` access tokens in `refreshWindowMs` is blocked for the rest of the window.
 *
 * @example
 * ```ts
 * const answer = accounts.grant(new URLSearchParams('grant_type=refresh_token&client_id=…&client_secret=…&refresh_token=…'), origin)
 * ```
 */
export class ZohoAccounts {
  readonly #settings: ZohoAccountsSettings;
  readonly #refreshTokens = new Set<string>();
  /** Refresh token -> times (ms) it minted access tokens within the window. */
  readonly #mints = new Map<string, number[]>();
  readonly #accessTokens = new Map<string, AccessTokenState>();
  /** Refresh-grant answers refused by the rate limit (statistics). */
  rateLimited = 0;
  /** Access tokens minted (statistics). */
  minted = 0;
  now: () => number = () => Date.now();

  constructor(settings: ZohoAccountsSettings) {
    this.#settings = settings;
    for (const token of settings.refreshTokens) this.#refreshTokens.add(token);
  }

  /** Handles one token request (params merged from the query string and the form body). */
  grant(params: URLSearchParams, apiDomain: string, ttlOverrideSeconds?: number): TokenAnswer {
    const s = this.#settings;
    if (params.get('client_id') !== s.clientId || params.get('client_secret') !== s.clientSecret) {
      return { ok: false, body: { error: 'invalid_client' } };
    }
    const grantType = params.get('grant_type');
    const ttl = ttlOverrideSeconds ?? s.tokenTtlSeconds;
    if (grantType === 'authorization_code') {
      if (params.get('code') !== s.authorizationCode) return { ok: false, body: { error: 'invalid_code' } };
      const refreshToken = `1000.${randomBytes(16).toString('hex')}.${randomBytes(16).toString('hex')}`;
      this.#refreshTokens.add(refreshToken);
      const accessToken = this.#mint(refreshToken, ttl);
      return {
        ok: true,
        body: {
          access_token: accessToken,
          refresh_token: refreshToken,
          api_domain: apiDomain,
          token_type: 'Bearer',
          expires_in: ttl,
        },
      };
    }
    if (grantType !== 'refresh_token') return { ok: false, body: { error: 'unsupported_grant_type' } };
    const refreshToken = params.get('refresh_token') ?? '';
    if (!this.#refreshTokens.has(refreshToken)) return { ok: false, body: { error: 'invalid_code' } };
    const now = this.now();
    const recent = (this.#mints.get(refreshToken) ?? []).filter((t) => now - t < s.refreshWindowMs);
    if (recent.length >= s.refreshLimit) {
      this.rateLimited += 1;
      this.#mints.set(refreshToken, recent);
      return {
        ok: false,
        body: {
          error: 'Access Denied',
          error_description: 'You have made too many requests continuously. Please try again after some time.',
        },
      };
    }
    recent.push(now);
    this.#mints.set(refreshToken, recent);
    const accessToken = this.#mint(refreshToken, ttl);
    return {
      ok: true,
      body: { access_token: accessToken, scope: s.scope, api_domain: apiDomain, token_type: 'Bearer', expires_in: ttl },
    };
  }

  /** 'valid', 'invalid' (unknown, revoked or expired). */
  check(accessToken: string): 'valid' | 'invalid' {
    const state = this.#accessTokens.get(accessToken);
    if (!state) return 'invalid';
    if (this.now() >= state.expiresAt) {
      this.#accessTokens.delete(accessToken);
      return 'invalid';
    }
    return 'valid';
  }

  /** Expires every access token (fault injection: the next call gets INVALID_TOKEN). */
  revokeAccessTokens(): void {
    this.#accessTokens.clear();
  }

  /** Forgets the refresh-grant history (admin API, tests). */
  resetRefreshLimits(): void {
    this.#mints.clear();
  }

  #mint(refreshToken: string, ttlSeconds: number): string {
    const token = `1000.${randomBytes(16).toString('hex')}.${randomBytes(16).toString('hex')}`;
    this.#accessTokens.set(token, { refreshToken, expiresAt: this.now() + ttlSeconds * 1000 });
    this.minted += 1;
    const mine = [...this.#accessTokens].filter(([, v]) => v.refreshToken === refreshToken);
    for (const [old] of mine.slice(0, Math.max(0, mine.length - this.#settings.maxActiveTokens))) {
      this.#accessTokens.delete(old);
    }
    return token;
  }
}
