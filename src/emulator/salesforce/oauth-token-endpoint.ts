import { createHmac, randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, importSPKI, jwtVerify, type CryptoKey } from 'jose';
import { toCaseSafeId } from './salesforce-id.js';

/** The emulated org and its single API user. */
export const ORG_ID = toCaseSafeId('00DEx0000000001');
export const USER_ID = toCaseSafeId('005Ex0000000001');

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Settings of the token endpoint. */
export interface OAuthSettings {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly jwtPublicKeyPem: string | undefined;
}

/** A token endpoint answer: 200 with the token JSON, or 400 with `{error, error_description}`. */
export interface TokenAnswer {
  readonly status: number;
  readonly body: Readonly<Record<string, string>>;
}

/**
 * `POST /services/oauth2/token` for the client_credentials and JWT bearer flows, and the access tokens it issued.
 * Tokens are `00D…!` + random, remembered with their issue time so `tokenTtlSeconds` can expire them.
 */
export class OAuthTokenEndpoint {
  readonly #tokens = new Map<string, number>();
  #publicKey: Promise<CryptoKey> | undefined;

  constructor(readonly settings: OAuthSettings) {
    if (settings.jwtPublicKeyPem) this.#publicKey = importSPKI(settings.jwtPublicKeyPem, 'RS256');
  }

  /** Handles one token request body (already URL-decoded). */
  async handle(form: URLSearchParams, origin: string): Promise<TokenAnswer> {
    const grantType = form.get('grant_type');
    if (grantType === 'client_credentials') {
      if (form.get('client_id') !== this.settings.clientId) {
        return fail('invalid_client_id', 'client identifier invalid');
      }
      if (form.get('client_secret') !== this.settings.clientSecret) {
        return fail('invalid_client', 'invalid client credentials');
      }
      return this.#issue(origin);
    }
    if (grantType === JWT_BEARER) {
      const assertion = form.get('assertion');
      if (!assertion) return fail('invalid_request', 'assertion is missing');
      return this.#jwt(assertion, origin);
    }
    return fail('unsupported_grant_type', 'grant type not supported');
  }

  async #jwt(assertion: string, origin: string): Promise<TokenAnswer> {
    // Without a public key no signature can be checked, so the flow is off rather than open to any forged JWT.
    if (!this.#publicKey) {
      return fail(
        'invalid_grant',
        'the JWT bearer flow is not enabled on this emulator: start it with --jwt-public-key (jwtPublicKeyPem) to verify signatures',
      );
    }
    let claims: ReturnType<typeof decodeJwt>;
    try {
      if (decodeProtectedHeader(assertion).alg !== 'RS256') return fail('invalid_grant', 'invalid assertion');
      claims = decodeJwt(assertion);
    } catch {
      return fail('invalid_grant', 'invalid assertion');
    }
    if (claims.iss !== this.settings.clientId) return fail('invalid_client_id', 'client identifier invalid');
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) {
      return fail('invalid_grant', 'expired authorization code');
    }
    const audiences = Array.isArray(claims.aud) ? claims.aud : claims.aud === undefined ? [] : [claims.aud];
    const allowed = ['https://login.salesforce.com', 'https://test.salesforce.com', origin];
    if (!audiences.some((a) => allowed.includes(a.replace(/\/$/, ''))))
      return fail('invalid_grant', 'audience is invalid');
    if (typeof claims.sub !== 'string' || claims.sub === '') return fail('invalid_grant', 'invalid assertion');
    try {
      await jwtVerify(assertion, await this.#publicKey, { algorithms: ['RS256'] });
    } catch {
      return fail('invalid_grant', 'invalid assertion');
    }
    return this.#issue(origin);
  }

  #issue(origin: string): TokenAnswer {
    const token = `${ORG_ID.slice(0, 15)}!${randomBytes(48).toString('base64url')}`;
    const issuedAt = Date.now();
    this.#tokens.set(token, issuedAt);
    const id = `${origin}/id/${ORG_ID}/${USER_ID}`;
    const signature = createHmac('sha256', this.settings.clientSecret)
      .update(id + String(issuedAt))
      .digest('base64');
    return {
      status: 200,
      body: {
        access_token: token,
        signature,
        scope: 'api',
        instance_url: origin,
        id,
        token_type: 'Bearer',
        issued_at: String(issuedAt),
      },
    };
  }

  /** 'valid', 'expired' (issued but past the TTL) or 'unknown'. */
  check(token: string, ttlSeconds: number | undefined): 'valid' | 'expired' | 'unknown' {
    const issuedAt = this.#tokens.get(token);
    if (issuedAt === undefined) return 'unknown';
    if (ttlSeconds !== undefined && Date.now() - issuedAt >= ttlSeconds * 1000) return 'expired';
    return 'valid';
  }
}

function fail(error: string, description: string): TokenAnswer {
  return { status: 400, body: { error, error_description: description } };
}
