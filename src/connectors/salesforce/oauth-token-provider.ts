import { createPrivateKey } from 'node:crypto';
import { SignJWT } from 'jose';
import { UnavailableError } from '../../util/errors.js';
import { SalesforceAuthError } from './errors.js';
import type { HttpClient } from './http-client.js';

/** An access token and the instance it is valid for. */
export interface AccessToken {
  readonly accessToken: string;
  /** `instance_url` from the token response, e.g. `https://acme.my.salesforce.com`. */
  readonly instanceUrl: string;
  /** Epoch ms after which the token is not used any more (Infinity when the server gave no lifetime). */
  readonly expiresAt: number;
}

/**
 * Where API calls get their bearer token. `withAuth` calls `getToken` before each call and `invalidate` on a 401
 * INVALID_SESSION_ID, so the next `getToken` fetches a fresh one.
 */
export interface TokenProvider {
  getToken(signal?: AbortSignal): Promise<AccessToken>;
  invalidate(token: AccessToken): void;
}

/** The two server-to-server OAuth 2.0 flows tandem supports. */
export type OAuthCredentials =
  | { readonly flow: 'client_credentials'; readonly clientId: string; readonly clientSecret: string }
  | {
      readonly flow: 'jwt';
      readonly clientId: string;
      readonly username: string;
      readonly privateKeyPem: string;
      /** The JWT `aud`; default the login URL's origin. */
      readonly audience?: string | undefined;
    };

/** How long a JWT assertion stays valid: Salesforce wants "a few minutes". */
const JWT_LIFETIME_SECONDS = 180;

/**
 * Fetches tokens from `{loginUrl}/services/oauth2/token` with the client credentials or the JWT bearer flow and
 * caches one until it expires or is invalidated. Concurrent callers share one request.
 *
 * @example
 * ```ts
 * const tokens = new OAuthTokenProvider(http, 'https://acme.my.salesforce.com', { flow: 'client_credentials', clientId, clientSecret })
 * const { accessToken, instanceUrl } = await tokens.getToken()
 * ```
 */
export class OAuthTokenProvider implements TokenProvider {
  readonly #http: HttpClient;
  readonly #loginUrl: string;
  readonly #credentials: OAuthCredentials;
  #current: AccessToken | undefined;
  #pending: Promise<AccessToken> | undefined;
  #fetches = 0;

  constructor(http: HttpClient, loginUrl: string, credentials: OAuthCredentials) {
    this.#http = http;
    this.#loginUrl = loginUrl.replace(/\/+$/, '');
    this.#credentials = credentials;
  }

  /** Tokens fetched so far (for tests and statistics). */
  get fetches(): number {
    return this.#fetches;
  }

  async getToken(signal?: AbortSignal): Promise<AccessToken> {
    const current = this.#current;
    if (current && Date.now() < current.expiresAt) return current;
    this.#pending ??= this.#fetch(signal).finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  invalidate(token: AccessToken): void {
    if (this.#current?.accessToken === token.accessToken) this.#current = undefined;
  }

  async #fetch(signal: AbortSignal | undefined): Promise<AccessToken> {
    const tokenUrl = `${this.#loginUrl}/services/oauth2/token`;
    const form = new URLSearchParams();
    const c = this.#credentials;
    if (c.flow === 'client_credentials') {
      form.set('grant_type', 'client_credentials');
      form.set('client_id', c.clientId);
      form.set('client_secret', c.clientSecret);
    } else {
      form.set('grant_type', 'urn:ietf:params:oauth:grant-type:jwt-bearer');
      form.set('assertion', await this.#assertion(c));
    }
    this.#fetches += 1;
    // A token request changes nothing on the server, so it may be retried like a GET.
    const response = await this.#http(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      idempotent: true,
      ...(signal ? { signal } : {}),
    });
    const text = await response.body.text();
    let body: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === 'object') body = parsed as Record<string, unknown>;
    } catch {
      // Reported below with the status.
    }
    if (response.statusCode !== 200 || typeof body['access_token'] !== 'string') {
      const oauthError = typeof body['error'] === 'string' ? body['error'] : `HTTP_${response.statusCode}`;
      const description =
        typeof body['error_description'] === 'string' ? body['error_description'] : text.slice(0, 200);
      const context = { flow: c.flow, tokenUrl, status: response.statusCode, oauthError, description };
      if (response.statusCode >= 500 || response.statusCode === 429) {
        throw new UnavailableError(
          `Salesforce token endpoint ${tokenUrl} is unavailable: ${response.statusCode} ${oauthError}`,
          context,
        );
      }
      throw new SalesforceAuthError(
        `Salesforce login (${c.flow} flow, client id ${c.clientId}) failed at ${tokenUrl}: ${oauthError}: ${description}. ` +
          (c.flow === 'client_credentials'
            ? 'Check clientId/clientSecret, that the connected app allows the client credentials flow, and that loginUrl is the My Domain URL.'
            : 'Check clientId, username, that the certificate matches privateKeyPem, and that the user is pre-approved for the connected app.'),
        context,
      );
    }
    const issuedAt = Date.now();
    const expiresIn = typeof body['expires_in'] === 'number' ? body['expires_in'] : Number(body['expires_in'] ?? NaN);
    const token: AccessToken = Object.freeze({
      accessToken: body['access_token'],
      instanceUrl: typeof body['instance_url'] === 'string' ? body['instance_url'].replace(/\/+$/, '') : this.#loginUrl,
      // Renew a little early so a call never starts with a token about to lapse.
      expiresAt: Number.isFinite(expiresIn) ? issuedAt + Math.max(0, expiresIn - 30) * 1000 : Number.POSITIVE_INFINITY,
    });
    this.#current = token;
    return token;
  }

  async #assertion(c: Extract<OAuthCredentials, { flow: 'jwt' }>): Promise<string> {
    let key;
    try {
      // createPrivateKey reads PKCS#1 ("BEGIN RSA PRIVATE KEY") as well as PKCS#8.
      key = createPrivateKey(c.privateKeyPem);
    } catch (error) {
      throw new SalesforceAuthError(
        `Salesforce JWT login: privateKeyPem is not a readable PEM private key (${(error as Error).message}). Paste the RSA key the connected app's certificate was made from.`,
        {
          flow: 'jwt',
          tokenUrl: `${this.#loginUrl}/services/oauth2/token`,
          status: 0,
          oauthError: 'invalid_private_key',
          description: 'unreadable PEM',
        },
      );
    }
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(c.clientId)
      .setSubject(c.username)
      .setAudience(c.audience ?? new URL(this.#loginUrl).origin)
      .setIssuedAt(now)
      .setExpirationTime(now + JWT_LIFETIME_SECONDS)
      .sign(key);
  }
}
