// Prometheus metrics and Server-Timing end to end: a known mix of calls (answers, a stream, a failover forced by
// emulator faults, an error) read back from GET /metrics through a Prometheus text parser; the circuit gauge after
// faults; who may read /metrics (an admin key, or nobody's when public, or its own listener); Server-Timing on JSON
// answers, streams and errors.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { scrapeMetrics, type Scrape } from './support/scrape-metrics.ts';
import { startStack, type Stack } from './support/start-stack.ts';

const HELLO = [{ role: 'user' as const, content: 'Hello' }];

/** Server-Timing's entries as name -> duration in ms. */
function readServerTiming(header: string | null): Map<string, number> {
  assert.ok(header !== null, 'a Server-Timing header');
  return new Map(
    header.split(',').map((entry) => {
      const [name = '', ...params] = entry.trim().split(';');
      const duration = params.find((param) => param.startsWith('dur='));
      return [name, Number(duration?.slice(4))];
    }),
  );
}

describe('GET /metrics after a known mix of calls', () => {
  let stack: Stack;
  let scrape: Scrape;
  before(async () => {
    // No ejection: the failover's two Azure failures must leave every circuit closed.
    stack = await startStack({ execute: { outlier: { consecutive_failures: 1000 } } });
    for (let i = 0; i < 2; i += 1) await stack.client.chat.completions.create({ model: 'gpt-5.5', messages: HELLO });
    const stream = await stack.client.chat.completions.create({ model: 'gpt-latest', messages: HELLO, stream: true, stream_options: { include_usage: true } });
    for await (const chunk of stream) void chunk;
    // Both Azure routes answer 503 once each: the call fails over to OpenAI.
    await stack.fault('azure', { status: 503, count: 2 });
    const { response } = await stack.client.chat.completions.create({ model: 'gpt-5.5', messages: HELLO }).withResponse();
    assert.equal(response.headers.get('x-crossway-route'), 'openai-global-gpt-5.5');
    await assert.rejects(stack.client.chat.completions.create({ model: 'no-such-model', messages: HELLO }), { status: 404 });
    assert.equal((await fetch(`${stack.url}/no-such-path`)).status, 404);
    scrape = await scrapeMetrics(`${stack.url}/metrics`, stack.masterKey);
  });
  after(async () => {
    await stack.close();
  });

  it('counts requests by endpoint, model, route, provider and status (an alias is its model; an unknown model is `other`)', () => {
    const chat = { endpoint: 'chat.completions', model: 'gpt-5.5' };
    assert.equal(scrape.types.get('crossway_requests_total'), 'COUNTER');
    assert.equal(scrape.total('crossway_requests_total', { ...chat, route: 'azure-eastus2-gpt-5.5', provider: 'azure', status: '200' }), 3);
    assert.equal(scrape.total('crossway_requests_total', { ...chat, route: 'openai-global-gpt-5.5', provider: 'openai', status: '200' }), 1);
    assert.equal(scrape.total('crossway_requests_total', { endpoint: 'chat.completions', model: 'other', route: '', status: '404' }), 1);
    assert.equal(scrape.total('crossway_requests_total'), 5);
    assert.doesNotMatch(scrape.text, /no-such-model/);
    assert.equal(scrape.total('crossway_http_requests_total', { method: 'POST', path: '/v1/chat/completions', status: '200' }), 4);
    assert.equal(scrape.total('crossway_http_requests_total', { method: 'GET', path: 'unmatched', status: '404' }), 1);
    assert.doesNotMatch(scrape.text, /no-such-path/);
  });

  it('holds the duration, gateway overhead and time-to-first-token histograms', () => {
    assert.equal(scrape.types.get('crossway_request_duration_seconds'), 'HISTOGRAM');
    assert.equal(scrape.total('crossway_request_duration_seconds_count', { endpoint: 'chat.completions' }), 5);
    assert.equal(scrape.total('crossway_request_duration_seconds_count', { endpoint: 'chat.completions', stream: 'true' }), 1);
    assert.equal(scrape.total('crossway_request_duration_seconds_bucket', { endpoint: 'chat.completions', stream: 'false', le: '+Inf' }), 4);
    assert.equal(scrape.total('crossway_gateway_overhead_seconds_count', { endpoint: 'chat.completions' }), 5);
    // The overhead is the duration minus the upstream wait: never more than the duration.
    assert.ok(scrape.total('crossway_gateway_overhead_seconds_sum') <= scrape.total('crossway_request_duration_seconds_sum'));
    assert.equal(scrape.total('crossway_time_to_first_token_seconds_count', { endpoint: 'chat.completions', model: 'gpt-5.5' }), 1);
  });

  it('counts upstream attempts by route, provider and outcome, and the failovers', () => {
    assert.equal(scrape.total('crossway_upstream_attempts_total', { route: 'azure-eastus2-gpt-5.5', provider: 'azure', outcome: 'ok' }), 3);
    assert.equal(scrape.total('crossway_upstream_attempts_total', { route: 'azure-eastus2-gpt-5.5', outcome: 'server_error' }), 1);
    assert.equal(scrape.total('crossway_upstream_attempts_total', { route: 'azure-swedencentral-gpt-5.5', outcome: 'server_error' }), 1);
    assert.equal(scrape.total('crossway_upstream_attempts_total', { route: 'openai-global-gpt-5.5', provider: 'openai', outcome: 'ok' }), 1);
    assert.equal(scrape.total('crossway_upstream_attempts_total'), 6);
    assert.equal(scrape.total('crossway_upstream_failovers_total'), 2);
  });

  it('counts tokens by kind and model, and cost and charge by currency, as the ledger holds them', async () => {
    const [totals] = await stack.gateway.store.sumUsage({});
    assert.ok(totals !== undefined && totals.input_tokens > 0);
    assert.equal(scrape.total('crossway_tokens_total', { model: 'gpt-5.5', kind: 'input' }), totals.input_tokens);
    assert.equal(scrape.total('crossway_tokens_total', { model: 'gpt-5.5', kind: 'output' }), totals.output_tokens);
    assert.equal(scrape.find('crossway_tokens_total', { kind: 'cached' }).length, totals.cached_tokens > 0 ? 1 : 0);
    assert.ok(Math.abs(scrape.total('crossway_cost_total', { currency: 'USD' }) - Number(totals.cost) / 1e6) < 1e-9);
    assert.ok(Math.abs(scrape.total('crossway_charge_total', { currency: 'USD' }) - Number(totals.charged) / 1e6) < 1e-9);
    assert.ok(scrape.total('crossway_ledger_commit_duration_seconds_count', { outcome: 'ok' }) >= 1);
  });

  it('shows every route closed, the writer queues, the event-loop delay and Node process metrics', () => {
    for (const route of stack.catalog.routes) {
      assert.deepEqual(
        scrape.find('crossway_route_circuit_state', { route: route.id }).map((sample) => [sample.labels.provider, sample.value]),
        [[route.provider, 0]],
      );
    }
    for (const writer of ['request_log', 'decisions', 'ledger']) assert.equal(scrape.find('crossway_writer_queue_depth', { writer }).length, 1);
    assert.equal(scrape.find('nodejs_eventloop_lag_p99_seconds').length, 1);
    assert.equal(scrape.find('process_cpu_user_seconds_total').length, 1);
    assert.equal(scrape.types.get('nodejs_heap_size_used_bytes'), 'GAUGE');
  });

  it('needs the master key: 401 without a key or with a wrong one, 403 for an ordinary key or a tenant admin key', async () => {
    assert.equal((await fetch(`${stack.url}/metrics`)).status, 401);
    assert.equal((await stack.api('GET', '/metrics', undefined, 'sk-cw-wrong-key-000000000000')).status, 401);
    assert.equal((await stack.api('POST', '/admin/tenants', { id: 'metrics-team' })).status, 201);
    const plain = await stack.api('POST', '/admin/keys', { tenant: 'metrics-team' });
    const denied = await stack.api('GET', '/metrics', undefined, plain.body.key as string);
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.type, 'permission_error');
    // A tenant's admin key neither: /metrics holds every tenant's traffic and spend.
    const admin = await stack.api('POST', '/admin/keys', { tenant: 'metrics-team', admin: true });
    assert.equal((await stack.api('GET', '/metrics', undefined, admin.body.key as string)).status, 403);
    const allowed = await stack.api('GET', '/metrics', undefined, stack.masterKey);
    assert.equal(allowed.status, 200);
    assert.match(allowed.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  });

  it('carries Server-Timing on JSON answers (upstream within total), stream heads (ttfb) and errors', async () => {
    await stack.fault('openai', { latency_ms: 300, count: 1 });
    const { response } = await stack.client.chat.completions.create({ model: 'via-openai', messages: HELLO }).withResponse();
    const json = readServerTiming(response.headers.get('server-timing'));
    assert.ok(json.get('upstream')! >= 300, `upstream ${json.get('upstream')}`);
    assert.ok(json.get('total')! >= json.get('upstream')!);
    assert.ok(Math.abs(json.get('gateway')! + json.get('upstream')! - json.get('total')!) < 0.2);

    await stack.fault('openai', { latency_ms: 300, count: 1 });
    const { data: stream, response: streamed } = await stack.client.chat.completions
      .create({ model: 'via-openai', messages: HELLO, stream: true })
      .withResponse();
    for await (const chunk of stream) void chunk;
    const head = readServerTiming(streamed.headers.get('server-timing'));
    assert.ok(head.get('upstream')! >= 300, `upstream ${head.get('upstream')}`);
    assert.ok(head.get('ttfb')! >= head.get('upstream')!);

    const refused = await fetch(`${stack.url}/v1/models`);
    assert.equal(refused.status, 401);
    assert.deepEqual([...readServerTiming(refused.headers.get('server-timing')).keys()], ['gateway', 'upstream', 'total']);
  });

  it("counts a stream's whole upstream time, not only its first chunk, out of the gateway overhead", async () => {
    const before = await scrapeMetrics(`${stack.url}/metrics`, stack.masterKey);
    // Six or more chunks 100 ms apart: at least 500 ms of the stream is spent waiting on the upstream after its head.
    await stack.fault('openai', { chunk_delay_ms: 100, count: 1 });
    const stream = await stack.client.chat.completions.create({
      model: 'via-openai',
      messages: [{ role: 'user', content: 'Tell me a long story' }],
      stream: true,
    });
    let chunks = 0;
    for await (const chunk of stream) chunks += chunk.choices.length;
    assert.ok(chunks >= 6, `${chunks} chunks`);
    const after = await scrapeMetrics(`${stack.url}/metrics`, stack.masterKey);
    const delta = (name: string) => after.total(name, { stream: 'true' }) - before.total(name, { stream: 'true' });
    assert.equal(delta('crossway_request_duration_seconds_count'), 1);
    assert.ok(delta('crossway_request_duration_seconds_sum') - delta('crossway_gateway_overhead_seconds_sum') >= 0.5);
  });
});

describe('the route circuit gauge', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ execute: { outlier: { consecutive_failures: 2, max_ejection_percent: 100, panic_threshold_percent: 0 } } });
  });
  after(async () => {
    await stack.close();
  });

  it('turns open (1) for a route ejected after emulator faults, the others staying closed (0)', async () => {
    const route = { route: 'openai-only' };
    assert.equal((await scrapeMetrics(`${stack.url}/metrics`, stack.masterKey)).total('crossway_route_circuit_state', route), 0);
    await stack.fault('openai', { status: 500 });
    for (let i = 0; i < 2; i += 1) await assert.rejects(stack.client.chat.completions.create({ model: 'via-openai', messages: HELLO }));
    const scrape = await scrapeMetrics(`${stack.url}/metrics`, stack.masterKey);
    assert.equal(scrape.total('crossway_route_circuit_state', route), 1);
    assert.equal(scrape.total('crossway_route_circuit_state', { route: 'azure-v1-only' }), 0);
    assert.equal(scrape.total('crossway_upstream_attempts_total', { route: 'openai-only', outcome: 'server_error' }), 2);
  });
});

describe('metrics.public, metrics.listen and metrics.budget_per_key', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ metrics: { public: true, listen: '127.0.0.1:0', budget_per_key: true } });
  });
  after(async () => {
    await stack.close();
  });

  it('serves /metrics without a key when public, and on its own listener, which serves nothing else', async () => {
    const open = await fetch(`${stack.url}/metrics`);
    assert.equal(open.status, 200);
    assert.match(await open.text(), /crossway_requests_total/);
    const url = stack.gateway.metricsUrl;
    assert.ok(url !== null);
    assert.match((await scrapeMetrics(url)).text, /crossway_route_circuit_state/);
    assert.equal((await fetch(url.replace(/\/metrics$/, '/v1/models'))).status, 404);
  });

  it("shows each budgeted key's remaining budget to the master key and the listener", async () => {
    assert.equal((await stack.api('POST', '/admin/tenants', { id: 'budgeted' })).status, 201);
    const key = await stack.api('POST', '/admin/keys', { tenant: 'budgeted', budget: { limit: '2.5', currency: 'USD', period: 'day' } });
    assert.equal(key.status, 201);
    await stack.clientFor(key.body.key as string).chat.completions.create({ model: 'gpt-5.5', messages: HELLO });
    const [spent] = await stack.gateway.store.sumUsage({ key_id: key.body.id as string });
    const labels = { tenant: 'budgeted', key_id: key.body.id as string, currency: 'USD', period: 'day' };
    const scrape = await scrapeMetrics(stack.gateway.metricsUrl!);
    assert.ok(Math.abs(scrape.total('crossway_key_budget_remaining', labels) - (2.5 - Number(spent?.charged) / 1e6)) < 1e-9);
    assert.equal((await scrapeMetrics(`${stack.url}/metrics`, stack.masterKey)).find('crossway_key_budget_remaining', labels).length, 1);
  });
});

describe('metrics.enabled: false', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ metrics: { enabled: false, listen: '127.0.0.1:0' } });
  });
  after(async () => {
    await stack.close();
  });

  it('measures nothing and answers 404 at /metrics, with no listener of its own; Server-Timing stays', async () => {
    const { response } = await stack.client.chat.completions.create({ model: 'gpt-5.5', messages: HELLO }).withResponse();
    assert.ok(readServerTiming(response.headers.get('server-timing')).get('upstream')! > 0);
    assert.equal((await stack.api('GET', '/metrics')).status, 404);
    assert.equal(stack.gateway.metrics, undefined);
    assert.equal(stack.gateway.metricsUrl, null);
  });
});
