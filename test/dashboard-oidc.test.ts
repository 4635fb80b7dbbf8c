// Dashboard sign-in through OpenID Connect end to end, against a real OpenID provider (oidc-provider) started here on
// 127.0.0.1: the authorization code flow with PKCE driven with plain HTTP requests through the provider's own login and
// consent forms, roles and tenant from claims (read from userinfo, as the provider conforms ID token claims), fail-closed
// refusals, tampered state, a viewer's read-only session, a deleted tenant ending a session, and the audit log.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type Provider from 'oidc-provider';
import { startStack, type Stack } from './support/start-stack.ts';
import { createTestOidcProvider } from './support/test-oidc-provider.ts';

const CLIENT_SECRET = 'oidc-client-secret-not-for-logs-0001';

/** The provider's users: their claims (the role claim is `crossway_role`, the tenant claim `crossway_tenant`). */
const ACCOUNTS: Record<string, Record<string, unknown>> = {
  alice: { email: 'alice@example.com', email_verified: true, crossway_role: ['staff', 'crossway-admins'] },
  tom: { email: 'tom@example.com', email_verified: true, crossway_role: 'tenant_admin', crossway_tenant: 'acme' },
  vera: { email: 'vera@example.com', email_verified: true, crossway_role: 'viewer', crossway_tenant: 'acme' },
  gina: { email: 'gina@example.com', email_verified: true, crossway_role: 'tenant_admin', crossway_tenant: 'gamma' },
  nobody: { email: 'nobody@example.com', email_verified: true },
  ghost: { email: 'ghost@example.com', email_verified: true, crossway_role: 'tenant_admin', crossway_tenant: 'no-such-tenant' },
  outsider: { email: 'eve@elsewhere.test', email_verified: true, crossway_role: 'admin' },
};

/** A tiny cookie jar for one browser: name -> value, per the Set-Cookie headers seen. */
class CookieJar {
  readonly #cookies = new Map<string, string>();
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (/max-age=0/i.test(line) || /expires=thu, 01 jan 1970/i.test(line) || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
  get(name: string): string | undefined {
    return this.#cookies.get(name);
  }
  set(name: string, value: string): void {
    this.#cookies.set(name, value);
  }
  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

interface SignInResult {
  /** The final Location the gateway sent the browser to (`/ui/` or `/ui/?login_error=...`). */
  location: string;
  /** The gateway's cookies after the flow. */
  gatewayJar: CookieJar;
  /** The callback URL the provider sent the browser to (before the gateway saw it). */
  callback: string;
}

describe('dashboard sign-in with OpenID Connect', () => {
  let stack: Stack;
  let idp: Server;
  let issuer: string;
  let provider: Provider;

  before(async () => {
    // The provider's listener first (its address is the issuer), the provider itself once the gateway's URL is known.
    let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
    idp = createServer((req, res) => handle(req, res));
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    stack = await startStack({
      auth: {
        oidc: {
          issuer,
          client_id: 'crossway-dashboard',
          client_secret: CLIENT_SECRET,
          name: 'Example SSO',
          scopes: ['openid', 'email', 'profile', 'crossway'],
          admin_values: ['crossway-admins'],
          allowed_domains: ['example.com'],
          timeout_ms: 5_000,
        },
      },
      ui: { sign_in_rate_per_minute: 1000 },
    });
    for (const id of ['acme', 'beta', 'gamma']) assert.equal((await stack.api('POST', '/admin/tenants', { id, name: id })).status, 201);
    provider = createTestOidcProvider({
      issuer,
      clientSecret: CLIENT_SECRET,
      redirectUri: `${stack.url}/ui/auth/oidc/callback`,
      cookieKey: 'oidc-test-cookie-key',
      accounts: ACCOUNTS,
    });
    handle = provider.callback();
  });
  after(async () => {
    await stack.close();
    idp.closeAllConnections();
    await new Promise<void>((resolve) => idp.close(() => resolve()));
  });

  /**
   * Drives a browser through the flow: the gateway's login redirect, the provider's login and consent forms, then the
   * callback (optionally altered first by `tamper`) back to the gateway.
   */
  async function signIn(user: string, tamper?: (callback: URL, gatewayJar: CookieJar) => void): Promise<SignInResult> {
    const gatewayJar = new CookieJar();
    const idpJar = new CookieJar();
    const start = await fetch(`${stack.url}/ui/auth/oidc/login`, { redirect: 'manual' });
    gatewayJar.take(start);
    assert.equal(start.status, 302);
    let url = new URL(start.headers.get('location') ?? '', stack.url);
    assert.equal(url.origin, issuer);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(url.searchParams.get('state') && url.searchParams.get('nonce') && url.searchParams.get('code_challenge'));
    for (let step = 0; step < 20; step++) {
      if (url.href.startsWith(`${stack.url}/ui/auth/oidc/callback`)) {
        tamper?.(url, gatewayJar);
        const back = await fetch(url, { redirect: 'manual', headers: { cookie: gatewayJar.header() } });
        gatewayJar.take(back);
        return { location: back.headers.get('location') ?? '', gatewayJar, callback: url.href };
      }
      const response = await fetch(url, { redirect: 'manual', headers: { cookie: idpJar.header() } });
      idpJar.take(response);
      if (response.status >= 300 && response.status < 400) {
        url = new URL(response.headers.get('location') ?? '', url);
        continue;
      }
      const page = await response.text();
      assert.equal(response.status, 200, page.slice(0, 500));
      const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
      const prompt = /name="prompt" value="(\w+)"/.exec(page)?.[1];
      assert.ok(action !== undefined && prompt !== undefined, page.slice(0, 500));
      const form = prompt === 'login' ? new URLSearchParams({ prompt, login: user, password: 'any' }) : new URLSearchParams({ prompt });
      const submitted = await fetch(new URL(action, url), {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: idpJar.header(), 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
      });
      idpJar.take(submitted);
      url = new URL(submitted.headers.get('location') ?? '', url);
    }
    throw new Error('the sign-in flow did not end');
  }

  async function call(jar: CookieJar, method: string, path: string, options: { headers?: Record<string, string>; body?: unknown } = {}) {
    const response = await fetch(`${stack.url}${path}`, {
      method,
      headers: {
        cookie: jar.header(),
        ...options.headers,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text === '' ? null : JSON.parse(text) };
  }

  it('says on /ui/api/config that single sign-on is on, without authentication', async () => {
    const config = await fetch(`${stack.url}/ui/api/config`);
    assert.deepEqual(await config.json(), { oidc: { enabled: true, login_url: '/ui/auth/oidc/login', name: 'Example SSO' } });
  });

  it('signs an admin in (role from a configured claim value) with an HttpOnly session cookie; the session sees every tenant', async () => {
    const { location, gatewayJar } = await signIn('alice');
    assert.equal(location, '/ui/');
    const cookie = gatewayJar.get('crossway_session') ?? '';
    assert.match(cookie, /^[A-Za-z0-9_-]{43}$/);
    const session = await call(gatewayJar, 'GET', '/ui/api/session');
    assert.equal(session.status, 200);
    assert.deepEqual(session.body.user, { name: 'alice@example.com', role: 'admin', tenant_id: null, via: 'oidc' });
    const tenants = await call(gatewayJar, 'GET', '/admin/tenants');
    assert.deepEqual(tenants.body.data.map((tenant: { id: string }) => tenant.id).sort(), ['acme', 'beta', 'default', 'gamma']);
    const csrf = { 'x-crossway-csrf': session.body.csrf_token as string };
    assert.equal((await call(gatewayJar, 'POST', '/admin/tenants', { body: { id: 'from-sso' } })).status, 403);
    assert.equal((await call(gatewayJar, 'POST', '/admin/tenants', { body: { id: 'from-sso' }, headers: csrf })).status, 201);
    // Sign-out ends it on the server.
    const out = await call(gatewayJar, 'DELETE', '/ui/api/session', { headers: csrf });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie') ?? '', /^crossway_session=; .*Max-Age=0/);
    // The same cookie replayed is refused: the session is gone from the store, not only from the browser.
    const stale = new CookieJar();
    stale.set('crossway_session', cookie);
    const replay = await call(stale, 'GET', '/admin/tenants');
    assert.equal(replay.status, 401);
    assert.equal(replay.body.error.code, 'session_expired');
  });

  it('confines a tenant admin to its tenant, and ends the session when that tenant is deleted', async () => {
    const tom = await signIn('tom');
    assert.equal(tom.location, '/ui/');
    const session = await call(tom.gatewayJar, 'GET', '/ui/api/session');
    assert.deepEqual(session.body.user, { name: 'tom@example.com', role: 'tenant_admin', tenant_id: 'acme', via: 'oidc' });
    assert.deepEqual(
      (await call(tom.gatewayJar, 'GET', '/admin/tenants')).body.data.map((tenant: { id: string }) => tenant.id),
      ['acme'],
    );
    const csrf = { 'x-crossway-csrf': session.body.csrf_token as string };
    // Another tenant is not there for it, as for a tenant's admin key.
    assert.equal((await call(tom.gatewayJar, 'POST', '/admin/keys', { body: { tenant: 'beta' }, headers: csrf })).status, 404);
    assert.equal((await call(tom.gatewayJar, 'POST', '/admin/tenants', { body: { id: 'by-tom' }, headers: csrf })).status, 403);
    const made = await call(tom.gatewayJar, 'POST', '/admin/keys', { body: { tenant: 'acme', name: 'by-tom' }, headers: csrf });
    assert.equal(made.status, 201, JSON.stringify(made.body));

    const gina = await signIn('gina');
    assert.equal((await call(gina.gatewayJar, 'GET', '/admin/tenants')).status, 200);
    assert.equal((await stack.api('DELETE', '/admin/tenants/gamma')).status, 200);
    assert.equal((await call(gina.gatewayJar, 'GET', '/admin/tenants')).status, 401);
  });

  it('a viewer reads but cannot write (403 on every state change, CSRF token or not), and may sign out', async () => {
    const vera = await signIn('vera');
    const session = await call(vera.gatewayJar, 'GET', '/ui/api/session');
    assert.deepEqual(session.body.user, { name: 'vera@example.com', role: 'viewer', tenant_id: 'acme', via: 'oidc' });
    assert.equal((await call(vera.gatewayJar, 'GET', '/admin/keys')).status, 200);
    const csrf = { 'x-crossway-csrf': session.body.csrf_token as string };
    const write = await call(vera.gatewayJar, 'POST', '/admin/keys', { body: { tenant: 'acme' }, headers: csrf });
    assert.equal(write.status, 403);
    assert.equal(write.body.error.code, 'read_only_role');
    assert.equal((await call(vera.gatewayJar, 'PATCH', '/admin/tenants/acme', { body: { name: 'x' }, headers: csrf })).status, 403);
    assert.equal((await call(vera.gatewayJar, 'DELETE', '/ui/api/session', { headers: csrf })).status, 204);
  });

  it('fails closed: no role claim, an unknown tenant or a foreign e-mail domain land on /ui/?login_error=... without a session', async () => {
    for (const [user, code] of [
      ['nobody', 'no_role'],
      ['ghost', 'unknown_tenant'],
      ['outsider', 'domain_not_allowed'],
    ] as const) {
      const { location, gatewayJar } = await signIn(user);
      assert.equal(location, `/ui/?login_error=${code}`, user);
      assert.equal(gatewayJar.get('crossway_session'), undefined, user);
    }
  });

  it('refuses a tampered state, a forged or missing flow cookie (state_mismatch), and a replayed code', async () => {
    const tamperedState = await signIn('alice', (callback) => callback.searchParams.set('state', 'attacker-chosen-state'));
    assert.equal(tamperedState.location, '/ui/?login_error=state_mismatch');
    assert.equal(tamperedState.gatewayJar.get('crossway_session'), undefined);

    const forged = await signIn('alice', (_callback, jar) => {
      const value = jar.get('crossway_oidc') ?? '';
      jar.set('crossway_oidc', `${value.slice(0, 20)}${value[20] === 'A' ? 'B' : 'A'}${value.slice(21)}`);
    });
    assert.equal(forged.location, '/ui/?login_error=state_mismatch');

    const missing = await signIn('alice', (_callback, jar) => jar.set('crossway_oidc', ''));
    assert.equal(missing.location, '/ui/?login_error=state_mismatch');

    // A code is redeemed once: the same callback (with its flow cookie) again is refused by the provider.
    let replay: { url: URL; flow: string } | undefined;
    const first = await signIn('alice', (callback, jar) => {
      replay = { url: new URL(callback.href), flow: jar.get('crossway_oidc') ?? '' };
    });
    assert.equal(first.location, '/ui/');
    assert.ok(replay !== undefined);
    const again = await fetch(replay.url, { redirect: 'manual', headers: { cookie: `crossway_oidc=${replay.flow}` } });
    assert.equal(again.headers.get('location'), '/ui/?login_error=token_invalid');
    assert.equal(
      again.headers.getSetCookie().some((line) => line.startsWith('crossway_session=')),
      false,
    );
  });

  it('audits OIDC sign-ins and refusals with the subject, never the client secret, a code or a token', async () => {
    const audit = await stack.api('GET', '/admin/audit?limit=200');
    const logins = audit.body.data.filter((entry: { action: string; actor: { kind: string } }) => entry.action === 'login' && entry.actor.kind === 'oidc');
    assert.ok(
      logins.some((entry: { actor: { id: string; name: string } }) => entry.actor.id === `${issuer}#alice` && entry.actor.name === 'alice@example.com'),
    );
    assert.ok(logins.some((entry: { tenant_id: string }) => entry.tenant_id === 'acme'));
    const refused = audit.body.data.filter(
      (entry: { action: string; actor: { kind: string } }) => entry.action === 'login.failed' && entry.actor.kind === 'oidc',
    );
    assert.ok(refused.length >= 6);
    assert.ok(refused.every((entry: { outcome: string; ip: string }) => entry.outcome === 'denied' && entry.ip === '127.0.0.1'));
    const everything = JSON.stringify(audit.body) + stack.logs();
    assert.ok(!everything.includes(CLIENT_SECRET));
    assert.ok(!/code=[A-Za-z0-9_-]{20,}/.test(everything));
  });
});
