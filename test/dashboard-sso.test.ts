// Single sign-on into the dashboard in a real browser: Debian's chromium (playwright-core) clicks the dashboard's
// single sign-on button, signs in on a real OpenID provider (oidc-provider, started here on 127.0.0.1, with its own
// login and consent pages), and lands on the dashboard as the role and tenant its claims give. The protocol itself
// (PKCE, state, nonce, refusals) is tested in dashboard-oidc.test.ts; this is the browser's path through it.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { buildUi } from '../bin/build-ui.js';
import { ROOT } from './support/run-crossway.ts';
import { startStack, type Stack } from './support/start-stack.ts';
import { WAIT_MS } from './support/wait-for.ts';
import { createTestOidcProvider } from './support/test-oidc-provider.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-artifacts');
const CLIENT_SECRET = 'oidc-browser-client-secret-0001';

/** The provider's users: `crossway_role` and `crossway_tenant` are the claims the gateway reads (its defaults). */
const ACCOUNTS: Record<string, Record<string, unknown>> = {
  tom: { email: 'tom@example.com', email_verified: true, crossway_role: 'tenant_admin', crossway_tenant: 'acme' },
  vera: { email: 'vera@example.com', email_verified: true, crossway_role: 'viewer', crossway_tenant: 'acme' },
  nobody: { email: 'nobody@example.com', email_verified: true },
};

const skip = existsSync(CHROMIUM) ? false : `Debian chromium is not installed at ${CHROMIUM} (.ci/run installs it: apt-get install chromium)`;

describe('single sign-on into the dashboard in a real browser', { skip }, () => {
  let stack: Stack;
  let idp: Server;
  let browser: Browser;

  before(async () => {
    assert.equal(await buildUi(), 'built');
    mkdirSync(ARTIFACTS, { recursive: true });
    let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
    idp = createServer((req, res) => handle(req, res));
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    stack = await startStack({
      auth: {
        oidc: {
          issuer,
          client_id: 'crossway-dashboard',
          client_secret: CLIENT_SECRET,
          name: 'Example SSO',
          scopes: ['openid', 'email', 'profile', 'crossway'],
          timeout_ms: 5_000,
        },
      },
    });
    for (const id of ['acme', 'beta']) assert.equal((await stack.api('POST', '/admin/tenants', { id, name: `${id} corp` })).status, 201);
    const provider = createTestOidcProvider({
      issuer,
      clientSecret: CLIENT_SECRET,
      redirectUri: `${stack.url}/ui/auth/oidc/callback`,
      cookieKey: 'oidc-browser-test-cookie-key',
      accounts: ACCOUNTS,
    });
    handle = provider.callback();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      timeout: 30_000,
    });
  });

  after(async () => {
    await browser?.close();
    await stack?.close();
    idp?.closeAllConnections();
    await new Promise<void>((resolve) => (idp === undefined ? resolve() : idp.close(() => resolve())));
  });

  /** Clicks the single sign-on button and goes through the provider's login and consent pages as `user`. */
  async function signInThroughProvider(page: Page, user: string): Promise<void> {
    await page.goto(`${stack.url}/ui/`);
    await page.getByRole('link', { name: 'Sign in with Example SSO' }).click();
    // The provider's pages (login, then consent) until the browser is back on the gateway.
    for (let step = 0; step < 5 && !page.url().startsWith(`${stack.url}/ui/`); step += 1) {
      const login = page.locator('input[name="login"]');
      if ((await login.count()) > 0) {
        await login.fill(user);
        await page.locator('input[name="password"]').fill('any');
      }
      const before = page.url();
      await Promise.all([page.waitForURL((url) => url.href !== before), page.locator('button[type="submit"]').first().click()]);
    }
    await page.waitForURL((url) => url.href.startsWith(`${stack.url}/ui/`));
  }

  it('signs a tenant admin in through the provider and shows only their tenant', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(WAIT_MS);
      await signInThroughProvider(page, 'tom');
      await page.getByRole('navigation', { name: 'Dashboard' }).waitFor();
      assert.match((await page.locator('.who').textContent()) ?? '', /tom@example\.com/);
      const session = (await context.cookies()).find((cookie) => cookie.name === 'crossway_session');
      assert.ok(session?.httpOnly === true && session.sameSite === 'Strict', JSON.stringify(session));
      assert.equal(await page.getByRole('link', { name: 'Routes' }).count(), 0);
      await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Tenants & keys' }).click();
      await page.locator('tr[data-tenant="acme"]').waitFor();
      assert.equal(await page.locator('tr[data-tenant="beta"]').count(), 0);
      await page.screenshot({ path: join(ARTIFACTS, 'sso-tenant-admin.png') });
    } finally {
      await context.close();
    }
  });

  it('gives a viewer the pages without any control that changes something', async () => {
    assert.equal((await stack.api('POST', '/admin/keys', { tenant: 'acme', name: 'acme-app' })).status, 201);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(WAIT_MS);
      await signInThroughProvider(page, 'vera');
      await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Tenants & keys' }).click();
      await page.locator('tr[data-key]').first().waitFor();
      assert.equal(await page.getByRole('form', { name: 'Create a key' }).count(), 0);
      assert.equal(await page.getByRole('button', { name: /^(Rotate|Revoke)/ }).count(), 0);
      assert.match((await page.locator('.who').textContent()) ?? '', /Viewer of acme/);
    } finally {
      await context.close();
    }
  });

  it('brings an account without a role back to the sign-in page with the reason', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(WAIT_MS);
      await signInThroughProvider(page, 'nobody');
      assert.match(page.url(), /login_error=no_role/);
      await page.getByRole('alert').filter({ hasText: 'no role on this gateway' }).waitFor();
      assert.equal(await page.getByRole('navigation', { name: 'Dashboard' }).count(), 0);
    } finally {
      await context.close();
    }
  });
});
