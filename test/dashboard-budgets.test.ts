// Budgets on the dashboard's Tenants & keys page in a real browser (Debian's chromium driven by playwright-core): a
// key's budget shows its spend after a call, and the reservation of a call held upstream while it is in flight, as
// GET /admin/keys/{id}/budget reads them; the tenant's budget shows the same reservation.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { buildUi, isUiFresh } from '../bin/build-ui.js';
import { ROOT } from './support/run-crossway.ts';
import { startHeldUpstream, type HeldUpstream } from './support/start-held-upstream.ts';
import { AZURE_KEY, DEFAULT_MODELS, defaultRoutes, OPENAI_KEY, startStack, type Stack } from './support/start-stack.ts';
import { WAIT_MS, waitFor } from './support/wait-for.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-artifacts');
const HELLO = [{ role: 'user' as const, content: 'Hello from the budgets test' }];

const skip = existsSync(CHROMIUM) ? false : `Debian chromium is not installed at ${CHROMIUM} (.ci/run installs it: apt-get install chromium)`;

describe('budgets on the dashboard', { skip }, () => {
  let stack: Stack;
  let held: HeldUpstream;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    // The dashboard as the sources are (other tests may be serving dist/ui: a fresh build is left alone).
    if (!isUiFresh()) assert.equal(await buildUi(), 'built');
    mkdirSync(ARTIFACTS, { recursive: true });
    held = await startHeldUpstream();
    // A priced model whose upstream holds each call until released: surely in flight, however slow the machine.
    const heldRoute = {
      id: 'held',
      model: 'held',
      provider: 'openai',
      endpoint: held.url,
      auth: { type: 'bearer', key: 'sk-held' },
      price: { input: 1, output: 1000, currency: 'USD' },
      timeout_ms: 600_000,
    };
    stack = await startStack({
      routes: (urls) => [...defaultRoutes(urls, { openai: OPENAI_KEY, azure: AZURE_KEY }), heldRoute],
      models: [...DEFAULT_MODELS, { id: 'held' }],
    });
    assert.equal((await stack.api('POST', '/admin/tenants', { id: 'acme', name: 'acme corp', budget: { limit: '25' } })).status, 201);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      timeout: 30_000,
    });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
    });
  });

  after(async () => {
    held?.release();
    await browser?.close();
    await stack?.close();
    await held?.close();
  });

  /** The budget cell's text once it reads as `match` says (the page reads budgets every 5 s). */
  async function cellReads(selector: string, what: string, match: (text: string) => boolean): Promise<string> {
    const cell = page.locator(`${selector} .budget`);
    return waitFor(what, async () => {
      const text = (await cell.textContent()) ?? '';
      return match(text) ? text : undefined;
    });
  }

  it("shows a key's spend after a call and the reservation of a call in flight, on the key and its tenant", async () => {
    const created = await stack.api('POST', '/admin/keys', { tenant: 'acme', name: 'budgeted', budget: { limit: '5', currency: 'USD', period: 'month' } });
    assert.equal(created.status, 201);
    const { id, key } = created.body as { id: string; key: string };
    const row = `tr[data-key="${id}"]`;

    await page.goto(`${stack.url}/ui/`);
    await page.getByLabel('Master key or admin key').fill(stack.masterKey);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Tenants & keys' }).click();
    await page.getByRole('heading', { level: 1, name: 'Tenants & keys' }).waitFor();
    await cellReads(row, 'the fresh budget', (text) => text.includes('$0.00 of $5.00 / month') && text.includes('reserved $0.00 · left $5.00'));

    await stack.clientFor(key).chat.completions.create({ model: 'via-openai', messages: HELLO });
    const spent = (await stack.api('GET', `/admin/keys/${id}/budget`)).body;
    assert.ok(Number(spent.spent) > 0);
    const shownSpend = `$${Number(spent.spent).toFixed(4)} of $5.00 / month`;
    await cellReads(row, 'the spend after a call', (text) => text.includes(shownSpend));

    const arrived = held.arrival();
    const inFlight = stack.clientFor(key).chat.completions.create({ model: 'held', messages: HELLO, max_completion_tokens: 100 });
    await arrived;
    const during = (await stack.api('GET', `/admin/keys/${id}/budget`)).body;
    const shownReserved = `reserved $${Number(during.reserved).toFixed(4)}`;
    assert.ok(Number(during.reserved) >= 0.1, during.reserved);
    const keyCell = await cellReads(row, 'the reservation of the call in flight', (text) => text.includes(shownReserved));
    assert.match(keyCell, new RegExp(`left \\$${(5 - Number(during.spent) - Number(during.reserved)).toFixed(2).replace('.', '\\.')}`));
    await cellReads('tr[data-tenant="acme"]', "the reservation on the tenant's budget", (text) => text.includes(shownReserved));
    assert.match(
      (await page.locator(`${row} .budget-bar`).getAttribute('aria-label')) ?? '',
      /^Spent \d+ %, reserved by calls in flight [1-9]\d* %, left \$4\.\d\d$/,
    );
    await page.screenshot({ path: join(ARTIFACTS, 'tenants-budgets.png'), fullPage: true });

    held.release();
    await inFlight;
    await cellReads(row, 'the reservation settled', (text) => text.includes('reserved $0.00'));
    assert.deepEqual(problems, []);
  });
});
