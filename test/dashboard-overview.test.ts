// The dashboard's Overview in a real browser (Debian's chromium driven by playwright-core) with traffic that looks like
// a gateway's: an hour of history seeded through the store's own write methods, then live calls through the gateway
// (several models, a stream, failures from emulator faults). Checks that the tiles show the window's totals, that every
// chart has data across the whole window, and that after a change of window the page shows that window's data only.
// Takes the README's Overview screenshots (laptop and phone): test-artifacts/, and docs/screenshots/ with
// CROSSWAY_UPDATE_SCREENSHOTS=1.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { type Browser, chromium, type Page } from 'playwright-core';
import { buildUi } from '../bin/build-ui.js';
import { buildTransfers, formatMoney as formatMicro, type Micro } from '../src/metering/index.ts';
import type { LedgerEntry, RequestLogRow, UsageEventRecord } from '../src/store/index.ts';
import { formatCount, formatMoney, formatPercent } from '../ui/src/format.ts';
import { ROOT } from './support/run-crossway.ts';
import { startStack, type Stack } from './support/start-stack.ts';
import { WAIT_MS, waitFor } from './support/wait-for.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-artifacts');
const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const HELLO = [{ role: 'user' as const, content: 'Hello from the overview test' }];
/** The default routes' price (test/support/start-stack.ts): what the seeded history is priced at. */
const PRICE = { input: 5, cached_input: 0.5, output: 30, currency: 'USD' };
/** The seeded history's models, with the route and provider each is logged under. */
const SEEDED_ROUTES = [
  { model: 'gpt-5.5', route: 'azure-eastus2-gpt-5.5', provider: 'azure', region: 'eastus2' },
  { model: 'gpt-5.5', route: 'openai-global-gpt-5.5', provider: 'openai', region: 'global' },
  { model: 'via-openai', route: 'openai-only', provider: 'openai', region: 'global' },
  { model: 'via-azure-v1', route: 'azure-v1-only', provider: 'azure', region: 'eastus2' },
] as const;
/**
 * History from this many minutes ago up to the minute before the current one: an hour's window (60 one-minute
 * buckets, the last one the current minute) holds all of it for a few minutes after seeding, however slow the run.
 */
const HISTORY_MINUTES = 55;

/** A small deterministic generator (mulberry32): the same history every run, varied like real traffic. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** What the seeded history adds up to: the figures the Overview must show, live calls aside. */
interface SeededTotals {
  requests: number;
  errors: number;
  cost: Micro;
}

const skip = existsSync(CHROMIUM) ? false : `Debian chromium is not installed at ${CHROMIUM} (.ci/run installs it: apt-get install chromium)`;

/**
 * An hour of traffic for the screenshot and for checking the bucketing over a full window: every minute of the past
 * HISTORY_MINUTES gets a few to a dozen requests (a slow wave with bursts), with an outage of five minutes and a rate
 * limit now and then, a third of them streamed, with durations, upstream time (so gateway overhead) and tokens that vary. Each success gets its usage
 * event and transfers, priced and built by the ledger's own buildTransfers. Deterministic (seededRandom): the same rows
 * every run but for their ids and the current time.
 */
function makeHistory(now: number): { rows: RequestLogRow[]; entries: LedgerEntry[]; totals: SeededTotals } {
  const rows: RequestLogRow[] = [];
  const entries: LedgerEntry[] = [];
  const totals: SeededTotals = { requests: 0, errors: 0, cost: 0n };
  const random = seededRandom(18);
  const between = (low: number, high: number) => Math.floor(low + random() * (high - low + 1));
  const minuteStart = Math.floor(now / 60_000) * 60_000;
  for (let minutesAgo = HISTORY_MINUTES; minutesAgo >= 1; minutesAgo--) {
    const count = Math.round(6 + 3 * Math.sin(minutesAgo / 6)) + between(0, 3) + (minutesAgo % 17 === 0 ? 5 : 0);
    // Slower calls while traffic is high: the latency follows the load a little.
    const load = count / 10;
    for (let index = 0; index < count; index++) {
      const createdAt = minuteStart - minutesAgo * 60_000 + between(0, 59_000);
      const target = SEEDED_ROUTES[between(0, SEEDED_ROUTES.length - 1)]!;
      // An upstream outage half an hour ago (most calls of five minutes fail), and now and then a rate limit.
      const outage = minutesAgo >= 31 && minutesAgo <= 35 && random() < 0.6;
      const failure = outage ? 503 : random() < 0.02 ? 429 : null;
      const stream = random() < 0.35;
      const duration = Math.round((300 + random() * 700) * (0.8 + load * 0.4) + (random() < 0.05 ? 1_500 : 0));
      const overhead = between(2, 9);
      const input = between(150, 2_400);
      const cached = random() < 0.3 ? Math.floor(input / 3) : 0;
      const output = failure === null ? between(30, 700) : 0;
      const id = `req_${randomBytes(16).toString('hex')}`;
      rows.push({
        id,
        created_at: new Date(createdAt).toISOString(),
        endpoint: 'chat.completions',
        model: target.model,
        route: failure === 429 ? null : target.route,
        provider: failure === 429 ? null : target.provider,
        attempts: failure === 429 ? 0 : failure === null ? 1 : 2,
        status: failure ?? 200,
        error_code: failure === 503 ? 'upstream_unavailable' : failure === 429 ? 'rate_limited' : null,
        stream,
        prompt_tokens: failure === null ? input : null,
        completion_tokens: failure === null ? output : null,
        cached_tokens: failure === null ? cached : null,
        duration_ms: failure === 429 ? 1 : duration,
        ttfb_ms: stream && failure === null ? between(90, 320) : null,
        upstream_ms: failure === 429 ? null : duration - overhead,
        tenant_id: ['acme', 'globex', 'default'][between(0, 2)]!,
        key_id: null,
        decision_id: null,
      });
      totals.requests += 1;
      if (failure !== null) {
        totals.errors += 1;
        continue;
      }
      const completedAt = new Date(createdAt + duration).toISOString();
      const eventId = `evt_${randomBytes(12).toString('hex')}`;
      const usage = { input_tokens: input, cached_tokens: cached, output_tokens: output };
      const tenant = rows.at(-1)!.tenant_id!;
      const built = buildTransfers({
        event: { id: eventId, tenant, provider: target.provider, model: target.model, timestamp: completedAt, usage },
        price: PRICE,
      });
      const event: UsageEventRecord = {
        id: eventId,
        request_id: id,
        tenant,
        key_id: null,
        endpoint: 'chat.completions',
        model: target.model,
        route: target.route,
        provider: target.provider,
        region: target.region,
        ...usage,
        reasoning_tokens: 0,
        estimated: false,
        latency_ms: duration,
        status: 200,
        started_at: new Date(createdAt).toISOString(),
        completed_at: completedAt,
        currency: built.currency,
        cost: built.cost,
        charged: built.charged,
      };
      const transfers = built.transfers.map((transfer) => ({ ...transfer, agreement_id: transfer.agreement_id ?? null, created_at: completedAt }));
      entries.push({ event, transfers });
      totals.cost += built.cost;
    }
  }
  return { rows, entries, totals };
}

/** The successful live calls: every single-route model and a failover model, one of them streamed. */
const LIVE_CALLS = [
  ['gpt-5.5', false],
  ['via-openai', false],
  ['via-azure-v1', false],
  ['via-azure-deployments', false],
  ['gpt-5.5', true],
] as const;

/** One chat call (a stream read to its end: the request is logged when it ends); the gateway's request id. */
async function callGateway(client: OpenAI, model: string, stream: boolean): Promise<string | null> {
  if (stream) {
    const { data, response } = await client.chat.completions
      .create({ model, messages: HELLO, stream: true, stream_options: { include_usage: true } })
      .withResponse();
    for await (const _chunk of data) {
      // Read to the end.
    }
    return response.headers.get('x-request-id');
  }
  const { response } = await client.chat.completions.create({ model, messages: HELLO }).withResponse();
  return response.headers.get('x-request-id');
}

interface StatsAnswer {
  window: string;
  bucket_seconds: number;
  buckets: { t: string; requests: number }[];
  totals: { requests: number; errors: number; cost: Record<string, string>; overhead_p50_ms: number | null };
}

describe('the Overview in a real browser, with an hour of history and live traffic', { skip }, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let seeded: SeededTotals;
  /** The requests this test made through the gateway: how many, how many failed, and their ids (x-request-id). */
  const live = { requests: 0, errors: 0, ids: [] as string[] };
  /** Script errors and Content-Security-Policy refusals the pages caused: there must be none. */
  const problems: string[] = [];

  before(async () => {
    assert.equal(await buildUi(), 'built');
    mkdirSync(ARTIFACTS, { recursive: true });
    // A gateway that has served a while has its code compiled: a throwaway one takes the first, slow calls of this
    // process, so that the Overview's overhead shows the steady milliseconds, not a fresh process's tens of them.
    const warmUp = await startStack();
    try {
      for (const [model, stream] of LIVE_CALLS) await callGateway(warmUp.client, model, stream);
    } finally {
      await warmUp.close();
    }
    stack = await startStack();
    for (const id of ['acme', 'globex']) assert.equal((await stack.api('POST', '/admin/tenants', { id, name: `${id} corp` })).status, 201);
    // Seeded before the first GET /admin/stats: the stats cache holds settled minutes once read, as rows come to it in
    // service (dated at the request's end and written within moments), never backdated an hour.
    const history = makeHistory(Date.now());
    await stack.gateway.store.insertRequestLogs(history.rows);
    const outcomes = await stack.gateway.store.commitLedger(history.entries);
    assert.ok(
      outcomes.every((outcome) => outcome.outcome === 'committed'),
      'every seeded entry committed',
    );
    seeded = history.totals;
  });

  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  /**
   * Starts chromium and opens the page: after the live calls, so that a browser starting up (several processes on a
   * machine's few cores) does not slow the calls whose gateway overhead the Overview then shows.
   */
  async function openBrowser(): Promise<void> {
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
    page = await (await browser.newContext({ viewport: LAPTOP })).newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
    });
  }

  /** Saves the page as test-artifacts/<name>.png, and to docs/screenshots when asked to update them. */
  async function screenshot(name: string, readme: boolean): Promise<void> {
    const file = join(ARTIFACTS, `${name}.png`);
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: file });
    if (readme && process.env.CROSSWAY_UPDATE_SCREENSHOTS === '1') {
      mkdirSync(SCREENSHOTS, { recursive: true });
      copyFileSync(file, join(SCREENSHOTS, `${name}.png`));
    }
  }

  /** The value shown on the Overview's tile `label`. */
  async function tile(label: string): Promise<string> {
    return (
      (await page
        .locator('.metric')
        .filter({ has: page.locator('.metric-label', { hasText: label }) })
        .locator('.metric-value')
        .textContent()) ?? ''
    ).trim();
  }

  /** The charts of window `window` once drawn: their titles, bucket counts, and buckets holding data. */
  async function chartsOf(window: string): Promise<{ title: string; buckets: number; filled: number; step: number }[]> {
    const charts = page.locator(`.charts[data-window="${window}"] .chart`);
    await waitFor(`the five charts of ${window}, drawn`, async () => (await page.locator(`.charts[data-window="${window}"] .chart canvas`).count()) === 5);
    const read = [];
    for (const chart of await charts.all()) {
      read.push({
        title: ((await chart.locator('figcaption').textContent()) ?? '').trim(),
        buckets: Number(await chart.getAttribute('data-buckets')),
        filled: Number(await chart.getAttribute('data-filled')),
        step: Number(await chart.getAttribute('data-step')),
      });
    }
    return read;
  }

  it('logs live calls (several models, a stream, failures from faults) with their upstream time', async () => {
    const failed: string[] = [];
    const call = (model: string, stream = false) => callGateway(stack.client, model, stream);
    for (const [model, stream] of LIVE_CALLS) {
      const id = await call(model, stream);
      assert.ok(id !== null);
      live.ids.push(id);
      live.requests += 1;
    }
    // Failures the upstream answers at once and the gateway does not retry (a 5xx is retried with backoff, and the
    // backoff counts as gateway overhead: a second of it would dwarf the history's few milliseconds on the chart).
    await stack.fault('openai', { status: 400 });
    try {
      for (let i = 0; i < 2; i++) {
        const error = await call('via-openai').then(
          () => assert.fail('the fault reaches the client'),
          (error: unknown) => error,
        );
        assert.ok(error instanceof OpenAI.APIError && error.status !== undefined && error.status >= 400, String(error));
        assert.ok(error.requestID !== null && error.requestID !== undefined);
        failed.push(error.requestID);
        live.requests += 1;
        live.errors += 1;
      }
    } finally {
      await stack.clearFaults();
    }
    // Every success is logged with the time spent upstream, and metered: what the Overview's overhead and spend read.
    for (const id of live.ids) {
      const row = await waitFor(`request ${id} logged`, async () => {
        const answer = await stack.api('GET', `/admin/requests/${id}`);
        return answer.status === 200 ? (answer.body.request as { upstream_ms: number | null; duration_ms: number }) : undefined;
      });
      assert.ok(row.upstream_ms !== null && row.upstream_ms <= row.duration_ms, `${id}: ${JSON.stringify(row)}`);
      await waitFor(`usage of ${id} committed`, async () => (await stack.gateway.store.findUsageEventsByRequest(id)).length > 0);
    }
    for (const id of failed) await waitFor(`failed request ${id} logged`, async () => (await stack.api('GET', `/admin/requests/${id}`)).status === 200);
    live.ids.push(...failed);
  });

  it('shows the window’s totals (history and live calls) on the tiles, as /admin/stats computes them from the store', async () => {
    // What the ledger holds for the live calls, the failed ones included (any usage of theirs is money spent too).
    let liveCost = 0n;
    for (const id of live.ids) for (const event of await stack.gateway.store.findUsageEventsByRequest(id)) liveCost += event.cost;
    const expected = { requests: seeded.requests + live.requests, errors: seeded.errors + live.errors, cost: seeded.cost + liveCost };
    const stats = await waitFor('the live calls counted in /admin/stats', async () => {
      const answer = (await stack.api('GET', '/admin/stats?window=1h')).body as StatsAnswer;
      return answer.totals.requests === expected.requests ? answer : undefined;
    });
    assert.equal(stats.totals.errors, expected.errors);
    assert.equal(stats.totals.cost.USD, formatMicro(expected.cost));
    assert.ok(stats.totals.overhead_p50_ms !== null);
    // Sixty one-minute buckets, the history in every one of the seeded minutes: nothing piles up at the right edge.
    assert.equal(stats.buckets.length, 60);
    assert.ok(stats.buckets.filter((bucket) => bucket.requests > 0).length >= HISTORY_MINUTES, JSON.stringify(stats.buckets.map((b) => b.requests)));

    await openBrowser();
    await page.goto(`${stack.url}/ui/`);
    await page.getByLabel('Master key or admin key').fill(stack.masterKey);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    assert.equal(await page.locator('select[name="window"]').inputValue(), '1h');
    await chartsOf('1h');
    assert.equal(await tile('Requests'), formatCount(expected.requests, true));
    assert.equal(await tile('Error rate'), formatPercent(expected.errors / expected.requests));
    assert.equal(await tile('Spend'), formatMoney(formatMicro(expected.cost), 'USD'));
  });

  it('draws every chart across the whole window, and after a change of window only that window’s data', async () => {
    const hour = await chartsOf('1h');
    assert.deepEqual(
      hour.map((chart) => chart.title),
      ['Traffic', 'Latency', 'Gateway overhead', 'Tokens', 'Spend (USD)'],
    );
    for (const chart of hour) {
      assert.equal(chart.buckets, 60, chart.title);
      assert.equal(chart.step, 60, chart.title);
      // The seeded minutes, each with requests, latency, overhead (upstream time logged), tokens and spend.
      assert.ok(chart.filled >= HISTORY_MINUTES, `${chart.title}: ${chart.filled} buckets with data`);
    }
    // Away from the cursor, each legend shows its series' latest value, not a row of dashes.
    await page.mouse.move(0, 0);
    const legend = await page.locator('.charts[data-window="1h"] .u-legend .u-series:not(:first-child) .u-value').allTextContents();
    assert.equal(legend.length, 11, legend.join(' | '));
    assert.ok(
      legend.every((value) => /\d/.test(value)),
      legend.join(' | '),
    );

    // What the page shows right after the change, before any answer: read in a microtask queued after Preact's render
    // (queued by the page's own change handler, which runs first), so before any effect has run or any fetch started.
    await page.evaluate(`document.querySelector('select[name="window"]').addEventListener('change', () => {
      Promise.resolve().then(() => { window.chartsAfterChange = document.querySelector('.charts')?.getAttribute('data-window') ?? 'none'; });
    }, { once: true })`);
    await page.locator('select[name="window"]').selectOption('15m');
    // The hour's charts are gone at once (the page says it is loading), not left standing under a select that says 15 minutes.
    assert.equal(await page.evaluate('window.chartsAfterChange'), 'none', 'the charts right after the change of window');
    await page.getByText('Loading the last 15 minutes…').or(page.locator('.charts[data-window="15m"]')).first().waitFor();
    const quarter = await chartsOf('15m');
    const quarterStats = (await stack.api('GET', '/admin/stats?window=15m')).body as StatsAnswer;
    assert.equal(await tile('Requests'), formatCount(quarterStats.totals.requests, true));
    assert.ok(quarterStats.totals.requests < seeded.requests, 'the quarter holds less than the hour');
    for (const chart of quarter) {
      assert.equal(chart.buckets, 30, chart.title);
      assert.equal(chart.step, 30, chart.title);
      // 14 seeded minutes and the live calls in 30-second buckets: most of them hold data.
      assert.ok(chart.filled >= 14, `${chart.title}: ${chart.filled} buckets with data`);
    }
    await screenshot('overview-15m', false);

    await page.locator('select[name="window"]').selectOption('1h');
    await chartsOf('1h');
    await page.mouse.move(0, 0);
    await screenshot('overview', true);
    await page.screenshot({ path: join(ARTIFACTS, 'overview-full.png'), fullPage: true });
  });

  it('reads on a phone: the same figures, charts sized to the screen', async () => {
    await page.setViewportSize(PHONE);
    // As a phone opens it: the charts are made at the phone's width (axis room and label spacing with it).
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await chartsOf('1h');
    const width = (await page.locator('.chart canvas').first().boundingBox())?.width ?? Number.NaN;
    assert.ok(width <= PHONE.width, `chart ${width} px wide`);
    assert.equal(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), true, 'nothing wider than the screen');
    await screenshot('phone-overview', true);
    await page.screenshot({ path: join(ARTIFACTS, 'phone-overview-full.png'), fullPage: true });
    assert.deepEqual(problems, []);
  });
});
