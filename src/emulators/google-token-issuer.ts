// The local stand-in for Google's OAuth 2.0 token endpoint (JWT-bearer grant for service accounts) and the access
// tokens it issues: verifies the RS256 assertion against registered service-account keys, checks its claims as Google
// does, answers `{access_token, expires_in, token_type}` with an opaque token it remembers until expiry.
// Sources: Google Identity "Using OAuth 2.0 for Server to Server Applications"
// (developers.google.com/identity/protocols/oauth2/service-account): the form POST
// `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>`, header `{"alg":"RS256","typ":"JWT"}`,
// claims iss (the client email), scope (space-delimited), aud (`https://oauth2.googleapis.com/token`), exp (at most one
// hour after iat), iat; RFC 7523 (JWT bearer grant) and RFC 6749 §5.2 (error body `{"error","error_description"}`).
// What google-auth-library (v10, vendored gtoken) sends: header `{"alg":"RS256"}` only, claims iss, scope, aud fixed
// to Google's URL, exp = iat + 3600, iat (and sub when impersonating). Google's error texts as quoted publicly:
// "Invalid JWT Signature." (googleapis/google-api-nodejs-client#2808), "Invalid JWT: Failed audience check."
// (googleapis/google-auth-library-java#586), "Invalid JWT: Token must be a short-lived token (60 minutes) and in a
// reasonable timeframe. Check your iat and exp values in the JWT claim." (googleapis/python-api-core#384), invalid_scope
// "Invalid OAuth scope or ID token audience provided." (oneduo/laravel-recaptcha-enterprise#10). The texts for an
// unknown account, a missing parameter and another grant type are approximations in Google's style (RFC 6749 codes).
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/** Google's token endpoint: the `aud` every service-account assertion carries, wherever it is posted. */
export const GOOGLE_OAUTH_TOKEN_URL = 'https://oauth2.googleapis.com/token';
/** The grant type of the service-account flow. */
export const GOOGLE_JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** How far the assertion's clock may be from ours, in seconds (Google tolerates a few minutes of skew). */
const CLOCK_SKEW_SECONDS = 300;
/** Google refuses assertions that live longer than an hour. */
const MAX_ASSERTION_SECONDS = 3600;
/** Expired tokens are remembered this long, so they are refused as expired rather than as unknown. */
const EXPIRED_MEMORY_MS = 3_600_000;

/** A registered service account: its email and the public key its assertions are checked with. */
export interface GoogleServiceAccountKey {
  clientEmail: string;
  publicKeyPem: string;
}

/** An access token the issuer handed out. */
export interface IssuedGoogleToken {
  scopes: readonly string[];
  /** Milliseconds since the epoch. */
  expiresAt: number;
  /** The service account it was issued to (absent for tokens issued directly, e.g. by a test). */
  clientEmail?: string;
}

/** The token endpoint's answer: a status and the JSON body. */
export interface TokenEndpointReply {
  status: number;
  body: Record<string, unknown>;
}

/** What a bearer token turned out to be. */
export type GoogleTokenCheck = { ok: true; token: IssuedGoogleToken } | { ok: false; reason: 'unknown' | 'expired' };

/** RFC 6749 error body, as Google sends it. */
export function googleOAuthError(error: string, description: string): Record<string, unknown> {
  return { error, error_description: description };
}

const SHORT_LIVED =
  'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.';

/** Issues and remembers Google access tokens; one per emulator. */
export class GoogleTokenIssuer {
  readonly #accounts = new Map<string, KeyObject[]>();
  readonly #tokens = new Map<string, IssuedGoogleToken>();
  readonly #lifetimeSeconds: number;
  readonly #now: () => number;

  /** `lifetimeSeconds` is every issued token's `expires_in`; `now` is the clock (ms), `Date.now` by default. */
  constructor(options: { accounts?: readonly GoogleServiceAccountKey[]; lifetimeSeconds?: number; now?: () => number } = {}) {
    this.#lifetimeSeconds = options.lifetimeSeconds ?? 3600;
    // Read late, not captured: a test that mocks the process's Date (as it must for google-auth-library) moves this too.
    this.#now = options.now ?? (() => Date.now());
    for (const account of options.accounts ?? []) this.registerServiceAccount(account);
  }

  /** Accepts assertions signed with `account`'s key from now on (several keys per account are allowed, as at Google). */
  registerServiceAccount(account: GoogleServiceAccountKey): void {
    const keys = this.#accounts.get(account.clientEmail) ?? [];
    keys.push(createPublicKey(account.publicKeyPem));
    this.#accounts.set(account.clientEmail, keys);
  }

  /** Issues a token directly (tests, demos): `{access_token, expires_in, token_type}`. */
  issue(scopes: readonly string[], lifetimeSeconds = this.#lifetimeSeconds, clientEmail?: string): Record<string, unknown> {
    this.#forgetOldTokens();
    const accessToken = `ya29.c.${randomBytes(48).toString('base64url')}`;
    this.#tokens.set(accessToken, {
      scopes: [...scopes],
      expiresAt: this.#now() + lifetimeSeconds * 1000,
      ...(clientEmail !== undefined && { clientEmail }),
    });
    return { access_token: accessToken, expires_in: lifetimeSeconds, token_type: 'Bearer' };
  }

  /** Whether `token` is one this issuer handed out and has not expired. */
  check(token: string): GoogleTokenCheck {
    const issued = this.#tokens.get(token);
    if (issued === undefined) return { ok: false, reason: 'unknown' };
    if (issued.expiresAt <= this.#now()) return { ok: false, reason: 'expired' };
    return { ok: true, token: issued };
  }

  /**
   * Answers a token request: `form` is the urlencoded body; `ownTokenUrls` are the URLs this endpoint is reached at,
   * accepted as `aud` besides Google's (some libraries put the key file's `token_uri` there).
   */
  exchange(form: URLSearchParams, ownTokenUrls: readonly string[]): TokenEndpointReply {
    const grantType = form.get('grant_type');
    if (grantType === null || grantType === '') {
      return refuse('invalid_request', 'Missing required parameter: grant_type');
    }
    if (grantType !== GOOGLE_JWT_BEARER_GRANT) return refuse('unsupported_grant_type', `Invalid grant_type: ${grantType}`);
    const assertion = form.get('assertion');
    if (assertion === null || assertion === '') return refuse('invalid_request', 'Missing required parameter: assertion');

    const jwt = parseJwt(assertion);
    if (jwt === null) return refuse('invalid_grant', 'Invalid JWT Signature.');
    const issuer = typeof jwt.claims.iss === 'string' ? jwt.claims.iss : '';
    const keys = this.#accounts.get(issuer);
    if (keys === undefined) return refuse('invalid_grant', 'Invalid grant: account not found');
    if (jwt.header.alg !== 'RS256' || !keys.some((key) => verify('sha256', jwt.signed, key, jwt.signature))) {
      return refuse('invalid_grant', 'Invalid JWT Signature.');
    }
    const audiences = new Set([GOOGLE_OAUTH_TOKEN_URL, ...ownTokenUrls]);
    if (typeof jwt.claims.aud !== 'string' || !audiences.has(jwt.claims.aud)) {
      return refuse('invalid_grant', 'Invalid JWT: Failed audience check.');
    }
    const { iat, exp } = jwt.claims;
    const nowSeconds = this.#now() / 1000;
    if (
      typeof iat !== 'number' ||
      typeof exp !== 'number' ||
      exp <= iat ||
      exp - iat > MAX_ASSERTION_SECONDS ||
      iat > nowSeconds + CLOCK_SKEW_SECONDS ||
      exp < nowSeconds - CLOCK_SKEW_SECONDS
    ) {
      return refuse('invalid_grant', SHORT_LIVED);
    }
    const scopes = typeof jwt.claims.scope === 'string' ? jwt.claims.scope.split(/\s+/).filter((scope) => scope !== '') : [];
    if (scopes.length === 0 || !scopes.every(isGoogleScope)) {
      return refuse('invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    }
    return { status: 200, body: this.issue(scopes, this.#lifetimeSeconds, issuer) };
  }

  #forgetOldTokens(): void {
    const cutoff = this.#now() - EXPIRED_MEMORY_MS;
    for (const [token, issued] of this.#tokens) {
      if (issued.expiresAt < cutoff) this.#tokens.delete(token);
    }
  }
}

function refuse(error: string, description: string): TokenEndpointReply {
  return { status: 400, body: googleOAuthError(error, description) };
}

/** Google's OAuth scopes are URLs under www.googleapis.com/auth/ (plus the OpenID names). */
function isGoogleScope(scope: string): boolean {
  return scope.startsWith('https://www.googleapis.com/auth/') || ['openid', 'email', 'profile'].includes(scope);
}

interface ParsedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  signed: Buffer;
  signature: Buffer;
}

/** A compact JWS split into its parts, or null when it is not one. */
function parseJwt(token: string): ParsedJwt | null {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((part) => !/^[A-Za-z0-9_-]*$/.test(part))) return null;
  const [header, claims, signature] = parts as [string, string, string];
  const headerJson = decodeJsonPart(header);
  const claimsJson = decodeJsonPart(claims);
  if (headerJson === null || claimsJson === null) return null;
  return {
    header: headerJson,
    claims: claimsJson,
    signed: Buffer.from(`${header}.${claims}`),
    signature: Buffer.from(signature, 'base64url'),
  };
}

function decodeJsonPart(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
