// Picks the Authenticator for a route from its `auth` settings. One per route: it caches tokens itself.
import type { Route } from '../catalog/index.ts';
import { createEntraAuthenticator, type EntraAuthDeps } from './azure/index.ts';
import { createSigV4Authenticator, type SigV4AuthDeps } from './bedrock/index.ts';
import { createBearerAuthenticator, createKeyHeaderAuthenticator } from './openai/index.ts';
import { createGoogleAuthenticator, type GoogleAuthDeps } from './vertex/index.ts';
import type { Authenticator } from './provider-adapter.ts';

/** Test seams passed on to the authenticators that use them (a fake TokenCredential and clock for Entra). */
export type AuthenticatorDeps = EntraAuthDeps & SigV4AuthDeps & GoogleAuthDeps;

/** Leaves the request as it is (local OpenAI-compatible servers). */
export const noAuthenticator: Authenticator = {
  authorize: async (request) => request,
};

/**
 * The route's Authenticator: `bearer` -> `Authorization: Bearer <key>`; `api-key` -> the key in `auth.header`
 * (default `api-key`); `entra` -> a cached Microsoft Entra token as bearer; `sigv4` -> an AWS SigV4 signature;
 * `google` -> a cached Google OAuth access token as bearer;
 * `none` -> nothing. Authenticators only add headers: the URL always stays the one the adapter built from the route.
 */
export function createAuthenticator(route: Route, deps: AuthenticatorDeps = {}): Authenticator {
  const auth = route.auth;
  switch (auth.type) {
    case 'bearer':
      return createBearerAuthenticator(auth.key);
    case 'api-key':
      return createKeyHeaderAuthenticator(auth.key, auth.header);
    case 'entra':
      return createEntraAuthenticator(route, auth, deps);
    case 'sigv4':
      return createSigV4Authenticator(route, auth, deps);
    case 'google':
      return createGoogleAuthenticator(route, auth, deps);
    case 'none':
      return noAuthenticator;
    default:
      return assertNever(auth);
  }
}

function assertNever(value: never): never {
  throw new Error(`unknown auth type: ${JSON.stringify(value)}`);
}
