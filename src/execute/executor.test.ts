import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, beforeEach, describe, it } from 'node:test';
import { routeSchema, type Route } from '../catalog/index.ts';
import type { ProviderAdapter } from '../providers/index.ts';
import { NoRouteAvailableError, UpstreamError, type ChatCompletion, type ChatCompletionRequest } from '../wire/index.ts';
import { toDecisionAttempt, type Attempt } from './attempt-control.ts';
import { Executor, type ExecutorOptions } from './executor.ts';
import { allowedRetries } from './retry-budget.ts';

/** What the test upstream answers on a route's path: a status after a delay. */
interface Behaviour {
  status: number;
  delayMs: number;
}

const REQUEST = { model: 'm', messages: [{ role: 'user', content: 'hi' }] } as unknown as ChatCompletionRequest;

describe('Executor', () => {
  let server: Server;
  let base: string;
  const behaviours = new Map<string, Behaviour>();
  const hits = new Map<string, number>();

  before(async () => {
    server = createServer((req, res) => {
      const routeId = (req.url ?? '/').split('/')[1] ?? '';
      hits.set(routeId, (hits.get(routeId) ?? 0) + 1);
      const { status, delayMs } = behaviours.get(routeId) ?? { status: 200, delayMs: 0 };
      req.resume();
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(status === 200 ? { ok: true } : { error: { message: `failing with ${status}` } }));
      }, delayMs);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    behaviours.clear();
    hits.clear();
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function routes(...ids: string[]): Route[] {
    return ids.map((id) => routeSchema.parse({ id, model: 'm', provider: 'openai', endpoint: `${base}/${id}`, auth: { type: 'none' } }));
  }

  /** An executor over a minimal adapter; `onPrepare` runs as each attempt starts, right after the budget let it in. */
  function executorWith(options: Partial<ExecutorOptions>, onPrepare: () => void = () => undefined): Executor {
    const adapter = {
      name: 'test',
      prepareChat(_request: ChatCompletionRequest, route: Route) {
        onPrepare();
        return { method: 'POST' as const, url: `${route.endpoint}/chat`, headers: { 'content-type': 'application/json' }, body: '{}' };
      },
      readChat: () => ({ completion: { id: 'ok' } as ChatCompletion }),
      readError: (status: number, _headers: unknown, _body: Uint8Array, route: Route) =>
        new UpstreamError(`failing with ${status}`, { route: route.id, status, retryable: status >= 500 }),
    } as unknown as ProviderAdapter;
    return new Executor({
      attemptTimeoutMs: 5_000,
      streamIdleTimeoutMs: 5_000,
      maxAttempts: 4,
      outlier: { consecutiveFailures: 1_000 },
      adapterFor: () => adapter,
      authenticatorFor: () => ({ authorize: async (request) => request }),
      ...options,
    });
  }

  const totalHits = () => [...hits.values()].reduce((sum, count) => sum + count, 0);

  it('20 concurrent requests over failing routes: retries in flight stay within max(20 % of active, 3)', async () => {
    for (const id of ['a', 'b', 'c']) behaviours.set(id, { status: 503, delayMs: 150 });
    let peakRetries = 0;
    let peakActive = 0;
    const executor = executorWith({}, () => {
      const load = executor.load();
      peakRetries = Math.max(peakRetries, load.retries);
      peakActive = Math.max(peakActive, load.active);
      assert.ok(load.retries <= load.allowedRetries, `${load.retries} retries in flight, ${load.allowedRetries} allowed`);
    });
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () => executor.chat(REQUEST, routes('a', 'b', 'c'), { signal: new AbortController().signal })),
      );
      const allowed = allowedRetries(20, { percent: 20, minConcurrency: 3 });
      assert.equal(peakActive, 20);
      assert.ok(peakRetries > 0 && peakRetries <= allowed, `peak ${peakRetries} retries, ${allowed} allowed`);
      // Each wave of retries lasts at least the upstream's delay, and there are at most max_attempts - 1 waves.
      assert.ok(totalHits() <= 20 + 3 * allowed, `${totalHits()} upstream calls`);
      const errors = results.map((result) => (result.status === 'rejected' ? result.reason : null));
      assert.ok(errors.every((error) => error instanceof NoRouteAvailableError));
      assert.ok(errors.some((error) => /Retry budget exhausted/.test(String(error?.message))));
      assert.deepEqual(executor.load(), { active: 0, retries: 0, allowedRetries: 3 }, 'every slot was given back');
    } finally {
      await executor.close();
    }
  });

  it('without a budget the same storm costs every attempt (the contrast)', async () => {
    for (const id of ['a', 'b', 'c']) behaviours.set(id, { status: 503, delayMs: 150 });
    const executor = executorWith({ retryBudget: { percent: 100, minConcurrency: 1_000 } });
    try {
      await Promise.allSettled(Array.from({ length: 20 }, () => executor.chat(REQUEST, routes('a', 'b', 'c'), { signal: new AbortController().signal })));
      assert.equal(totalHits(), 80);
    } finally {
      await executor.close();
    }
  });

  it('a lone request retries one at a time, so the minimum lets it fail over; a spent budget stops it with a reason', async () => {
    for (const id of ['a', 'b', 'c']) behaviours.set(id, { status: 503, delayMs: 0 });
    const generous = executorWith({});
    const executed = await generous.chat(REQUEST, routes('a', 'b', 'c', 'd'), { signal: new AbortController().signal });
    assert.equal(executed.route.id, 'd');
    assert.equal(executed.attempts.length, 4);
    await generous.close();

    const tight = executorWith({ retryBudget: { percent: 0, minConcurrency: 0 } });
    const { signal } = new AbortController();
    await assert.rejects(tight.chat(REQUEST, routes('a', 'b', 'c', 'd'), { signal }), (error: unknown) => {
      assert.ok(error instanceof NoRouteAvailableError);
      assert.deepEqual(error.attempts.map((attempt) => attempt.route), ['a']);
      assert.match(error.message, /Retry budget exhausted \(0 retries in flight, at most 0 for 1 active requests\); not tried: b, c, d\.$/);
      return true;
    });
    await tight.close();
  });

  it('reports every attempt with its latency, and samples time to first byte of answers only', async () => {
    behaviours.set('a', { status: 503, delayMs: 0 });
    behaviours.set('b', { status: 200, delayMs: 40 });
    const executor = executorWith({});
    const reported: Attempt[] = [];
    try {
      const executed = await executor.chat(REQUEST, routes('a', 'b'), { signal: new AbortController().signal, onAttempt: (attempt) => reported.push(attempt) });
      assert.deepEqual(reported, executed.attempts);
      assert.deepEqual(
        executed.attempts.map(({ route, status, code }) => ({ route, status, code })),
        [
          { route: 'a', status: 503, code: 'upstream_error' },
          { route: 'b', status: 200, code: 'ok' },
        ],
      );
      assert.ok((executed.attempts[1]?.latencyMs ?? 0) >= 35);
      assert.deepEqual(executed.attempts.map(toDecisionAttempt).map(({ route, status, error }) => ({ route, status, error })), [
        { route: 'a', status: 503, error: 'failing with 503 (route a)' },
        { route: 'b', status: 200, error: null },
      ]);
      assert.equal(executor.health.latencyMs('a'), null);
      assert.ok((executor.health.latencyMs('b') ?? 0) >= 35);
      const snapshot = Object.fromEntries(executor.snapshot(['a', 'b', 'never']).map((entry) => [entry.route, entry.error_rate]));
      assert.deepEqual(snapshot, { a: 1, b: 0, never: null });
    } finally {
      await executor.close();
    }
  });

  it('skips an ejected route, then sends exactly one half-open probe whose success closes it', async () => {
    behaviours.set('a', { status: 503, delayMs: 0 });
    const clock = { now: 1_000_000 };
    const executor = executorWith({ outlier: { consecutiveFailures: 2, baseEjectionMs: 1_000 }, now: () => clock.now });
    const { signal } = new AbortController();
    try {
      for (let i = 0; i < 2; i += 1) await executor.chat(REQUEST, routes('a', 'b'), { signal });
      assert.equal(executor.health.state('a'), 'open');
      const epoch = executor.health.epoch;
      const skipped = await executor.chat(REQUEST, routes('a', 'b'), { signal });
      assert.deepEqual(skipped.attempts.map((attempt) => attempt.route), ['b']);
      assert.equal(hits.get('a'), 2);

      clock.now += 1_000;
      assert.equal(executor.health.state('a'), 'half_open');
      behaviours.set('a', { status: 200, delayMs: 100 });
      const [probe, other] = await Promise.all([
        executor.chat(REQUEST, routes('a', 'b'), { signal }),
        delay(10).then(() => executor.chat(REQUEST, routes('a', 'b'), { signal })),
      ]);
      assert.equal(probe.route.id, 'a');
      assert.equal(other.route.id, 'b', 'the second request did not wait for nor join the probe');
      assert.equal(executor.health.state('a'), 'closed');
      assert.equal(executor.health.epoch, epoch + 2);
    } finally {
      await executor.close();
    }
  });
});
