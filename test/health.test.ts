// Route health end to end: outlier ejection and half-open probes seen through GET /admin/routes, and the retry
// budget holding the emulators' load down in a fault storm on every route.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startStack, type Stack } from './support/start-stack.ts';

const HELLO = [{ role: 'user' as const, content: 'Hello' }];

interface AdminRoute {
  id: string;
  model: string;
  provider: string;
  region: string;
  state: 'closed' | 'open' | 'half_open';
  ejections: number;
  consecutive_failures: number;
  error_rate: number | null;
  latency_ewma_ms: number | null;
  ejected_until: string | null;
}

async function adminRoutes(
  stack: Stack,
  key = stack.masterKey,
): Promise<{ status: number; routes: Map<string, AdminRoute>; body: { object?: string; data?: AdminRoute[] } }> {
  const response = await fetch(`${stack.url}/admin/routes`, { headers: { authorization: `Bearer ${key}` } });
  const body = (await response.json()) as { object?: string; data?: AdminRoute[] };
  return { status: response.status, routes: new Map((body.data ?? []).map((route) => [route.id, route])), body };
}

describe('outlier ejection and GET /admin/routes', () => {
  let stack: Stack;
  // The gateway's clock: the test moves it past the ejection instead of waiting for it.
  let skewMs = 0;
  before(async () => {
    // Envoy's thresholds with a 30 s ejection, which the test ends by moving the clock; no ejection cap nor panic, so
    // that a whole cloud (two of gpt-5.5's three routes) can be ejected (test/outlier-caps.test.ts has those).
    stack = await startStack({
      execute: { attempt_timeout_ms: 2_000, outlier: { base_ejection_ms: 30_000, max_ejection_percent: 100, panic_threshold_percent: 0 } },
      now: () => new Date(Date.now() + skewMs),
    });
  });
  after(async () => {
    await stack.close();
  });

  it('lists every catalog route, closed and without samples before any traffic, for the master key only', async () => {
    const { status, routes, body } = await adminRoutes(stack);
    assert.equal(status, 200);
    assert.equal(body.object, 'list');
    assert.deepEqual(
      [...routes.keys()],
      stack.catalog.routes.map((route) => route.id),
    );
    assert.deepEqual(routes.get('azure-swedencentral-gpt-5.5'), {
      id: 'azure-swedencentral-gpt-5.5',
      model: 'gpt-5.5',
      provider: 'azure',
      region: 'swedencentral',
      state: 'closed',
      ejections: 0,
      consecutive_failures: 0,
      error_rate: null,
      latency_ewma_ms: null,
      ejected_until: null,
    });
    assert.equal((await adminRoutes(stack, 'sk-wrong-key-000000')).status, 401);
  });

  it('Azure failing 100% with 503: traffic moves on, Azure is ejected, and after the fault a half-open probe closes it', async () => {
    await stack.fault('azure', { status: 503 });
    for (let i = 0; i < 5; i += 1) {
      const { response } = await stack.client.chat.completions.create({ model: 'gpt-5.5', messages: HELLO }).withResponse();
      assert.equal(response.headers.get('x-crossway-route'), 'openai-global-gpt-5.5');
    }
    const ejected = (await adminRoutes(stack)).routes;
    const azure = ejected.get('azure-eastus2-gpt-5.5');
    assert.equal(azure?.state, 'open');
    assert.equal(azure?.ejections, 1);
    assert.equal(azure?.error_rate, 1);
    const until = Date.parse(azure?.ejected_until ?? '');
    assert.ok(until > Date.now() && until <= Date.now() + 30_000, `ejected until ${azure?.ejected_until}`);
    assert.equal(ejected.get('azure-swedencentral-gpt-5.5')?.state, 'open');
    const openai = ejected.get('openai-global-gpt-5.5');
    assert.equal(openai?.state, 'closed');
    assert.equal(openai?.error_rate, 0);
    assert.ok(typeof openai?.latency_ewma_ms === 'number' && openai.latency_ewma_ms > 0);

    // While ejected, Azure is not called at all.
    const azureCalls = (await stack.journal('azure')).length;
    const { response } = await stack.client.chat.completions.create({ model: 'gpt-5.5', messages: HELLO }).withResponse();
    assert.equal(response.headers.get('x-crossway-route'), 'openai-global-gpt-5.5');
    assert.equal((await stack.journal('azure')).length, azureCalls);

    await stack.clearFaults();
    // Half-open once the ejection is over: the clock moves past it.
    skewMs = until - Date.now() + 1;
    assert.equal((await adminRoutes(stack)).routes.get('azure-eastus2-gpt-5.5')?.state, 'half_open');

    const probe = await stack.client.chat.completions.create({ model: 'gpt-5.5', messages: HELLO }).withResponse();
    assert.equal(probe.response.headers.get('x-crossway-route'), 'azure-eastus2-gpt-5.5');
    assert.equal((await stack.journal('azure')).length, azureCalls + 1, 'exactly one probe');
    const closed = (await adminRoutes(stack)).routes.get('azure-eastus2-gpt-5.5');
    assert.equal(closed?.state, 'closed');
    assert.equal(closed?.ejected_until, null);
    assert.equal(closed?.ejections, 1, 'the count decays with healthy time, not at once');
  });
});

describe('retry budget in a fault storm', () => {
  let stack: Stack;
  before(async () => {
    // No ejection here: the budget alone must keep the retries down.
    stack = await startStack({ execute: { attempt_timeout_ms: 5_000, outlier: { consecutive_failures: 1_000 } } });
  });
  after(async () => {
    await stack.close();
  });

  it('every route answering 503: N concurrent requests cost at most N + (max_attempts - 1) x max(20% of N, 3) upstream calls', async () => {
    // Slow failures keep the requests concurrent, so each wave of retries meets the budget at once.
    await stack.fault('azure', { status: 503, latency_ms: 300 });
    await stack.fault('openai', { status: 503, latency_ms: 300 });
    const requests = 20;
    const results = await Promise.allSettled(
      Array.from({ length: requests }, () => stack.client.chat.completions.create({ model: 'gpt-5.5', messages: HELLO })),
    );
    const hits = (await stack.journal('azure')).length + (await stack.journal('openai')).length;
    const allowedRetries = Math.max(Math.floor(requests * 0.2), 3);
    const maxAttempts = stack.catalog.config.execute.max_attempts;
    // Without the budget this storm would cost requests x max_attempts = 80 calls.
    assert.ok(hits > requests, `${hits} calls: some retries were allowed`);
    assert.ok(hits <= requests + (maxAttempts - 1) * allowedRetries, `${hits} calls for ${requests} requests`);
    const errors = results.map((result) => (result.status === 'rejected' ? (result.reason as unknown) : null));
    assert.ok(errors.every((error) => error instanceof OpenAI.APIError && error.status === 502));
    assert.ok(errors.some((error) => error instanceof OpenAI.APIError && /Retry budget exhausted/.test(error.message)));
    assert.deepEqual(stack.gateway.executor.load(), { active: 0, retries: 0, allowedRetries: 3 });
  });
});
