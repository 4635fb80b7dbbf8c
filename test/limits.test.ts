// Rate limits and budgets end to end, under concurrency: RPM, TPM and budget reservations per key and per tenant,
// OpenAI's x-ratelimit headers and 429 answers, and reservations released when a call fails.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI from 'openai';
import type { RequestLogRow } from '../src/store/index.ts';
import { startHeldUpstream, type HeldUpstream } from './support/start-held-upstream.ts';
import { DEFAULT_MODELS, startStack, type Stack } from './support/start-stack.ts';

const hello = [{ role: 'user' as const, content: 'Hello' }];

// One route priced at 1 USD per 1M input and 1000 USD per 1M output tokens: a 100-token output bound is a worst case
// of 0.1 USD plus the input, so budgets of a few dimes are exhausted by a handful of calls.
function pricedRoutes(urls: { openai: string }): Record<string, unknown>[] {
  return [
    {
      id: 'openai-priced',
      model: 'gpt-5.5',
      provider: 'openai',
      endpoint: `${urls.openai}/v1`,
      auth: { type: 'bearer', key: 'sk-emulator-openai' },
      price: { input: 1, output: 1000, currency: 'USD' },
      capabilities: ['streaming'],
    },
  ];
}

describe('rate limits and budgets', () => {
  let stack: Stack;
  let tenants = 0;
  // The upstream of model 'held' (priced as gpt-5.5): it holds every call, so that a client can cancel one mid-flight.
  let held: HeldUpstream;
  before(async () => {
    held = await startHeldUpstream();
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
      routes: (urls) => [...pricedRoutes(urls), heldRoute],
      models: [...DEFAULT_MODELS.filter((model) => model.id === 'gpt-5.5'), { id: 'held' }],
    });
  });
  beforeEach(() => stack.clearFaults());
  after(async () => {
    await stack.close();
    await held.close();
  });

  async function tenantWithKey(
    tenantLimits: Record<string, unknown>,
    keyLimits: Record<string, unknown>,
  ): Promise<{ tenant: string; key: string; keyId: string }> {
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

  it('takes the request rate before reading the body: past its RPM a key is refused without its body being parsed', async () => {
    const { key } = await tenantWithKey({}, { rpm: 1 });
    assert.equal((await send(key)).status, 200);
    // Not even valid JSON: a 429, not a 400, shows the body was never read.
    const refused = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: '{"model": ',
    });
    assert.equal(refused.status, 429);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'rate_limit_exceeded');
  });

  it('counts every /v1 call against the RPM, conversation writes included', async () => {
    const { key } = await tenantWithKey({}, { rpm: 2 });
    const client = stack.clientFor(key);
    const conversation = await client.conversations.create({});
    await client.conversations.items.create(conversation.id, { items: [{ type: 'message', role: 'user', content: 'one' }] });
    await assert.rejects(
      client.conversations.items.create(conversation.id, { items: [{ type: 'message', role: 'user', content: 'two' }] }),
      (error: { status?: number }) => error.status === 429,
    );
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

  // The timeout only ends a run that went wrong (a held call nobody releases); a passing run never nears it.
  it('releases the reservation of a call the client cancels', { timeout: 60_000 }, async (context) => {
    const { key } = await tenantWithKey({}, { budget: { limit: '0.12', currency: 'USD', period: 'month' } });
    // The gateway logs a call after it gave its reservations back: the log row of the cancelled call says it is done.
    const requestLog = stack.gateway.requestLog;
    const record = requestLog.record.bind(requestLog);
    const cancelledCallLogged = new Promise<void>((resolve) => {
      context.mock.method(requestLog, 'record', (row: RequestLogRow) => {
        record(row);
        if (row.error_code === 'client_closed_request') resolve();
      });
    });
    const controller = new AbortController();
    // Cancelled once it is in flight (admitted, its budget reserved, its upstream call held), not after a guessed delay.
    const arrived = held.arrival();
    const aborted = fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      signal: controller.signal,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'held', messages: hello, max_completion_tokens: 100 }),
    }).catch(() => null);
    await arrived;
    // The held call's worst case (0.1 USD and its input) leaves too little of the 0.12 budget for a second call.
    const refused = await send(key);
    assert.equal(refused.status, 429);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'insufficient_quota');
    controller.abort();
    assert.equal(await aborted, null, 'the client gave up');
    await cancelledCallLogged;
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

// Prices chosen so that each leak of the worst case shows: 1 USD per 1M tokens is one micro-dollar per token.
function leakRoutes(urls: { openai: string }): Record<string, unknown>[] {
  const openai = { provider: 'openai', endpoint: `${urls.openai}/v1`, auth: { type: 'bearer', key: 'sk-emulator-openai' }, capabilities: ['streaming'] };
  return [
    { id: 'leaky-route', model: 'leaky', deployment: 'gpt-5.5', ...openai, price: { input: 1, output: 1, currency: 'USD' } },
    { id: 'bounded-route', model: 'bounded', deployment: 'gpt-5.5', ...openai, price: { input: 1, output: 1, currency: 'USD' }, limits: { max_output: 1000 } },
    // Nothing listens on port 1: every call fails over to the next model of the request's `models` list.
    {
      id: 'fb-cheap-route',
      model: 'fb-cheap',
      provider: 'openai',
      endpoint: 'http://127.0.0.1:1/v1',
      auth: { type: 'bearer', key: 'sk-none' },
      capabilities: ['streaming'],
      price: { input: 1, output: 1, currency: 'USD' },
    },
    {
      id: 'fb-cheap-responses-route',
      model: 'fb-cheap-responses',
      provider: 'openai',
      endpoint: 'http://127.0.0.1:1/v1',
      auth: { type: 'bearer', key: 'sk-none' },
      capabilities: ['streaming'],
      price: { input: 1, output: 1, currency: 'USD' },
    },
    { id: 'fb-dear-route', model: 'fb-dear', deployment: 'gpt-5.5', ...openai, price: { input: 1, output: 1000, currency: 'USD' } },
    { id: 'euro-route', model: 'euro', deployment: 'gpt-5.5', ...openai, price: { input: 1, output: 1, currency: 'EUR' } },
    {
      id: 'embed-route',
      model: 'embed-priced',
      provider: 'openai',
      endpoint: `${urls.openai}/v1`,
      deployment: 'text-embedding-3-small',
      auth: { type: 'bearer', key: 'sk-emulator-openai' },
      price: { input: 1, output: 0, currency: 'USD' },
    },
  ];
}

describe('worst cases that used to leak past budgets and token rates', () => {
  let stack: Stack;
  let tenants = 0;
  before(async () => {
    stack = await startStack({
      routes: leakRoutes,
      models: [
        { id: 'leaky' },
        { id: 'bounded' },
        { id: 'fb-cheap' },
        { id: 'fb-cheap-responses' },
        { id: 'fb-dear' },
        { id: 'euro' },
        { id: 'embed-priced', kind: 'embedding' },
      ],
    });
  });
  beforeEach(() => stack.clearFaults());
  after(() => stack.close());

  async function keyWith(limits: Record<string, unknown>): Promise<{ tenant: string; key: string; client: OpenAI }> {
    const tenant = `leak${++tenants}`;
    assert.equal((await stack.api('POST', '/admin/tenants', { id: tenant })).status, 201);
    const created = await stack.api('POST', '/admin/keys', { tenant, ...limits });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return { tenant, key: created.body.key, client: new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: created.body.key, maxRetries: 0 }) };
  }

  async function charged(tenant: string): Promise<number> {
    return Number((await stack.api('GET', `/admin/usage?tenant=${tenant}`)).body.total?.charged ?? 0);
  }

  /** Settles every promise, counting fulfilled ones and keeping the errors. */
  async function outcomes(calls: Promise<unknown>[]): Promise<{ ok: number; errors: unknown[] }> {
    const settled = await Promise.allSettled(calls);
    return {
      ok: settled.filter((result) => result.status === 'fulfilled').length,
      errors: settled.flatMap((result) => (result.status === 'rejected' ? [result.reason] : [])),
    };
  }

  const budget = (limit: string) => ({ budget: { limit, currency: 'USD', period: 'day' } });

  it("reserves chat's n: 50 parallel calls with n: 128 cannot spend past a $0.01 budget", async () => {
    const { tenant, client } = await keyWith(budget('0.01'));
    await stack.fault('openai', { latency_ms: 1_000 });
    // Each call may produce 128 x 20 output tokens: 2560 micro-dollars, so three fit in the budget, not fifty.
    const { ok, errors } = await outcomes(
      Array.from({ length: 50 }, () => client.chat.completions.create({ model: 'leaky', messages: hello, n: 128, max_completion_tokens: 20 })),
    );
    assert.ok(ok >= 1 && ok <= 3, `${ok} admitted`);
    assert.ok(errors.every((error) => error instanceof OpenAI.RateLimitError && error.code === 'insufficient_quota'));
    assert.ok((await charged(tenant)) <= 0.01, `spent ${await charged(tenant)}`);
  });

  it('reserves the sum of an embeddings batch, not its longest input', async () => {
    const { tenant, client } = await keyWith(budget('0.002'));
    await stack.fault('openai', { latency_ms: 1_000 });
    // 64 inputs of ~100 bytes: each call may be billed ~6400 micro-dollars, its longest input only ~100.
    const input = Array.from({ length: 64 }, (_, index) => `input number ${index} `.repeat(6));
    const { ok, errors } = await outcomes(Array.from({ length: 20 }, () => client.embeddings.create({ model: 'embed-priced', input })));
    assert.equal(ok, 0, `${ok} admitted`);
    assert.ok(errors.every((error) => error instanceof OpenAI.RateLimitError && error.code === 'insufficient_quota'));
    assert.equal(await charged(tenant), 0);
    const { ok: fits } = await outcomes([client.embeddings.create({ model: 'embed-priced', input: input.slice(0, 8) })]);
    assert.equal(fits, 1, 'a batch the budget covers is admitted');
  });

  it('reserves every fallback model at its own price and records usage under the model that served', async () => {
    const { tenant, key } = await keyWith(budget('0.05'));
    await stack.fault('openai', { latency_ms: 1_000 });
    // fb-cheap cannot answer; fb-dear's 20 output tokens cost 20,000 micro-dollars: two fit in 0.05, not ten.
    const send = () =>
      fetch(`${stack.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'fb-cheap', models: ['fb-dear'], messages: hello, max_completion_tokens: 20 }),
      });
    const responses = await Promise.all(Array.from({ length: 10 }, send));
    const ok = responses.filter((response) => response.status === 200).length;
    assert.ok(ok >= 1 && ok <= 2, `${ok} admitted: ${responses.map((response) => response.status).join(',')}`);
    await Promise.all(responses.map((response) => response.body?.cancel()));
    assert.ok((await charged(tenant)) <= 0.05, `spent ${await charged(tenant)}`);
    const byModel = (await stack.api('GET', `/admin/usage?tenant=${tenant}&group_by=model`)).body.data as { group: string }[];
    assert.deepEqual(
      byModel.map((row) => row.group),
      ['fb-dear'],
    );
  });

  it('reserves n in the token rate', async () => {
    const { client } = await keyWith({ tpm: 1000 });
    const refused = await client.chat.completions
      .create({ model: 'leaky', messages: hello, n: 128, max_completion_tokens: 20 })
      .catch((error: unknown) => error);
    assert.ok(refused instanceof OpenAI.RateLimitError, 'the call may produce 2560 tokens, more than the 1000 TPM');
    assert.match(refused.message, /tokens per min \(TPM\): Limit 1000, Requested \d{4}/);
    await client.chat.completions.create({ model: 'leaky', messages: hello, n: 2, max_completion_tokens: 20 });
  });

  it('reserves an output bound in the token rate when max_tokens is absent, for chat and for Responses', async () => {
    // The route bounds output at 1000 tokens: five calls at most fit in 5000 TPM, whatever they really produce.
    const { client } = await keyWith({ tpm: 5000 });
    await stack.fault('openai', { latency_ms: 1_000 });
    const { ok, errors } = await outcomes(Array.from({ length: 10 }, () => client.chat.completions.create({ model: 'bounded', messages: hello })));
    assert.ok(ok >= 4 && ok <= 5, `${ok} admitted`);
    assert.ok(errors.every((error) => error instanceof OpenAI.RateLimitError && error.type === 'tokens'));
    await stack.clearFaults();
    const narrow = await keyWith({ tpm: 900 });
    const refused = await narrow.client.responses.create({ model: 'bounded', input: 'Hello' }).catch((error: unknown) => error);
    assert.ok(refused instanceof OpenAI.RateLimitError, 'a Responses call without max_output_tokens may produce 1000 tokens');
    await narrow.client.responses.create({ model: 'bounded', input: 'Hello', max_output_tokens: 100 });
  });

  it('reserves fallback models in a Responses call too', async () => {
    const { client } = await keyWith(budget('0.015'));
    // fb-dear may cost 20,000 micro-dollars for its 20 output tokens: more than the whole budget. (A model of its own,
    // whose route no other test has failed: an ejected route would skip to fb-dear's plan and hide the leak.)
    const refused = await client.responses
      .create({ model: 'fb-cheap-responses', models: ['fb-dear'], input: 'Hello', max_output_tokens: 20 } as never)
      .catch((error: unknown) => error);
    assert.ok(refused instanceof OpenAI.RateLimitError, String(refused));
    assert.equal((refused as InstanceType<typeof OpenAI.RateLimitError>).code, 'insufficient_quota');
  });

  it('never leaves a budget unbounded by currency: 400 for a budget no route prices, 403 for a call priced in another currency', async () => {
    const gbp = { budget: { limit: '5', currency: 'GBP', period: 'month' } };
    const tenant = await stack.api('POST', '/admin/tenants', { id: 'leak-gbp', ...gbp });
    assert.equal(tenant.status, 400);
    assert.equal(tenant.body.error.code, 'budget_currency_unpriced');
    assert.equal(tenant.body.error.param, 'budget');
    const { tenant: id, client } = await keyWith(budget('1'));
    for (const [method, path, body] of [
      ['POST', '/admin/keys', { tenant: id, ...gbp }],
      ['PATCH', `/admin/tenants/${id}`, gbp],
    ] as const) {
      const refused = await stack.api(method, path, body);
      assert.equal(refused.status, 400, `${method} ${path}`);
      assert.equal(refused.body.error.code, 'budget_currency_unpriced');
    }
    // A USD budget is fine in itself, but the euro model's charges would pass it by: refused, not unlimited.
    const refused = await client.chat.completions.create({ model: 'euro', messages: hello, max_completion_tokens: 20 }).catch((error: unknown) => error);
    assert.ok(refused instanceof OpenAI.PermissionDeniedError, String(refused));
    assert.equal(refused.code, 'budget_currency_mismatch');
    await client.chat.completions.create({ model: 'leaky', messages: hello, max_completion_tokens: 20 });
  });
});
