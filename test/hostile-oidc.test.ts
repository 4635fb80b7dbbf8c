// An attacker's tour of the OpenID Connect sign-in (issue 18), against a real OpenID provider (oidc-provider) on
// 127.0.0.1: a callback with a giant or repeated code or state, an IdP error of any length, a forged or overlong flow
// cookie, and redirect parameters that try to send the browser elsewhere. Every failure lands on a fixed
// `/ui/?login_error=<word>` without a session, and the log quotes no more than an excerpt.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startStack, type Stack } from './support/start-stack.ts';
import { createTestOidcProvider } from './support/test-oidc-provider.ts';

const CLIENT_SECRET = 'oidc-hostile-client-secret-0002';
const LOGIN_ERROR = /^\/ui\/\?login_error=[a-z_]+$/;

describe('hostile input on the OpenID Connect sign-in', () => {
  let stack: Stack;
  let idp: Server;
  let issuer: string;

  before(async () => {
    let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
    idp = createServer((req, res) => handle(req, res));
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    stack = await startStack({
      auth: { oidc: { issuer, client_id: 'crossway-dashboard', client_secret: CLIENT_SECRET, timeout_ms: 5_000 } },
      ui: { sign_in_rate_per_minute: 1000 },
    });
    const provider = createTestOidcProvider({
      issuer,
      clientSecret: CLIENT_SECRET,
      redirectUri: `${stack.url}/ui/auth/oidc/callback`,
      cookieKey: 'oidc-hostile-cookie-key',
    });
    handle = provider.callback();
  });
  after(async () => {
    await stack.close();
    idp.closeAllConnections();
    await new Promise<void>((resolve) => idp.close(() => resolve()));
  });

  /** Starts a flow: the flow cookie to send back and the state the gateway gave the provider. */
  async function startFlow(query = ''): Promise<{ cookie: string; state: string; location: URL }> {
    const start = await fetch(`${stack.url}/ui/auth/oidc/login${query}`, { redirect: 'manual' });
    assert.equal(start.status, 302);
    const location = new URL(start.headers.get('location') ?? '', stack.url);
    const cookie = (start.headers.getSetCookie().find((line) => line.startsWith('crossway_oidc=')) ?? '').split(';')[0] ?? '';
    return { cookie, state: location.searchParams.get('state') ?? '', location };
  }

  async function callback(query: string, cookie?: string): Promise<{ location: string; cookies: string[] }> {
    const response = await fetch(`${stack.url}/ui/auth/oidc/callback?${query}`, { redirect: 'manual', headers: cookie === undefined ? {} : { cookie } });
    assert.equal(response.status, 302, await response.text());
    return { location: response.headers.get('location') ?? '', cookies: response.headers.getSetCookie() };
  }

  function assertRefused(result: { location: string; cookies: string[] }, what: string): void {
    assert.match(result.location, LOGIN_ERROR, what);
    assert.ok(!result.cookies.some((line) => line.startsWith('crossway_session=') && !/Max-Age=0/.test(line)), `${what} opened a session`);
  }

  it('ignores redirect parameters on login: the browser goes to the provider, which sends it back to this gateway only', async () => {
    const { location } = await startFlow('?return_to=https://evil.example/&redirect_uri=https://evil.example/cb&next=//evil.example&state=mine');
    assert.equal(location.origin, issuer);
    assert.equal(location.searchParams.get('redirect_uri'), `${stack.url}/ui/auth/oidc/callback`);
    assert.notEqual(location.searchParams.get('state'), 'mine');
  });

  it('lands every hostile callback on a fixed login_error without a session', async () => {
    const giant = 'c'.repeat(7_000);
    assertRefused(await callback(`code=${giant}&state=${giant}`), 'no flow cookie');
    const forgedCookie = `crossway_oidc=${'A'.repeat(300)}`;
    assertRefused(await callback('code=x&state=y', forgedCookie), 'a forged flow cookie');
    assertRefused(await callback('code=x&state=y', `crossway_oidc=${'A'.repeat(6_000)}`), 'an overlong flow cookie');

    const flow = await startFlow();
    assertRefused(await callback(`code=${giant}&state=${flow.state}`, flow.cookie), 'a giant code');
    const repeated = await startFlow();
    assertRefused(await callback(`code=x&code=y&state=${repeated.state}&state=${repeated.state}`, repeated.cookie), 'a repeated code and state');
    const wrong = await startFlow();
    assertRefused(await callback(`code=x&state=${wrong.state}x`, wrong.cookie), 'a wrong state');
    const other = await startFlow();
    const another = await startFlow();
    assertRefused(await callback(`code=x&state=${other.state}`, another.cookie), "another flow's state");
    const refused = await startFlow();
    const idpError = await callback(`error=${'e'.repeat(5_000)}&error_description=${'d'.repeat(5_000)}&state=${refused.state}`, refused.cookie);
    assert.equal(idpError.location, '/ui/?login_error=idp_error');
    // The log quotes an excerpt of what the request said, not all of it.
    assert.ok(!stack.logs().includes('e'.repeat(100)), 'the log quotes the whole IdP error');
    assert.ok(!stack.logs().includes('c'.repeat(300)), 'the log quotes the whole code');
    assert.ok(!stack.logs().includes(CLIENT_SECRET), 'the client secret reached the log');
  });
});
