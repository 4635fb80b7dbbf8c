import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { routeSchema, type Route } from '../catalog/index.ts';
import { getProviderAdapter, type ProviderAdapter } from '../providers/index.ts';
import {
  CrosswayError,
  InternalError,
  InvalidRequestError,
  NoRouteAvailableError,
  UpstreamError,
  type ChatCompletion,
  type ChatCompletionRequest,
  type Usage,
} from '../wire/index.ts';
import { toDecisionAttempt, type Attempt } from './attempt-control.ts';
import { Executor, type ExecutorOptions } from './executor.ts';
import type { ResponsesBodies } from './serves-responses-natively.ts';
import { allowedRetries } from './retry-budget.ts';

/** What the test upstream answers on a route's path: a status after a delay (or once `held` is released). */
interface Behaviour {
  status: number;
  delayMs: number;
  /** Called when a request arrives; the answer waits for `released`. */
  held?: { arrived: () => void; released: Promise<void> };
}

const REQUEST = { model: 'm', messages: [{ role: 'user', content: 'hi' }] } as unknown as ChatCompletionRequest;

/**
 * An executor over a minimal OpenAI-wire adapter whose errors are UpstreamErrors (5xx retryable). `prepare` and
 * `authorize` run as an attempt prepares and authorizes its call; `serialise` sends the request as its body, as real
 * adapters do (else `{}`).
 */
function createTestExecutor(options: {
  prepare?: (route: Route) => void;
  authorize?: (route: Route) => void;
  serialise?: boolean;
  consecutiveFailures: number;
  executor?: Partial<ExecutorOptions>;
}): Executor {
  const adapter = {
    name: 'test',
    prepareChat(request: ChatCompletionRequest, route: Route) {
      options.prepare?.(route);
      const body = options.serialise === true ? JSON.stringify(request) : '{}';
      return { method: 'POST' as const, url: `${route.endpoint}/chat`, headers: { 'content-type': 'application/json' }, body };
    },
    readChat: () => ({ completion: { id: 'ok' } as ChatCompletion }),
    readError: (status: number, _headers: unknown, _body: Uint8Array, route: Route) =>
      new UpstreamError(`failing with ${status}`, {
        route: route.id,
        status,
        retryable: status >= 500 || status === 429,
        retryAfterMs: status === 429 ? 300 : null,
      }),
  } as unknown as ProviderAdapter;
  return new Executor({
    attemptTimeoutMs: 5_000,
    streamIdleTimeoutMs: 5_000,
    maxAttempts: 4,
    outlier: { consecutiveFailures: options.consecutiveFailures },
    adapterFor: () => adapter,
    authenticatorFor: (route) => ({
      authorize: async (request) => {
        options.authorize?.(route);
        return request;
      },
    }),
    ...options.executor,
  });
}

describe('Executor', () => {
  let server: Server;
  let base: string;
  const behaviours = new Map<string, Behaviour>();
  const hits = new Map<string, number>();

  before(async () => {
    server = createServer((req, res) => {
      const routeId = (req.url ?? '/').split('/')[1] ?? '';
      hits.set(routeId, (hits.get(routeId) ?? 0) + 1);
      const { status, delayMs, held } = behaviours.get(routeId) ?? { status: 200, delayMs: 0 };
      req.resume();
      held?.arrived();
      void (held?.released ?? Promise.resolve()).then(() =>
        setTimeout(() => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(status === 200 ? { ok: true } : { error: { message: `failing with ${status}` } }));
        }, delayMs),
      );
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
    return createTestExecutor({ prepare: onPrepare, consecutiveFailures: 1_000, executor: options });
  }

  const totalHits = () => [...hits.values()].reduce((sum, count) => sum + count, 0);

  it("stops at the caller's deadline: the attempt is abandoned as the caller's, the route's health untouched, no next route tried", async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let arrived: () => void = () => {};
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    behaviours.set('a', { status: 200, delayMs: 0, held: { arrived, released } });
    // The routes' own timeout (5 s) is far off; the caller gives up 50 ms after the call starts.
    const executor = executorWith({ outlier: { consecutiveFailures: 1 } });
    try {
      const call = executor.chat(REQUEST, routes('a', 'b'), { signal: new AbortController().signal, deadlineAt: performance.now() + 50 });
      await arrival;
      await assert.rejects(call, (error: unknown) => error instanceof CrosswayError && error.code === 'client_closed_request');
      assert.deepEqual([...hits.entries()], [['a', 1]], 'no attempt after the deadline');
      const [health] = executor.snapshot(['a']);
      assert.equal(health?.state, 'closed');
      assert.equal(health?.consecutive_failures, 0);
      assert.equal(health?.error_rate, null, 'a caller giving up is not a route failure');
    } finally {
      release();
      await executor.close();
    }
  });

  it('counts the backoff a failed upstream imposed (its retry-after) as upstream time, not gateway overhead', async () => {
    // One route that answers 429 with a 300 ms retry-after, then 200: the second pass waits out the retry-after.
    let calls = 0;
    const executor = executorWith({}, () => {
      calls += 1;
      behaviours.set('a', { status: calls === 1 ? 429 : 200, delayMs: 0 });
    });
    const upstreamTime: { upstreamMs?: number } = {};
    await executor.chat(REQUEST, routes('a'), { signal: new AbortController().signal, upstreamTime });
    assert.equal(calls, 2);
    assert.ok((upstreamTime.upstreamMs ?? 0) >= 300, `upstream time ${upstreamTime.upstreamMs} ms`);
  });

  it("starts no attempt once the caller's deadline has passed", async () => {
    const executor = executorWith({});
    try {
      const call = executor.chat(REQUEST, routes('a'), { signal: new AbortController().signal, deadlineAt: performance.now() - 1 });
      await assert.rejects(call, (error: unknown) => error instanceof CrosswayError && error.code === 'client_closed_request');
      assert.equal(totalHits(), 0);
    } finally {
      await executor.close();
    }
  });

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
      assert.deepEqual(
        error.attempts.map((attempt) => attempt.route),
        ['a'],
      );
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
      assert.deepEqual(
        executed.attempts.map(toDecisionAttempt).map(({ route, status, error }) => ({ route, status, error })),
        [
          { route: 'a', status: 503, error: 'failing with 503 (route a)' },
          { route: 'b', status: 200, error: null },
        ],
      );
      assert.equal(executor.health.latencyMs('a'), null);
      assert.ok((executor.health.latencyMs('b') ?? 0) >= 35);
      const snapshot = Object.fromEntries(executor.snapshot(['a', 'b', 'never']).map((entry) => [entry.route, entry.error_rate]));
      assert.deepEqual(snapshot, { a: 1, b: 0, never: null });
    } finally {
      await executor.close();
    }
  });

  // The deadline ends a run in which the second request waits for the held probe (30 s: only a broken run reaches it).
  it('skips an ejected route, then sends exactly one half-open probe whose success closes it', { timeout: 30_000 }, async () => {
    behaviours.set('a', { status: 503, delayMs: 0 });
    const clock = { now: 1_000_000 };
    const executor = executorWith({ outlier: { consecutiveFailures: 2, baseEjectionMs: 1_000 }, now: () => clock.now });
    const { signal } = new AbortController();
    try {
      for (let i = 0; i < 2; i += 1) await executor.chat(REQUEST, routes('a', 'b'), { signal });
      assert.equal(executor.health.state('a'), 'open');
      const epoch = executor.health.epoch;
      const skipped = await executor.chat(REQUEST, routes('a', 'b'), { signal });
      assert.deepEqual(
        skipped.attempts.map((attempt) => attempt.route),
        ['b'],
      );
      assert.equal(hits.get('a'), 2);

      clock.now += 1_000;
      assert.equal(executor.health.state('a'), 'half_open');
      // The probe is held at the upstream until the second request is done: that one surely comes while it is out.
      let arrived = (): void => undefined;
      let release = (): void => undefined;
      const arrival = new Promise<void>((resolve) => (arrived = resolve));
      behaviours.set('a', { status: 200, delayMs: 0, held: { arrived: () => arrived(), released: new Promise((resolve) => (release = resolve)) } });
      const probing = executor.chat(REQUEST, routes('a', 'b'), { signal });
      await Promise.race([arrival, probing]);
      const other = await executor.chat(REQUEST, routes('a', 'b'), { signal });
      assert.equal(other.route.id, 'b', 'the second request did not wait for nor join the probe');
      release();
      const probe = await probing;
      assert.equal(probe.route.id, 'a');
      assert.equal(executor.health.state('a'), 'closed');
      assert.equal(executor.health.epoch, epoch + 2);
    } finally {
      await executor.close();
    }
  });
});

describe('Executor: only an upstream failure counts against a route', () => {
  let server: Server;
  let base: string;
  const statuses = new Map<string, number>();
  let calls = 0;

  before(async () => {
    server = createServer((req, res) => {
      calls += 1;
      const routeId = (req.url ?? '/').split('/')[1] ?? '';
      const status = statuses.get(routeId) ?? 200;
      req.resume();
      const redirect = status >= 300 && status < 400 ? { location: 'http://127.0.0.1:9/elsewhere' } : {};
      res.writeHead(status, { 'content-type': 'application/json', ...redirect });
      res.end(JSON.stringify(status === 200 ? { ok: true } : { error: { message: `failing with ${status}` } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    statuses.clear();
    calls = 0;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function routes(...ids: string[]): Route[] {
    return ids.map((id) => routeSchema.parse({ id, model: 'm', provider: 'openai', endpoint: `${base}/${id}`, auth: { type: 'none' } }));
  }

  /** Envoy's default threshold (5 failures eject), an adapter that serialises the request as the real ones do. */
  function newExecutor(options: { prepare?: (route: Route) => void; authorize?: (route: Route) => void } = {}): Executor {
    return createTestExecutor({ ...options, consecutiveFailures: 5, serialise: true });
  }

  const untouched = (executor: Executor, ...ids: string[]) =>
    assert.deepEqual(
      executor.snapshot(ids).map(({ route, state, consecutive_failures, error_rate }) => ({ route, state, consecutive_failures, error_rate })),
      ids.map((route) => ({ route, state: 'closed', consecutive_failures: 0, error_rate: null })),
    );

  it("a body too deeply nested to serialise is the request's 400 at once: nothing sent, no other route tried, health untouched", async () => {
    let nested: unknown[] = [];
    for (let depth = 0; depth < 10_000; depth += 1) nested = [nested];
    const hostile = { ...REQUEST, unknown_field: nested } as unknown as ChatCompletionRequest;
    const executor = newExecutor();
    try {
      for (let i = 0; i < 10; i += 1) {
        const reported: Attempt[] = [];
        await assert.rejects(
          executor.chat(hostile, routes('a', 'b', 'c'), { signal: new AbortController().signal, onAttempt: (attempt) => reported.push(attempt) }),
          (error: unknown) => {
            assert.ok(error instanceof InvalidRequestError, String(error));
            assert.equal(error.status, 400);
            assert.equal(error.code, 'request_too_complex');
            assert.match(error.message, /too deeply nested/);
            return true;
          },
        );
        assert.deepEqual(
          reported.map(({ route, status }) => ({ route, status })),
          [{ route: 'a', status: 400 }],
          'the other routes would fail the same way',
        );
      }
      assert.equal(calls, 0);
      untouched(executor, 'a', 'b', 'c');
      const executed = await executor.chat(REQUEST, routes('a', 'b', 'c'), { signal: new AbortController().signal });
      assert.equal(executed.route.id, 'a');
    } finally {
      await executor.close();
    }
  });

  it('a translation bug on one route fails over without touching its health; on every route it is a 500, not an upstream error', async () => {
    const executor = newExecutor({
      prepare: (route) => {
        if (route.id === 'a') throw new TypeError("Cannot read properties of undefined (reading 'x')");
      },
    });
    try {
      for (let i = 0; i < 6; i += 1) {
        const reported: Attempt[] = [];
        const executed = await executor.chat(REQUEST, routes('a', 'b'), {
          signal: new AbortController().signal,
          onAttempt: (attempt) => reported.push(attempt),
        });
        assert.equal(executed.route.id, 'b');
        assert.deepEqual(
          executed.attempts.map((attempt) => attempt.route),
          ['b'],
          'nothing was sent to a',
        );
        assert.deepEqual(
          reported.map(({ route, status, code }) => ({ route, status, code })),
          [
            { route: 'a', status: 500, code: 'internal_error' },
            { route: 'b', status: 200, code: 'ok' },
          ],
        );
      }
      untouched(executor, 'a');
      await assert.rejects(executor.chat(REQUEST, routes('a'), { signal: new AbortController().signal }), (error: unknown) => {
        assert.ok(error instanceof InternalError, String(error));
        assert.equal(error.status, 500);
        return true;
      });
    } finally {
      await executor.close();
    }
  });

  it('a credential failure fails over without touching health; with no route left it is a 500 naming the route, not a 502', async () => {
    const executor = newExecutor({
      authorize: (route) => {
        if (route.id === 'a')
          throw new UpstreamError('Could not get a token: identity endpoint unreachable', {
            route: route.id,
            status: 502,
            code: 'upstream_auth_failed',
            retryable: true,
          });
      },
    });
    try {
      for (let i = 0; i < 6; i += 1) assert.equal((await executor.chat(REQUEST, routes('a', 'b'), { signal: new AbortController().signal })).route.id, 'b');
      untouched(executor, 'a');
      await assert.rejects(executor.chat(REQUEST, routes('a'), { signal: new AbortController().signal }), (error: unknown) => {
        assert.ok(error instanceof CrosswayError && !(error instanceof UpstreamError) && !(error instanceof NoRouteAvailableError), String(error));
        assert.equal(error.status, 500);
        assert.equal(error.code, 'upstream_auth_failed');
        assert.match(error.message, /route a/);
        return true;
      });
    } finally {
      await executor.close();
    }
  });

  it('an upstream redirect is a failed attempt of that route: never followed nor forwarded, the next route answers', async () => {
    statuses.set('a', 302);
    const executor = newExecutor();
    try {
      const executed = await executor.chat(REQUEST, routes('a', 'b'), { signal: new AbortController().signal });
      assert.equal(executed.route.id, 'b');
      assert.deepEqual(
        executed.attempts.map(({ route, status, code }) => ({ route, status, code })),
        [
          { route: 'a', status: 502, code: 'upstream_unexpected_status' },
          { route: 'b', status: 200, code: 'ok' },
        ],
      );
      assert.equal(executor.snapshot(['a'])[0]?.consecutive_failures, 1, 'it counts against the route');
      await assert.rejects(
        executor.chat(REQUEST, routes('a'), { signal: new AbortController().signal }),
        (error: unknown) => error instanceof NoRouteAvailableError && error.status === 502,
      );
    } finally {
      await executor.close();
    }
  });
});

describe('Executor Responses turns', () => {
  let server: Server;
  let base: string;
  /** Status per route id; 200 by default. `failFirstEvent` answers a native stream with response.failed at once. */
  const statuses = new Map<string, number>();
  const failFirstEvent = new Set<string>();
  const seen: { route: string; path: string; body: Record<string, unknown> }[] = [];

  const usage = {
    input_tokens: 12,
    input_tokens_details: { cached_tokens: 2 },
    output_tokens: 5,
    output_tokens_details: { reasoning_tokens: 1 },
    total_tokens: 17,
  };
  const responseObject = (status: string) => ({ id: 'resp_up', object: 'response', status, output: [], usage: status === 'completed' ? usage : null });
  const event = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const chatChunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    'data: ' +
    JSON.stringify({
      id: 'c',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'm',
      choices: [{ index: 0, delta, finish_reason: null }],
      ...extra,
    }) +
    '\n\n';

  before(async () => {
    server = createServer((req, res) => {
      const [, routeId = '', ...rest] = (req.url ?? '/').split('/');
      const path = `/${rest.join('/')}`;
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        const body = JSON.parse(text) as Record<string, unknown>;
        seen.push({ route: routeId, path, body });
        const status = statuses.get(routeId) ?? 200;
        if (status !== 200) {
          res.writeHead(status, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ error: { message: `failing with ${status}`, type: 'server_error', code: null } }));
        }
        if (body.stream !== true) {
          res.writeHead(200, { 'content-type': 'application/json' });
          if (path === '/v1/responses') return res.end(JSON.stringify(responseObject('completed')));
          return res.end(
            JSON.stringify({
              id: 'c',
              object: 'chat.completion',
              created: 1,
              model: 'm',
              choices: [{ index: 0, message: { role: 'assistant', content: 'chat' }, finish_reason: 'stop' }],
              usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
            }),
          );
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        if (path === '/v1/responses' && failFirstEvent.has(routeId)) {
          return res.end(
            event('response.failed', {
              sequence_number: 0,
              response: { ...responseObject('failed'), error: { code: 'server_error', message: 'model crashed' } },
            }),
          );
        }
        if (path === '/v1/responses') {
          return res.end(
            event('response.created', { sequence_number: 0, response: responseObject('in_progress') }) +
              event('response.output_text.delta', { sequence_number: 1, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'native' }) +
              event('response.completed', { sequence_number: 2, response: responseObject('completed') }),
          );
        }
        res.end(
          chatChunk({ role: 'assistant', content: 'chat' }) +
            chatChunk({}, { choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }) +
            'data: [DONE]\n\n',
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    statuses.clear();
    failFirstEvent.clear();
    seen.length = 0;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Routes over the real OpenAI adapter; ids ending in `-native` declare the `responses` capability. */
  function routes(...ids: string[]): Route[] {
    return ids.map((id) =>
      routeSchema.parse({
        id,
        model: 'm',
        provider: 'openai',
        endpoint: `${base}/${id}/v1`,
        auth: { type: 'none' },
        capabilities: id.endsWith('-native') ? ['responses'] : [],
      }),
    );
  }
  function newExecutor(adapter: ProviderAdapter = getProviderAdapter('openai')): Executor {
    return new Executor({
      attemptTimeoutMs: 5_000,
      streamIdleTimeoutMs: 5_000,
      maxAttempts: 4,
      outlier: { consecutiveFailures: 1_000 },
      adapterFor: () => adapter,
      authenticatorFor: () => ({ authorize: async (request) => request }),
    });
  }
  /** Bodies that record which route each attempt asked for. */
  function bodiesFor(
    asked: string[],
    native: Record<string, unknown> | null = { model: 'm', input: [{ role: 'user', content: 'hi' }], store: true, previous_response_id: 'resp_x' },
  ): ResponsesBodies {
    return (route) => {
      asked.push(route.id);
      return { native, chat: { ...REQUEST, stream_options: undefined } as ChatCompletionRequest };
    };
  }
  const signal = () => new AbortController().signal;

  it('answers natively on a route that serves Responses, with the usage in the chat shape and a stateless body', async () => {
    const executor = newExecutor();
    try {
      const asked: string[] = [];
      const executed = await executor.responses(bodiesFor(asked), routes('a-native'), { signal: signal(), model: 'm' });
      assert.equal(executed.value.kind, 'native');
      assert.ok(executed.value.kind === 'native');
      assert.equal(executed.value.response.id, 'resp_up');
      assert.deepEqual(executed.value.usage, {
        prompt_tokens: 12,
        completion_tokens: 5,
        total_tokens: 17,
        prompt_tokens_details: { cached_tokens: 2 },
        completion_tokens_details: { reasoning_tokens: 1 },
      });
      assert.deepEqual(asked, ['a-native']);
      assert.deepEqual(
        seen.map(({ route, path, body }) => [route, path, body.store, body.stream, 'previous_response_id' in body]),
        [['a-native', '/v1/responses', false, false, false]],
      );
    } finally {
      await executor.close();
    }
  });

  it('fails over from a native route to a chat route within one request, asking for the bodies once per attempt', async () => {
    statuses.set('a-native', 503);
    const executor = newExecutor();
    try {
      const asked: string[] = [];
      const executed = await executor.responses(bodiesFor(asked), routes('a-native', 'b'), { signal: signal(), model: 'm' });
      assert.equal(executed.value.kind, 'chat');
      assert.ok(executed.value.kind === 'chat');
      assert.equal(executed.value.completion.choices[0]?.message.content, 'chat');
      assert.deepEqual(asked, ['a-native', 'b']);
      assert.deepEqual(
        executed.attempts.map(({ route, status }) => [route, status]),
        [
          ['a-native', 503],
          ['b', 200],
        ],
      );
      assert.deepEqual(
        seen.map(({ route, path, body }) => [route, path, body.stream]),
        [
          ['a-native', '/v1/responses', false],
          ['b', '/v1/chat/completions', false],
        ],
      );
      assert.equal(executor.health.snapshot(['a-native'])[0]?.error_rate, 1, 'the native failure counts against the route');
    } finally {
      await executor.close();
    }
  });

  it('uses chat when the caller gives no native body, or the adapter has no native methods', async () => {
    const { responses: _native, ...chatOnly } = getProviderAdapter('openai');
    for (const [name, executor, native] of [
      ['no native body', newExecutor(), null],
      ['chat-only adapter', newExecutor(chatOnly), undefined],
    ] as const) {
      try {
        seen.length = 0;
        const executed = await executor.responses(bodiesFor([], native), routes('a-native'), { signal: signal(), model: 'm' });
        assert.equal(executed.value.kind, 'chat', name);
        assert.deepEqual(
          seen.map(({ path }) => path),
          ['/v1/chat/completions'],
          name,
        );
      } finally {
        await executor.close();
      }
    }
  });

  it('streams natively, passing the events through and reporting usage once drained', async () => {
    const executor = newExecutor();
    try {
      const executed = await executor.responsesStream(bodiesFor([]), routes('a-native'), { signal: signal(), model: 'm' });
      assert.ok(executed.value.kind === 'native');
      let text = '';
      let usage: Usage | null = null;
      for await (const event of executed.value.events) {
        if (event.type === 'usage') usage = event.usage;
        else text += new TextDecoder().decode(event.bytes);
      }
      assert.match(text, /^event: response\.created\n/);
      assert.match(text, /"delta":"native"/);
      assert.match(text, /event: response\.completed\n[^\n]+\n\n$/);
      assert.equal((usage as Usage | null)?.prompt_tokens, 12);
      assert.deepEqual(
        seen.map(({ path, body }) => [path, body.stream, body.store]),
        [['/v1/responses', true, false]],
      );
    } finally {
      await executor.close();
    }
  });

  it('a native stream that fails before its first byte fails over to a chat stream; the chat body streams with usage', async () => {
    failFirstEvent.add('a-native');
    statuses.set('b-native', 429);
    const executor = newExecutor();
    try {
      const asked: string[] = [];
      const executed = await executor.responsesStream(bodiesFor(asked), routes('a-native', 'b-native', 'c'), { signal: signal(), model: 'm' });
      assert.equal(executed.value.kind, 'chat');
      assert.deepEqual(asked, ['a-native', 'b-native', 'c']);
      assert.deepEqual(
        executed.attempts.map(({ route, status }) => [route, status]),
        [
          ['a-native', 500],
          ['b-native', 429],
          ['c', 200],
        ],
      );
      assert.ok(executed.value.kind === 'chat');
      let text = '';
      let usage: Usage | null = null;
      for await (const event of executed.value.events) {
        if (event.type === 'usage') usage = event.usage;
        if (event.type === 'chunks') assert.ok(event.chunks !== null, 'a Responses turn gets its chat chunks parsed');
        if (event.bytes !== null) text += new TextDecoder().decode(event.bytes);
      }
      assert.match(text, /"choices":\[\],"usage"/, 'the usage chunk is forwarded');
      assert.equal((usage as Usage | null)?.total_tokens, 4);
      assert.deepEqual(seen.at(-1)?.body.stream, true);
    } finally {
      await executor.close();
    }
  });

  it('names the requested model when no route answers', async () => {
    for (const id of ['a-native', 'b']) statuses.set(id, 503);
    const executor = newExecutor();
    try {
      await assert.rejects(executor.responses(bodiesFor([]), routes('a-native', 'b'), { signal: signal(), model: 'gpt-test' }), (error: unknown) => {
        assert.ok(error instanceof NoRouteAvailableError);
        assert.match(error.message, /gpt-test/);
        return true;
      });
    } finally {
      await executor.close();
    }
  });
});
