// Rate limits and budgets end to end, under concurrency: RPM, TPM and budget reservations per key and per tenant,
// OpenAI's x-ratelimit headers and 429 answers, and reservations released when a call fails.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI from 'openai';
import { DEFAULT_MODELS, startStack, type Stack } from './support/start-stack.ts';

const hello = [{ role: 'user' as const, content: 'Hello' }];

// One route priced at 1 USD per 1M input and 1000 USD per 1M output tokens: a 100-token output bound is a worst case
// of 0.1 USD plus the input, so budgets of a few dimes are exhausted by a handful of calls.
function pricedRoutes(urls: { openai: string }): Record<string, unknown>[] {
  return [
    {
      id: 'openai-priced', model: 'gpt-5.5', provider: 'openai', endpoint: `${urls.openai}/v1`,
      auth: { type: 'bearer', key: 'sk-emulator-openai' }, price: { input: 1, output: 1000, currency: 'USD' }, capabilities: ['streaming'],
    },
  ];
}

describe('rate limits and budgets', () => {
  let stack: Stack;
  let tenants = 0;
  before(async () => {
    stack = await startStack({ routes: pricedRoutes, models: DEFAULT_MODELS.filter((model) => model.id === 'gpt-5.5') });
  });
  beforeEach(() => stack.clearFaults());
  after(() => stack.close());

  async function tenantWithKey(tenantLimits: Record<string, unknown>, keyLimits: Record<string, unknown>): Promise<{ tenant: string; key: string; keyId: string }> {
    const tenant = `t${++tenants}`;
    assert.equal((await stack.api('POST', '/admin/tenants', { id: tenant, name: tenant, ...tenantLimits })).status, 201);
    const created = await stack.api('POST', '/admin/keys', { tenant, ...keyLimits });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return { tenant, key: created.body.key, keyId: created.body.id };
  }

  async function send(key: string, body: Record<string, unknown> = {}): Promise<Response> {
    return fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5.5', messages: hello, max_completion_tokens: 100, ...body }),
    });
  }

  it('admits exactly the RPM of a key out of 50 concurrent requests, with OpenAI headers on both answers', async () => {
    const { key } = await tenantWithKey({}, { rpm: 10 });
    await stack.fault('openai', { latency_ms: 200 });
    const responses = await Promise.all(Array.from({ length: 50 }, () => send(key)));
    const ok = responses.filter((response) => response.status === 200);
    const limited = responses.filter((response) => response.status === 429);
    assert.equal(ok.length, 10);
    assert.equal(limited.length, 40);
    const first = ok[0]!;
    assert.equal(first.headers.get('x-ratelimit-limit-requests'), '10');
    assert.match(first.headers.get('x-ratelimit-remaining-requests') ?? '', /^\d+$/);
    assert.match(first.headers.get('x-ratelimit-reset-requests') ?? '', /^(\d+ms|[\d.]+s|\d+m[\d.]+s)$/);
    const refusal = limited[0]!;
    assert.ok(Number(refusal.headers.get('retry-after')) >= 1);
    assert.equal(refusal.headers.get('x-ratelimit-remaining-requests'), '0');
    const body = (await refusal.json()) as { error: { code: string; type: string; message: string } };
    assert.equal(body.error.code, 'rate_limit_exceeded');
    assert.equal(body.error.type, 'requests');
    assert.match(body.error.message, /requests per min \(RPM\): Limit 10/);
    await Promise.all(responses.filter((response) => !response.bodyUsed).map((response) => response.body?.cancel()));
  });

  it("holds a tenant's RPM across its keys", async () => {
    const { tenant, key } = await tenantWithKey({ rpm: 3 }, {});
    const second = (await stack.api('POST', '/admin/keys', { tenant })).body.key as string;
    const statuses = [];
    for (const next of [key, second, key, second, key]) statuses.push((await send(next)).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
  });

  it('refuses a request whose tokens exceed the TPM with a tokens 429, and corrects reservations to actual use', async () => {
    const { key } = await tenantWithKey({}, { tpm: 1000 });
    const tooBig = await send(key, { max_completion_tokens: 5000 });
    assert.equal(tooBig.status, 429);
    assert.equal(((await tooBig.json()) as { error: { type: string } }).error.type, 'tokens');
    // Each call reserves ~100 output tokens but uses far fewer: corrected at completion, ten calls fit in 1000.
    for (let index = 0; index < 10; index++) assert.equal((await send(key)).status, 200, `call ${index}`);
  });

  it('admits at most what a budget covers out of 50 concurrent requests and refuses the rest with insufficient_quota', async () => {
    // Worst case per call: ~100 output tokens x 1000 USD/1M = 0.1 USD plus input; ten worst cases fit in 1.05 USD.
    const { tenant } = await tenantWithKey({}, {});
    const key = (await stack.api('POST', '/admin/keys', { tenant, budget: { limit: '1.05', currency: 'USD', period: 'day' } })).body.key as string;
    // Long enough that every request has arrived before the first completes (a settled call would free budget).
    await stack.fault('openai', { latency_ms: 1_500 });
    const responses = await Promise.all(Array.from({ length: 50 }, () => send(key)));
    const ok = responses.filter((response) => response.status === 200).length;
    const refused = responses.filter((response) => response.status === 429);
    assert.ok(ok <= 10, `${ok} admitted`);
    assert.ok(ok >= 9, `${ok} admitted: reservations must not refuse what the budget covers`);
    assert.equal(ok + refused.length, 50);
    const body = (await refused[0]!.json()) as { error: { code: string; type: string; message: string } };
    assert.equal(body.error.code, 'insufficient_quota');
    assert.equal(body.error.type, 'insufficient_quota');
    assert.match(body.error.message, /budget/i);
    const usage = await stack.api('GET', `/admin/usage?tenant=${tenant}`);
    assert.ok(Number(usage.body.total.charged) <= 1.05, `spent ${usage.body.total.charged}`);
  });

  it('releases the reservation of a failed call: no false refusal afterwards', async () => {
    const { key } = await tenantWithKey({}, { budget: { limit: '0.12', currency: 'USD', period: 'month' } });
    await stack.fault('openai', { status: 500, count: 10 });
    const failed = await send(key);
    assert.equal(failed.status, 502);
    await stack.clearFaults();
    assert.equal((await send(key)).status, 200);
  });

  it('releases the reservation of a call the client cancels', async () => {
    const { key } = await tenantWithKey({}, { budget: { limit: '0.12', currency: 'USD', period: 'month' } });
    await stack.fault('openai', { latency_ms: 1_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const aborted = fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST', signal: controller.signal,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5.5', messages: hello, max_completion_tokens: 100 }),
    }).catch(() => null);
    assert.equal(await aborted, null, 'the client gave up');
    // The gateway notices the closed connection and releases the reservation.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await stack.clearFaults();
    assert.equal((await send(key)).status, 200);
  });

  it('counts prior spend from the ledger against the budget', async () => {
    const { key } = await tenantWithKey({}, { budget: { limit: '0.25', currency: 'USD', period: 'total' } });
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: key, maxRetries: 0 });
    let admitted = 0;
    let refusal: unknown;
    for (let index = 0; index < 40 && refusal === undefined; index++) {
      try {
        await client.chat.completions.create({ model: 'gpt-5.5', messages: hello, max_completion_tokens: 100 });
        admitted += 1;
      } catch (error) {
        refusal = error;
      }
    }
    assert.ok(refusal instanceof OpenAI.RateLimitError, 'the budget ran out');
    assert.equal((refusal as InstanceType<typeof OpenAI.RateLimitError>).code, 'insufficient_quota');
    assert.ok(admitted >= 2, `${admitted} admitted`);
  });
});
