// OpenID Connect sign-in for the dashboard (openid-client): the authorization code flow with PKCE S256, state and
// nonce. The flow's secrets (state, nonce, code verifier) travel in a short-lived, encrypted, HttpOnly cookie scoped to
// /ui/auth/oidc, so that any replica can finish a flow another started. The ID token is validated by openid-client;
// the role and tenant come from configurable claims, and a user without a known role is refused (fail closed).
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import type { Logger } from 'pino';
import type { OidcConfig } from '../catalog/index.ts';
import type { DashboardRole } from '../store/index.ts';

export const OIDC_FLOW_COOKIE = 'crossway_oidc';
export const OIDC_FLOW_PATH = '/ui/auth/oidc';
/** How long a browser may take at the IdP between login and callback. */
export const OIDC_FLOW_TTL_SECONDS = 600;
/** Longest flow cookie read (an encrypted JSON of a few random strings and the redirect URI). */
const MAX_FLOW_COOKIE = 2048;

/** Why a sign-in failed: the `login_error` the dashboard is sent back with. */
export type OidcFailure =
  | 'oidc_unavailable'
  | 'state_mismatch'
  | 'idp_error'
  | 'token_invalid'
  | 'no_role'
  | 'unknown_tenant'
  | 'domain_not_allowed'
  | 'rate_limited';

export class OidcSignInError extends Error {
  override name = 'OidcSignInError';
  readonly code: OidcFailure;
  constructor(code: OidcFailure, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
  }
}

/** Who signed in, from the ID token (and userinfo): the session's role, tenant, subject and name. */
export interface OidcIdentity {
  /** `<issuer>#<sub>`: unique across issuers. */
  subject: string;
  name: string;
  role: DashboardRole;
  /** The tenant claim, or null (an admin; a viewer of every tenant). */
  tenant: string | null;
}

interface FlowState {
  state: string;
  nonce: string;
  verifier: string;
  redirectUri: string;
  expiresAt: number;
}

/** Starts and finishes OIDC sign-ins against the configured issuer. */
export class OidcSignIn {
  readonly #config: OidcConfig;
  readonly #flowKey: Buffer;
  readonly #logger: Logger;
  readonly #now: () => Date;
  #discovered: Promise<client.Configuration> | null = null;

  /** `secret` keys the flow cookie's encryption (the installation's session secret). */
  constructor(config: OidcConfig, secret: Buffer, logger: Logger, now: () => Date = () => new Date()) {
    this.#config = config;
    this.#flowKey = createHmac('sha256', secret).update('oidc-flow').digest();
    this.#logger = logger;
    this.#now = now;
  }

  /** The sign-in button's label. */
  get name(): string {
    return this.#config.name;
  }

  /** The redirect URI: configured, else this gateway's callback at the request's origin. */
  redirectUriFor(origin: string): string {
    return this.#config.redirect_uri ?? `${origin}${OIDC_FLOW_PATH}/callback`;
  }

  /** Where to send the browser, and the flow cookie's value to set meanwhile. */
  async start(redirectUri: string): Promise<{ url: string; flowCookie: string }> {
    const configuration = await this.#configuration();
    const flow: FlowState = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      verifier: client.randomPKCECodeVerifier(),
      redirectUri,
      expiresAt: this.#now().getTime() + OIDC_FLOW_TTL_SECONDS * 1000,
    };
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      scope: this.#config.scopes.join(' '),
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    });
    return { url: url.href, flowCookie: this.#seal(flow) };
  }

  /**
   * Finishes a sign-in from the callback's query and the flow cookie: checks state, redeems the code with the PKCE
   * verifier, validates the ID token (signature, issuer, audience, expiry, nonce) and maps its claims.
   */
  async finish(query: URLSearchParams, flowCookie: string | undefined): Promise<OidcIdentity> {
    const flow = flowCookie === undefined ? null : this.#open(flowCookie);
    if (flow === null || flow.expiresAt < this.#now().getTime()) throw new OidcSignInError('state_mismatch', 'the sign-in flow is unknown or expired');
    if (query.get('state') !== flow.state) throw new OidcSignInError('state_mismatch', 'the state does not match the sign-in flow');
    if (query.has('error')) throw new OidcSignInError('idp_error', `the identity provider refused: ${(query.get('error') ?? '').slice(0, 64)}`);
    const configuration = await this.#configuration();
    const callback = new URL(flow.redirectUri);
    callback.search = query.toString();
    let claims: Record<string, unknown>;
    try {
      const tokens = await client.authorizationCodeGrant(configuration, callback, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      claims = { ...(tokens.claims() ?? {}) };
      // A role claim an IdP releases only through userinfo (not in the ID token) is read there, for the same subject.
      if (claims[this.#config.role_claim] === undefined && configuration.serverMetadata().userinfo_endpoint !== undefined) {
        const info = await client.fetchUserInfo(configuration, tokens.access_token, String(claims.sub));
        claims = { ...info, ...claims };
      }
    } catch (error) {
      throw new OidcSignInError('token_invalid', `the code exchange or the ID token was refused: ${(error as Error).message.slice(0, 200)}`, error);
    }
    return this.#identityOf(claims);
  }

  #identityOf(claims: Record<string, unknown>): OidcIdentity {
    const config = this.#config;
    const email = typeof claims.email === 'string' ? claims.email : null;
    if (config.allowed_domains !== undefined) {
      const domain = email?.split('@').at(-1)?.toLowerCase();
      const allowed = config.allowed_domains.map((entry) => entry.toLowerCase());
      if (domain === undefined || claims.email_verified === false || !allowed.includes(domain)) {
        throw new OidcSignInError('domain_not_allowed', 'the e-mail domain is not allowed');
      }
    }
    const values = toStrings(claims[config.role_claim]);
    const has = (role: DashboardRole, names: readonly string[]): boolean => values.some((value) => value === role || names.includes(value));
    const role: DashboardRole | null = has('admin', config.admin_values)
      ? 'admin'
      : has('tenant_admin', config.tenant_admin_values)
        ? 'tenant_admin'
        : has('viewer', config.viewer_values)
          ? 'viewer'
          : null;
    if (role === null) throw new OidcSignInError('no_role', `the ID token carries no known role in '${config.role_claim}'`);
    const tenantClaim = claims[config.tenant_claim];
    const tenant = role === 'admin' ? null : typeof tenantClaim === 'string' && tenantClaim !== '' ? tenantClaim.slice(0, 128) : null;
    if (role === 'tenant_admin' && tenant === null) throw new OidcSignInError('unknown_tenant', `a tenant admin needs the '${config.tenant_claim}' claim`);
    const name = email ?? (typeof claims.name === 'string' ? claims.name : null) ?? String(claims.sub);
    return { subject: `${configurationIssuer(config)}#${String(claims.sub)}`.slice(0, 512), name: name.slice(0, 200), role, tenant };
  }

  /** The issuer's metadata, discovered once and cached (a failed discovery is retried on the next sign-in). */
  #configuration(): Promise<client.Configuration> {
    if (this.#discovered === null) {
      const config = this.#config;
      const issuer = new URL(config.issuer);
      const insecure = issuer.protocol === 'http:';
      const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
      const discovered = (async () => {
        if (insecure && !loopback && !config.allow_insecure_issuer) {
          throw new Error('the issuer is plain http on a non-loopback host; set auth.oidc.allow_insecure_issuer to allow it');
        }
        return client.discovery(issuer, config.client_id, config.client_secret?.reveal(), undefined, {
          execute: insecure ? [client.allowInsecureRequests] : [],
          timeout: Math.ceil(config.timeout_ms / 1000),
        });
      })();
      this.#discovered = discovered;
      discovered.catch((error: unknown) => {
        this.#discovered = null;
        this.#logger.warn({ issuer: config.issuer, error: (error as Error).message }, 'OpenID Connect discovery failed');
      });
    }
    return this.#discovered.catch((error: unknown) => {
      throw new OidcSignInError('oidc_unavailable', 'the identity provider could not be reached', error);
    });
  }

  #seal(flow: FlowState): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#flowKey, iv);
    const sealed = Buffer.concat([cipher.update(JSON.stringify(flow), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
  }

  /** The flow in a cookie this gateway sealed, or null when it was altered, forged or is malformed. */
  #open(value: string): FlowState | null {
    if (value.length > MAX_FLOW_COOKIE || !/^[A-Za-z0-9_-]+$/.test(value)) return null;
    const bytes = Buffer.from(value, 'base64url');
    if (bytes.length < 29) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#flowKey, bytes.subarray(0, 12));
      decipher.setAuthTag(bytes.subarray(12, 28));
      const text = Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
      const flow = JSON.parse(text) as FlowState;
      return typeof flow.state === 'string' && typeof flow.verifier === 'string' ? flow : null;
    } catch {
      return null;
    }
  }
}

function configurationIssuer(config: OidcConfig): string {
  return config.issuer.replace(/\/$/, '');
}

function toStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((entry): entry is string => typeof entry === 'string').slice(0, 100);
  return [];
}
