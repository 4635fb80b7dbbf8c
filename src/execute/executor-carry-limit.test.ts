// Tests of the executor's carry limits: a route whose cloud says its wire cannot carry the request (UpstreamError
// `carryLimit`) fails over like an adapter's refusal, an invalid request is answered at once, and the adapter's notes
// on the prepared request travel with the attempt.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { routeSchema, type Route } from '../catalog/index.ts';
import type { ProviderAdapter } from '../providers/index.ts';
import { InvalidRequestError, UpstreamError, type ChatCompletion, type ChatCompletionRequest } from '../wire/index.ts';
import type { Attempt } from './attempt-control.ts';
import { Executor } from './executor.ts';

const REQUEST = { model: 'm', messages: [{ role: 'user', content: 'hi' }] } as unknown as ChatCompletionRequest;

/** What each route's upstream answers: 200, or a 400 whose body says whether it is a carry limit. */
type Answer = 'ok' | 'carry-limit' | 'invalid';

describe('Executor carry limits', () => {
  let server: Server;
  let base: string;
  const answers = new Map<string, Answer>();
  const hits = new Map<string, number>();
  /** Routes whose adapter refuses the request before sending it. */
  const refusing = new Set<string>();

  before(async () => {
    server = createServer((req, res) => {
      const routeId = (req.url ?? '/').split('/')[1] ?? '';
      hits.set(routeId, (hits.get(routeId) ?? 0) + 1);
      const answer = answers.get(routeId) ?? 'ok';
      req.resume();
      res.writeHead(answer === 'ok' ? 200 : 400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ answer }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    answers.clear();
    hits.clear();
    refusing.clear();
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const adapter = {
    name: 'test',
    prepareChat(_request: ChatCompletionRequest, route: Route) {
      if (refusing.has(route.id)) throw new InvalidRequestError(`'n' cannot be carried (route ${route.id})`, 'n', 'unsupported_parameter');
      return { method: 'POST' as const, url: `${route.endpoint}/chat`, headers: {}, body: '{}', notes: [`adapted for ${route.id}`] };
    },
    readChat: () => ({ completion: { id: 'ok' } as ChatCompletion }),
    readError: (status: number, _headers: unknown, body: Uint8Array, route: Route) => {
      const { answer } = JSON.parse(new TextDecoder().decode(body)) as { answer: Answer };
      const message = answer === 'carry-limit' ? 'temperature out of range' : 'Input is too long for requested model.';
      return new UpstreamError(message, { route: route.id, status, code: 'ValidationException', retryable: false, carryLimit: answer === 'carry-limit' });
    },
  } as unknown as ProviderAdapter;

  function newExecutor(): Executor {
    return new Executor({
      attemptTimeoutMs: 5_000,
      streamIdleTimeoutMs: 5_000,
      maxAttempts: 4,
      outlier: { consecutiveFailures: 1 },
      adapterFor: () => adapter,
      authenticatorFor: () => ({ authorize: async (request) => ({ method: request.method, url: request.url, headers: request.headers, body: request.body }) }),
    });
  }

  function routes(...ids: string[]): Route[] {
    return ids.map((id) => routeSchema.parse({ id, model: 'm', provider: 'openai', endpoint: `${base}/${id}`, auth: { type: 'none' } }));
  }

  async function run(executor: Executor, ids: string[]): Promise<{ result: unknown; reported: Attempt[] }> {
    const reported: Attempt[] = [];
    const signal = new AbortController().signal;
    const result = await executor.chat(REQUEST, routes(...ids), { signal, onAttempt: (attempt) => reported.push(attempt) }).catch((error: unknown) => error);
    return { result, reported };
  }

  it("a carry-limit 400 fails over to the next route, which answers; the refusing route's health is untouched", async () => {
    answers.set('a', 'carry-limit');
    const executor = newExecutor();
    try {
      const { result, reported } = await run(executor, ['a', 'b']);
      assert.equal((result as { route: Route }).route.id, 'b');
      assert.deepEqual(
        reported.map(({ route, status }) => ({ route, status })),
        [
          { route: 'a', status: 400 },
          { route: 'b', status: 200 },
        ],
      );
      assert.equal(executor.snapshot(['a'])[0]?.consecutive_failures, 0);
    } finally {
      await executor.close();
    }
  });

  it('an invalid request (a 400 that is no carry limit) is answered at once: no other route is tried', async () => {
    answers.set('a', 'invalid');
    const executor = newExecutor();
    try {
      const { result, reported } = await run(executor, ['a', 'b', 'c']);
      assert.ok(result instanceof UpstreamError, String(result));
      assert.equal(result.status, 400);
      assert.match(result.message, /Input is too long/);
      assert.deepEqual([...hits.keys()], ['a']);
      assert.equal(reported.length, 1);
    } finally {
      await executor.close();
    }
  });

  it('one route, a carry limit: its own 400 as before, with the attempt counted', async () => {
    answers.set('a', 'carry-limit');
    const executor = newExecutor();
    try {
      const { result } = await run(executor, ['a']);
      assert.ok(result instanceof UpstreamError, String(result));
      assert.equal(result.status, 400);
      assert.equal(result.attemptCount, 1);
    } finally {
      await executor.close();
    }
  });

  it("a request every route refuses (the adapter before sending, the cloud as a carry limit) is a 400 with each route's reason", async () => {
    refusing.add('a');
    answers.set('b', 'carry-limit');
    answers.set('c', 'carry-limit');
    const executor = newExecutor();
    try {
      const { result, reported } = await run(executor, ['a', 'b', 'c']);
      assert.ok(result instanceof InvalidRequestError, String(result));
      assert.equal(result.status, 400);
      assert.equal(result.code, 'unsupported_parameter');
      assert.equal(result.param, 'n');
      assert.match(result.message, /^No route of model 'm' can carry this request: /);
      for (const id of ['a', 'b', 'c']) assert.match(result.message, new RegExp(`\\(route ${id}\\)`));
      assert.deepEqual([...hits.keys()].sort(), ['b', 'c']);
      assert.equal(reported.length, 3);
    } finally {
      await executor.close();
    }
  });

  it("a carry limit beside another route's failure is not the client's 400: the failure is reported as before", async () => {
    answers.set('a', 'carry-limit');
    answers.set('b', 'invalid');
    const executor = newExecutor();
    try {
      const { result } = await run(executor, ['a', 'b']);
      assert.ok(result instanceof UpstreamError, String(result));
      assert.match(result.message, /Input is too long.*\(route b\)/);
    } finally {
      await executor.close();
    }
  });

  it("the adapter's notes on the prepared request are reported with the attempt, though authorizing dropped them", async () => {
    const executor = newExecutor();
    try {
      const { reported } = await run(executor, ['a']);
      assert.deepEqual(reported[0]?.notes, ['adapted for a']);
    } finally {
      await executor.close();
    }
  });
});
