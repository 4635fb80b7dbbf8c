// Google OAuth authentication for Vertex AI routes: `Authorization: Bearer <access token>` from google-auth-library's
// application default credentials, cached per route and refreshed ahead of expiry by one shared call.
// Sources: google-auth-library-nodejs (v10) `GoogleAuth({scopes, keyFilename})`, `getClient()` (caches its client),
// `AuthClient.getAccessToken()` and `credentials.expiry_date`; its service-account client (`JWT` + vendored gtoken)
// signs an RS256 assertion with `aud` and the POST target both fixed to `https://oauth2.googleapis.com/token` and
// ignores the key file's `token_uri`; google-auth-library-python (#784) and -java (#809, #833) send the assertion to
// `token_uri` when a key file names a private token endpoint (Private Service Connect) while keeping that `aud`, which
// is what this file adds for Node; Google Identity "Using OAuth 2.0 for Server to Server Applications"
// (developers.google.com/identity/protocols/oauth2/service-account): `aud` must be `https://oauth2.googleapis.com/token`.
import { readFile } from 'node:fs/promises';
import type { AuthClient } from 'google-auth-library';
import type { Route, RouteAuth } from '../../catalog/index.ts';
import { UpstreamError } from '../../wire/index.ts';
import { createCachedToken } from '../cached-token.ts';
import { withHeader } from '../openai/index.ts';
import type { Authenticator } from '../provider-adapter.ts';

type GoogleAuthSettings = Extract<RouteAuth, { type: 'google' }>;

/** Google's OAuth 2.0 token endpoint, the audience of every service-account assertion. */
export const GOOGLE_OAUTH_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/** When a client reports no expiry, ask it again after this long (its own cache answers until its token expires). */
export const GOOGLE_UNKNOWN_EXPIRY_MS = 5 * 60_000;

/** The part of a google-auth-library client the authenticator uses (tests pass a fake). */
export interface GoogleAccessTokenClient {
  getAccessToken(): Promise<{ token?: string | null }>;
  /** Holds the current token's `expiry_date` (ms since the epoch) after getAccessToken. */
  readonly credentials?: { expiry_date?: number | null };
}

/** Test seams for the Google authenticator. */
export interface GoogleAuthDeps {
  /** The client to ask for tokens; by default google-auth-library's, from the route's settings. */
  googleClient?: GoogleAccessTokenClient;
  /** Milliseconds since the epoch; `Date.now` by default. */
  now?: () => number;
}

/**
 * An Authenticator that adds `Authorization: Bearer <Google access token>` for `route.auth.scopes`.
 * - The google-auth-library client is made once per route, on first use: `credentials_file` (a service-account or
 *   authorized-user file), else application default credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud, metadata
 *   server). The `token_uri` of a service-account `credentials_file`, when not Google's, receives the token requests
 *   (see the header); credentials found through GOOGLE_APPLICATION_CREDENTIALS use Google's endpoint, as the library does.
 * - Tokens are cached and refreshed 5 minutes before expiry by one shared call (createCachedToken); the library is
 *   asked again only then, and its own cache and eager refresh decide whether that means a network call.
 * - Failures become a retryable `upstream_auth_failed` UpstreamError naming the route, never a key or token.
 */
export function createGoogleAuthenticator(route: Route, auth: GoogleAuthSettings, deps: GoogleAuthDeps = {}): Authenticator {
  const now = deps.now ?? Date.now;
  let client: Promise<GoogleAccessTokenClient> | null = deps.googleClient === undefined ? null : Promise.resolve(deps.googleClient);
  const cached = createCachedToken({
    now,
    async fetchToken() {
      client ??= createGoogleClient(auth).catch((error: unknown) => {
        client = null; // a missing file or an unreachable metadata server may be fixed by the next attempt
        throw error;
      });
      const current = await client;
      const { token } = await current.getAccessToken();
      if (token === undefined || token === null || token === '') throw new Error('the credentials returned no access token');
      const expiry = current.credentials?.expiry_date;
      return { token, expiresAt: typeof expiry === 'number' && expiry > 0 ? expiry : now() + GOOGLE_UNKNOWN_EXPIRY_MS };
    },
    toError: (cause) => googleAuthError(route, auth, cause),
  });

  return {
    async authorize(request, signal) {
      const token = await cached.get(signal);
      return withHeader(request, 'authorization', `Bearer ${token}`);
    },
  };
}

/** google-auth-library's client for the route; the library is loaded on first use, so other routes never pay for it. */
async function createGoogleClient(auth: GoogleAuthSettings): Promise<GoogleAccessTokenClient> {
  const { GoogleAuth } = await import('google-auth-library');
  const googleAuth = new GoogleAuth({ scopes: auth.scopes, keyFilename: auth.credentials_file });
  const client = await googleAuth.getClient();
  const tokenUri = auth.credentials_file === undefined ? null : await readServiceAccountTokenUri(auth.credentials_file);
  if (tokenUri !== null && tokenUri !== GOOGLE_OAUTH_TOKEN_URL) sendTokenRequestsTo(client, tokenUri);
  return client;
}

/** The `token_uri` of a service-account key file, or null when the file is not one or names none. */
export async function readServiceAccountTokenUri(path: string): Promise<string | null> {
  const json: unknown = JSON.parse(await readFile(path, 'utf8'));
  if (typeof json !== 'object' || json === null) return null;
  const { type, token_uri: tokenUri } = json as { type?: unknown; token_uri?: unknown };
  if (type !== 'service_account' || typeof tokenUri !== 'string') return null;
  const url = new URL(tokenUri);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`token_uri ${url.protocol} is not http(s)`);
  return url.toString();
}

type RequestInterceptor = Parameters<AuthClient['transporter']['interceptors']['request']['add']>[0];

/** Makes the client POST its token requests to `tokenUri` instead of Google's fixed URL; the assertion is unchanged. */
function sendTokenRequestsTo(client: AuthClient, tokenUri: string): void {
  const redirect: NonNullable<RequestInterceptor> = {
    resolved: async (options) => {
      if (options.method === 'POST' && options.url.toString() === GOOGLE_OAUTH_TOKEN_URL) options.url = new URL(tokenUri);
      return options;
    },
  };
  client.transporter.interceptors.request.add(redirect);
}

/** Things that must never reach a message: PEM keys and JWTs (assertions, ID tokens). */
const SECRET_PATTERNS = [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, /\beyJ[\w-]+\.[\w-]+\.[\w-]+/g, /\bya29\.[\w.-]+/g];

function googleAuthError(route: Route, auth: GoogleAuthSettings, cause: unknown): UpstreamError {
  let reason = cause instanceof Error ? cause.message : String(cause);
  // The library's messages hold no key or token, but make sure of it; the cause object is not attached for the same
  // reason (a GaxiosError carries the request, assertion included).
  for (const pattern of SECRET_PATTERNS) reason = reason.replace(pattern, '[redacted]');
  if (reason.length > 300) reason = `${reason.slice(0, 299)}…`;
  return new UpstreamError(`Could not get a Google access token for scopes ${auth.scopes.join(' ')}: ${reason}`, {
    route: route.id,
    status: 502,
    code: 'upstream_auth_failed',
    type: 'server_error',
    retryable: true,
  });
}
