// A real OpenID provider (oidc-provider) for the dashboard's sign-in tests: one confidential client for Crossway's
// callback, and accounts whose claims the test chooses (role and tenant among them). Its login and consent pages are
// the provider's own development interactions, which a test drives by HTTP or in the browser.
import Provider from 'oidc-provider';

/** The client id Crossway's `auth.oidc` names in these tests. */
export const TEST_OIDC_CLIENT_ID = 'crossway-dashboard';

export interface TestOidcProviderOptions {
  issuer: string;
  clientSecret: string;
  /** Crossway's callback, `<gateway>/ui/auth/oidc/callback`. */
  redirectUri: string;
  /** The provider's cookie signing key (any string: each test its own). */
  cookieKey: string;
  /** Accounts by id (the login name) and their claims; without, the provider has no login (protocol checks only). */
  accounts?: Record<string, Record<string, unknown>>;
}

/** The provider; serve `provider.callback()` on the issuer's address. */
export function createTestOidcProvider(options: TestOidcProviderOptions): Provider {
  const client = {
    client_id: TEST_OIDC_CLIENT_ID,
    client_secret: options.clientSecret,
    redirect_uris: [options.redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  };
  const accounts = options.accounts;
  if (accounts === undefined) return new Provider(options.issuer, { clients: [client], cookies: { keys: [options.cookieKey] } });
  return new Provider(options.issuer, {
    clients: [client],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], crossway: ['crossway_role', 'crossway_tenant'] },
    scopes: ['openid', 'email', 'profile', 'crossway'],
    cookies: { keys: [options.cookieKey] },
    features: { devInteractions: { enabled: true } },
    async findAccount(_context, id) {
      const claims = accounts[id];
      if (claims === undefined) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...claims }) };
    },
  });
}
