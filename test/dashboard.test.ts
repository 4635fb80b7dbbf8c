// The dashboard at /ui in a real browser: Debian's chromium driven by playwright-core (no browser download) against a
// gateway with the cloud emulators. Signs in with a key, sees a request it just made, sees a route open after faults,
// creates, rotates and revokes a key, downloads a statement, and checks that a tenant admin sees only their tenant.
// Screenshots of every page go to test-artifacts/ (gitignored); CROSSWAY_UPDATE_SCREENSHOTS=1 also copies the ones the
// README shows to docs/screenshots/.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { buildUi } from '../bin/build-ui.js';
import { ROOT } from './support/run-crossway.ts';
import { startStack, type Stack } from './support/start-stack.ts';
import { WAIT_MS, waitFor } from './support/wait-for.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-artifacts');
const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
/** The screenshots the README shows (docs/screenshots/); the others stay test artifacts. The Overview's are dashboard-overview.test.ts's. */
const README_SCREENSHOTS = new Set(['routes', 'request-detail', 'tenants', 'ledger', 'audit']);
const HELLO = [{ role: 'user' as const, content: 'Hello from the dashboard test' }];
/** How long the page may take to show what the gateway already knows (pages refresh every 5 s): only a broken run waits this long. */
const SEE_MS = WAIT_MS;

const AGREEMENT = {
  id: 'partner-share',
  licensor: 'openai',
  revenue_share: { payer: 'openai', payee: 'partner', rate: 0.2, scope: ['openai'], from: '2026-01-01', until: '2030-12-31' },
};

const skip = existsSync(CHROMIUM) ? false : `Debian chromium is not installed at ${CHROMIUM} (.ci/run installs it: apt-get install chromium)`;

describe('the dashboard in a real browser', { skip }, () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Script errors and Content-Security-Policy refusals the pages caused: there must be none. */
  const problems: string[] = [];

  before(async () => {
    assert.equal(await buildUi(), 'built');
    mkdirSync(ARTIFACTS, { recursive: true });
    stack = await startStack({ agreements: [AGREEMENT] });
    for (const id of ['acme', 'beta'])
      assert.equal((await stack.api('POST', '/admin/tenants', { id, name: `${id} corp`, budget: { limit: '25' } })).status, 201);
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
    context = await browser.newContext({ viewport: LAPTOP, acceptDownloads: true });
    page = await context.newPage();
    page.setDefaultTimeout(SEE_MS);
    page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
    });
  });

  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  /** Saves the page as test-artifacts/<name>.png, and to docs/screenshots when asked to update them. */
  async function screenshot(on: Page, name: string): Promise<void> {
    const file = join(ARTIFACTS, `${name}.png`);
    await on.evaluate('window.scrollTo(0, 0)');
    await on.screenshot({ path: file });
    if (process.env.CROSSWAY_UPDATE_SCREENSHOTS === '1' && README_SCREENSHOTS.has(name)) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      copyFileSync(file, join(SCREENSHOTS, `${name}.png`));
    }
  }

  async function signIn(on: Page, key: string): Promise<void> {
    await on.goto(`${stack.url}/ui/`);
    await on.getByLabel('Master key or admin key').fill(key);
    await on.getByRole('button', { name: 'Sign in', exact: true }).click();
    await on.getByRole('navigation', { name: 'Dashboard' }).waitFor();
  }

  async function open(on: Page, label: string): Promise<void> {
    await on.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: label }).click();
    await on.getByRole('heading', { level: 1, name: label }).waitFor();
  }

  it('serves /ui with a strict policy: CSP without inline script, no framing, SPA fallback, hashed assets cached, GET and HEAD only', async () => {
    const index = await fetch(`${stack.url}/ui/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const policy = index.headers.get('content-security-policy') ?? '';
    assert.match(policy, /default-src 'self'/);
    assert.match(policy, /frame-ancestors 'none'/);
    assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval/);
    assert.equal(index.headers.get('x-frame-options'), 'DENY');
    assert.equal(index.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(index.headers.get('referrer-policy'));
    const html = await index.text();
    assert.doesNotMatch(html, /<script>|<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    const script = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script !== undefined, html);
    const asset = await fetch(`${stack.url}${script}`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
    assert.match(asset.headers.get('content-type') ?? '', /^text\/javascript/);
    // The app's own routes fall back to index.html; a file that is not in the build is a 404.
    for (const path of ['/ui', '/ui/requests/req_1']) assert.equal(await (await fetch(`${stack.url}${path}`)).text(), html, path);
    assert.equal((await fetch(`${stack.url}/ui/assets/missing.js`)).status, 404);
    // Nothing outside dist/ui is reachable, however the path is spelled; the build's stamp is not served either.
    for (const path of [
      '/ui/../package.json',
      '/ui/%2e%2e/%2e%2e/package.json',
      '/ui/..%2f..%2fpackage.json',
      '/ui/.source-stamp.json',
      '/ui/assets/..%2f..%2f..%2fREADME.md',
    ]) {
      const response = await fetch(`${stack.url}${path}`);
      const body = await response.text();
      assert.doesNotMatch(body, /"name": "crossway"|"sha256"|# Crossway/, path);
    }
    assert.equal((await fetch(`${stack.url}/ui/`, { method: 'HEAD' })).status, 200);
    assert.equal((await fetch(`${stack.url}/ui/`, { method: 'POST' })).status, 405);
  });

  it('signs in with the master key (a wrong key is refused with a message)', async () => {
    await page.goto(`${stack.url}/ui/`);
    await page.getByRole('heading', { name: 'Sign in to the dashboard' }).waitFor();
    await screenshot(page, 'sign-in');
    await page.getByLabel('Master key or admin key').fill('sk-cw-not-a-key-000000');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('alert').waitFor();
    await signIn(page, stack.masterKey);
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Routes' }).count(), 1, 'the master key sees the routes');
    // Keyboard first: the first Tab reaches the skip link, which takes focus to the page's heading.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.textContent'), 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate('document.activeElement.id'), 'page-title');
    // The session is an HttpOnly cookie: nothing the page's script can read, and the key itself is not kept.
    const session = (await context.cookies()).find((cookie) => cookie.name === 'crossway_session');
    assert.ok(session?.httpOnly === true && session.sameSite === 'Strict', JSON.stringify(session));
    // Evaluated in the page (as text: this file is typed without the DOM).
    assert.equal(await page.evaluate('document.cookie'), '');
    const stored = String(await page.evaluate('JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage })'));
    assert.ok(!stored.includes(stack.masterKey));
  });

  it('shows a request just made on the Requests page, and its decision', async () => {
    const { response } = await stack.client.chat.completions.create({ model: 'via-openai', messages: HELLO }).withResponse();
    const id = response.headers.get('x-request-id');
    assert.ok(id !== null);
    await open(page, 'Requests');
    const row = page.locator(`tr[data-request="${id}"]`);
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /via-openai/);
    await screenshot(page, 'requests');
    await row.getByRole('link', { name: id }).click();
    await page.getByRole('heading', { name: 'Routing decision' }).waitFor();
    await page.getByRole('cell', { name: 'openai-only' }).first().waitFor();
    // Its usage: the tokens the client was told, and a cost.
    const usage = page.getByRole('table', { name: 'Usage of this request' }).getByRole('row').filter({ hasText: 'via-openai' });
    assert.match((await usage.textContent()) ?? '', /\$0\.\d{4}/);
    await screenshot(page, 'request-detail');
  });

  it('shows routes turning open after emulator faults', async () => {
    await open(page, 'Routes');
    await page.locator('tr[data-route="azure-eastus2-gpt-5.5"]').waitFor();
    await stack.fault('azure', { status: 503 });
    try {
      for (let i = 0; i < 5; i += 1) await stack.client.chat.completions.create({ model: 'gpt-5.5', messages: HELLO });
      // A model with no other route: the failure reaches the client and the request log.
      await assert.rejects(stack.client.chat.completions.create({ model: 'via-azure-v1', messages: HELLO }), OpenAI.APIError);
    } finally {
      await stack.clearFaults();
    }
    const state = page.locator('tr[data-route="azure-eastus2-gpt-5.5"] .badge');
    await waitFor('the route shown open', async () => (await state.textContent()) === 'open');
    assert.equal(await page.locator('tr[data-route="openai-global-gpt-5.5"] .badge').textContent(), 'closed');
    await screenshot(page, 'routes');
    await page.getByRole('button', { name: 'Log of recent failures of azure-v1-only' }).click();
    const failures = page.getByRole('region', { name: 'Recent failures of azure-v1-only' });
    // The request every route failed is logged under the route its last attempt asked: the panel lists it.
    await failures.getByRole('table').waitFor();
    await waitFor('the failed request listed', async () => /req_\w+[\s\S]*50\d/.test((await failures.textContent()) ?? ''));
    await failures.getByRole('button', { name: 'Close' }).click();
  });

  it('explains a plan: kept and rejected routes with their reasons, as `crossway plan` does', async () => {
    const explorer = page.getByRole('region', { name: 'Plan explorer' });
    await explorer.locator('select[name="model"]').selectOption('gpt-5.5');
    await explorer.getByLabel('Provider').fill('openai');
    await explorer.getByRole('button', { name: 'Plan', exact: true }).click();
    await explorer.getByRole('table', { name: 'Kept routes' }).getByRole('cell', { name: 'openai-global-gpt-5.5' }).waitFor();
    const rejected = explorer.getByRole('table', { name: 'Rejected routes' }).getByRole('row').filter({ hasText: 'azure-eastus2-gpt-5.5' });
    assert.match((await rejected.textContent()) ?? '', /provider/i);
    await explorer.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'plan-explorer.png'), fullPage: true });
  });

  it('creates a key (its secret shown once and working), rotates it and revokes it', async () => {
    await open(page, 'Tenants & keys');
    const form = page.getByRole('form', { name: 'Create a key' });
    await form.locator('select[name="tenant"]').selectOption('acme');
    await form.getByLabel('Name', { exact: true }).fill('dashboard-made');
    await form.getByLabel('Requests per minute').fill('60');
    await form.getByLabel('Budget', { exact: true }).fill('5');
    await form.getByRole('button', { name: 'Create key' }).click();
    const secret = ((await page.locator('[data-secret]').textContent()) ?? '').trim();
    assert.match(secret, /^sk-/);
    await screenshot(page, 'tenants');
    const created = await stack.clientFor(secret).chat.completions.create({ model: 'via-openai', messages: HELLO });
    assert.ok(created.choices.length > 0);
    const keys = await stack.api('GET', '/admin/keys?tenant=acme');
    const record = keys.body.data.find((key: { name: string | null }) => key.name === 'dashboard-made');
    assert.equal(record.rpm, 60);
    assert.equal(record.budget.limit, '5.000000');

    const row = page.locator(`tr[data-key="${record.id}"]`);
    await row.getByRole('button', { name: 'Rotate dashboard-made' }).click();
    await waitFor('the rotated secret', async () => ((await page.locator('[data-secret]').textContent()) ?? '').trim() !== secret);
    const rotated = ((await page.locator('[data-secret]').textContent()) ?? '').trim();
    await assert.rejects(stack.clientFor(secret).chat.completions.create({ model: 'via-openai', messages: HELLO }), OpenAI.AuthenticationError);
    await stack.clientFor(rotated).chat.completions.create({ model: 'via-openai', messages: HELLO });

    await row.getByRole('button', { name: 'Revoke dashboard-made' }).click();
    await row.getByRole('button', { name: 'Confirm revoking dashboard-made' }).click();
    await row.getByText('revoked').waitFor();
    await assert.rejects(stack.clientFor(rotated).chat.completions.create({ model: 'via-openai', messages: HELLO }), OpenAI.AuthenticationError);
  });

  it('downloads a revenue-share statement as CSV', async () => {
    await open(page, 'Ledger');
    const statements = page.getByRole('region', { name: 'Revenue-share statements' });
    await statements.getByLabel('Agreement').fill('partner-share');
    const [download] = await Promise.all([page.waitForEvent('download'), statements.getByRole('button', { name: 'Download CSV' }).click()]);
    const path = await download.path();
    const csv = readFileSync(path, 'utf8');
    const period = new Date().toISOString().slice(0, 7);
    const expected = await stack.api('GET', `/admin/ledger/statements?agreement=partner-share&period=${period}&format=csv`);
    assert.equal(csv, expected.body);
    assert.equal(download.suggestedFilename(), `statement-partner-share-${period}.csv`);
    await page.getByRole('region', { name: 'Usage' }).getByRole('cell', { name: 'acme', exact: true }).waitFor();
    await screenshot(page, 'ledger');
  });

  it('pages the other views without errors, on a laptop and on a phone', async () => {
    await open(page, 'Overview');
    await page.locator('.chart canvas').first().waitFor();
    await open(page, 'Audit log');
    await page.getByRole('cell', { name: 'key.revoke' }).first().waitFor();
    await screenshot(page, 'audit');
    await page.setViewportSize(PHONE);
    for (const [label, name] of [
      ['Overview', 'phone-overview'],
      ['Tenants & keys', 'phone-tenants'],
    ] as const) {
      await open(page, label);
      await page.waitForLoadState('networkidle');
      await screenshot(page, name);
    }
    await page.setViewportSize(LAPTOP);
    assert.deepEqual(problems, []);
  });

  it('shows a tenant admin only their tenant', async () => {
    const admin = await stack.api('POST', '/admin/keys', { tenant: 'acme', name: 'acme-admin', admin: true });
    assert.equal(admin.status, 201);
    await stack.api('POST', '/admin/keys', { tenant: 'beta', name: 'beta-secret-key' });
    const tenantContext = await browser.newContext({ viewport: LAPTOP });
    try {
      const tenantPage = await tenantContext.newPage();
      tenantPage.setDefaultTimeout(SEE_MS);
      await signIn(tenantPage, admin.body.key);
      assert.equal(await tenantPage.getByRole('link', { name: 'Routes' }).count(), 0, 'routes are the operator’s');
      await open(tenantPage, 'Tenants & keys');
      await tenantPage.locator('tr[data-tenant="acme"]').waitFor();
      await tenantPage.locator('tr[data-key]').first().waitFor();
      assert.equal(await tenantPage.locator('tr[data-tenant="beta"]').count(), 0);
      const keys = await tenantPage.locator('tr[data-key]').allTextContents();
      assert.ok(keys.length > 0 && keys.every((text) => text.includes('acme') && !text.includes('beta')), keys.join('\n'));
      await open(tenantPage, 'Ledger');
      assert.equal(await tenantPage.getByRole('region', { name: 'Revenue-share statements' }).count(), 0);
      await screenshot(tenantPage, 'tenant-admin');
    } finally {
      await tenantContext.close();
    }
  });

  it('signs out: the session ends and the sign-in page is back', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to the dashboard' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to the dashboard' }).waitFor();
  });
});
