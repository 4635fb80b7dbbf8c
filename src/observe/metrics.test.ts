import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayMetrics, statusLabel } from './metrics.ts';

const LABELS = { endpoint: 'chat.completions', model: 'm', route: 'r', provider: 'p' };
const REQUEST = { ...LABELS, status: 200, stream: false, durationMs: 120, upstreamMs: 100, firstByteMs: null };

describe('statusLabel', () => {
  const cases: [number, string][] = [
    [200, '200'],
    [429, '429'],
    [499, '499'],
    [418, '4xx'],
    [507, '5xx'],
    [302, '3xx'],
    [0, 'other'],
    [999, 'other'],
  ];
  for (const [status, label] of cases) it(`${status} -> ${label}`, () => assert.equal(statusLabel(status), label));
});

describe('GatewayMetrics', () => {
  it('keeps a registry per gateway: two instances in one process count apart', async () => {
    const a = new GatewayMetrics({ defaultMetrics: false });
    const b = new GatewayMetrics({ defaultMetrics: false });
    a.observeModelRequest(REQUEST);
    a.observeModelRequest(REQUEST);
    b.observeModelRequest(REQUEST);
    assert.match(await a.render({ budgets: false }), /crossway_requests_total\{endpoint="chat.completions",model="m",route="r",provider="p",status="200"\} 2/);
    assert.match(await b.render({ budgets: false }), /crossway_requests_total\{[^}]*\} 1/);
  });

  it('observes the gateway overhead as the duration minus the upstream wait, never below zero', async () => {
    const metrics = new GatewayMetrics({ defaultMetrics: false });
    metrics.observeModelRequest(REQUEST);
    metrics.observeModelRequest({ ...REQUEST, upstreamMs: 500 });
    const text = await metrics.render({ budgets: false });
    assert.match(text, /crossway_gateway_overhead_seconds_sum\{endpoint="chat.completions",stream="false"\} 0.02\n/);
    assert.match(text, /crossway_request_duration_seconds_sum\{endpoint="chat.completions",stream="false"\} 0.24\n/);
    assert.doesNotMatch(text, /crossway_time_to_first_token_seconds_count/);
  });

  it("counts a ledger batch's committed tokens by kind and its cost and charge in currency units", async () => {
    const metrics = new GatewayMetrics({ defaultMetrics: false });
    const usage = { model: 'm', currency: 'EUR', input_tokens: 10, cached_tokens: 4, output_tokens: 7, reasoning_tokens: 0, cost: 1_500n, charged: 2_000_000n };
    metrics.observeLedgerCommit(2, [usage, usage]);
    metrics.observeLedgerCommit(3, null);
    const text = await metrics.render({ budgets: false });
    assert.match(text, /crossway_tokens_total\{model="m",kind="input"\} 20\n/);
    assert.match(text, /crossway_tokens_total\{model="m",kind="cached"\} 8\n/);
    assert.match(text, /crossway_tokens_total\{model="m",kind="output"\} 14\n/);
    assert.doesNotMatch(text, /kind="reasoning"/);
    assert.match(text, /crossway_cost_total\{currency="EUR"\} 0.003\n/);
    assert.match(text, /crossway_charge_total\{currency="EUR"\} 4\n/);
    assert.match(text, /crossway_ledger_commit_duration_seconds_count\{outcome="ok"\} 1\n/);
    assert.match(text, /crossway_ledger_commit_duration_seconds_count\{outcome="error"\} 1\n/);
  });

  it('reads circuits and queues at scrape time, and per-key budgets only when enabled and asked for', async () => {
    const sources = {
      routeCircuits: () => [
        { route: 'a', model: 'm', provider: 'p', state: 'open' as const },
        { route: 'b', model: 'm', provider: 'p', state: 'half_open' as const },
      ],
      queueDepths: () => ({ ledger: 3 }),
      keyBudgets: async () => [{ tenant: 't', key_id: 'key_1', currency: 'USD', period: 'day', remaining: 1.5 }],
    };
    const off = new GatewayMetrics({ defaultMetrics: false });
    off.readFrom(sources);
    const text = await off.render({ budgets: true });
    assert.match(text, /crossway_route_circuit_state\{route="a",model="m",provider="p"\} 1\n/);
    assert.match(text, /crossway_route_circuit_state\{route="b",model="m",provider="p"\} 2\n/);
    assert.match(text, /crossway_writer_queue_depth\{writer="ledger"\} 3\n/);
    assert.doesNotMatch(text, /crossway_key_budget_remaining/);
    const on = new GatewayMetrics({ defaultMetrics: false, budgetPerKey: true });
    on.readFrom(sources);
    assert.match(await on.render({ budgets: true }), /crossway_key_budget_remaining\{tenant="t",key_id="key_1",currency="USD",period="day"\} 1.5\n/);
    assert.doesNotMatch(await on.render({ budgets: false }), /crossway_key_budget_remaining/);
  });

  it("includes Node's default metrics with the event-loop delay unless turned off", async () => {
    assert.match(await new GatewayMetrics().render({ budgets: false }), /nodejs_eventloop_lag_p99_seconds/);
    assert.doesNotMatch(await new GatewayMetrics({ defaultMetrics: false }).render({ budgets: false }), /nodejs_/);
  });
});
