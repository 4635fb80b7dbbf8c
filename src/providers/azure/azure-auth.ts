// Microsoft Entra ID authentication for Azure OpenAI routes: `Authorization: Bearer <token>` with a token from
// @azure/identity, cached per route and refreshed ahead of expiry by one shared request, never fetched per call.
// Sources: Azure OpenAI REST reference "Authentication / Microsoft Entra ID" (scope
// `https://cognitiveservices.azure.com/.default`); @azure/core-auth `TokenCredential.getToken` / `AccessToken`
// (`expiresOnTimestamp`, optional `refreshAfterTimestamp`); @azure/identity `ClientSecretCredential`,
// `DefaultAzureCredential` (`managedIdentityClientId`, `tenantId`).
import type { TokenCredential } from '@azure/identity';
import type { Route, RouteAuth } from '../../catalog/index.ts';
import { UpstreamError } from '../../wire/index.ts';
import { createCachedToken, TOKEN_EXPIRY_SKEW_MS, TOKEN_REFRESH_MARGIN_MS, TOKEN_RETRY_INTERVAL_MS } from '../cached-token.ts';
import type { Authenticator } from '../provider-adapter.ts';
import { withHeader } from '../openai/openai-auth.ts';

type EntraAuth = Extract<RouteAuth, { type: 'entra' }>;

/** Test seams and tuning for the Entra authenticator. */
export interface EntraAuthDeps {
  /** The credential to ask for tokens; by default built from the route's settings with @azure/identity. */
  credential?: TokenCredential;
  /** Milliseconds since the epoch; `Date.now` by default. */
  now?: () => number;
}

/** Refresh this long before a token expires (the token stays in use while the refresh runs). */
export const ENTRA_REFRESH_MARGIN_MS = TOKEN_REFRESH_MARGIN_MS;
/** Never send a token that expires sooner than this; wait for a new one instead. */
export const ENTRA_EXPIRY_SKEW_MS = TOKEN_EXPIRY_SKEW_MS;
/** After a failed background refresh, wait this long before trying again (the current token is still valid). */
export const ENTRA_RETRY_INTERVAL_MS = TOKEN_RETRY_INTERVAL_MS;

/**
 * An Authenticator that adds `Authorization: Bearer <Entra token>` for `route.auth.scope`.
 * - A token is reused until `ENTRA_REFRESH_MARGIN_MS` before it expires (or its `refreshAfterTimestamp`).
 * - Inside that window the current token is still sent while one background refresh runs.
 * - Without a usable token, callers wait for the refresh; concurrent callers share one request to Entra.
 * - Failures become a retryable UpstreamError (so the executor can fail over) naming the route, never a secret.
 * The caching itself is the shared createCachedToken.
 */
export function createEntraAuthenticator(route: Route, auth: EntraAuth, deps: EntraAuthDeps = {}): Authenticator {
  let credential: Promise<TokenCredential> | null = deps.credential === undefined ? null : Promise.resolve(deps.credential);
  const cached = createCachedToken({
    now: deps.now,
    async fetchToken() {
      credential ??= createEntraCredential(auth);
      const token = await (await credential).getToken(auth.scope);
      if (token === null) throw new Error('the credential returned no token');
      return { token: token.token, expiresAt: token.expiresOnTimestamp, refreshAfter: token.refreshAfterTimestamp };
    },
    toError: (cause) => entraError(route, auth, cause),
  });

  return {
    async authorize(request, signal) {
      const token = await cached.get(signal);
      return withHeader(request, 'authorization', `Bearer ${token}`);
    },
  };
}

/**
 * ClientSecretCredential when tenant, client id and secret are all given; otherwise DefaultAzureCredential
 * (environment, workload identity, managed identity with `client_id` as its client id, Azure CLI, ...).
 * @azure/identity is loaded on first use, so routes without Entra never pay for it.
 */
async function createEntraCredential(auth: EntraAuth): Promise<TokenCredential> {
  const identity = await import('@azure/identity');
  if (auth.tenant_id !== undefined && auth.client_id !== undefined && auth.client_secret !== undefined) {
    return new identity.ClientSecretCredential(auth.tenant_id, auth.client_id, auth.client_secret.reveal());
  }
  return new identity.DefaultAzureCredential({
    ...(auth.client_id === undefined ? {} : { managedIdentityClientId: auth.client_id }),
    ...(auth.tenant_id === undefined ? {} : { tenantId: auth.tenant_id }),
  });
}

function entraError(route: Route, auth: EntraAuth, cause: unknown): UpstreamError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  // The library's messages do not carry the secret, but make sure of it; the cause object is not attached for the
  // same reason (it may hold request details).
  const secret = auth.client_secret?.reveal();
  const safeReason = secret === undefined || secret === '' ? reason : reason.split(secret).join('[redacted]');
  return new UpstreamError(`Could not get a Microsoft Entra token for scope ${auth.scope}: ${safeReason}`, {
    route: route.id,
    status: 502,
    code: 'upstream_auth_failed',
    type: 'server_error',
    retryable: true,
  });
}
