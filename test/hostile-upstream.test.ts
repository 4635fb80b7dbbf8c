// Upstreams that misbehave and requests that cannot be sent, end to end: an upstream reflecting the credentials it was
// sent never gets them to a client, a decision record or a log; a redirect is a failed attempt; a request the gateway
// cannot serialise never counts against a route; and a half-failing fleet is never ejected whole.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { OPENAI_KEY, startStack, type Stack } from './support/start-stack.ts';
import { waitFor } from './support/wait-for.ts';

const BEARER_KEY = 'sk-route-secret-bearer-0123456789abcdef';
const AZURE_KEY = 'azure-route-secret-api-key-0123456789';
const CHAT_ROUTE = { capabilities: ['streaming'], price: { input: 1, output: 1, currency: 'USD' } };

/**
 * An upstream that echoes every request header back: in its error bodies, its answers, its SSE streams (the echo split
 * across two writes, mid-credential) and its x-request-id. What it does depends on the last user message.
 */
function startReflector(): Promise<Server> {
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      if (req.url?.startsWith('/redirect')) {
        res.writeHead(302, { location: 'http://127.0.0.1:9/elsewhere' });
        return res.end();
      }
      const body = JSON.parse(text) as { messages: { content: string }[]; stream?: boolean };
      const mode = body.messages.at(-1)?.content ?? '';
      const echo = reflect(req);
      const requestId = { 'x-request-id': `req-${echo}`.replace(/[^\x20-\x7e]/g, '') };
      if (mode === 'fail-400' || mode === 'fail-500') {
        res.writeHead(mode === 'fail-400' ? 400 : 500, { 'content-type': 'application/json', ...requestId });
        return res.end(
          JSON.stringify({ error: { message: `You sent ${echo}`, type: 'invalid_request_error', code: null, param: null, headers: req.headers } }),
        );
      }
      if (body.stream !== true) {
        res.writeHead(200, { 'content-type': 'application/json', ...requestId });
        return res.end(
          JSON.stringify({
            id: 'chatcmpl-1',
            object: 'chat.completion',
            created: 1,
            model: 'm',
            choices: [{ index: 0, message: { role: 'assistant', content: echo }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
          }),
        );
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', ...requestId });
      const chunk = (delta: Record<string, unknown>) =>
        'data: ' +
        JSON.stringify({
          id: 'c',
          object: 'chat.completion.chunk',
          created: 1,
          model: 'm',
          choices: [{ index: 0, delta, finish_reason: null }],
        }) +
        '\n\n';
      const events = chunk({ role: 'assistant', content: `echo ${echo}` });
      const payload =
        mode === 'stream-error'
          ? `${chunk({ role: 'assistant', content: 'partial' })}data: ` +
            `${JSON.stringify({ error: { message: `stream broke; you sent ${echo}`, type: 'server_error' } })}\n\n`
          : `${events}data: [DONE]\n\n`;
      // Cut in the middle of the first credential the stream carries, so that each write holds half of it.
      const at = Math.max(payload.indexOf('secret'), 1);
      res.write(payload.slice(0, at));
      setTimeout(() => res.end(payload.slice(at)), 30);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function reflect(req: IncomingMessage): string {
  return Object.entries(req.headers)
    .map(([name, value]) => `${name}: ${String(value)}`)
    .join('; ');
}

describe('an upstream that reflects its credentials', () => {
  let reflector: Server;
  let stack: Stack;
  let client: OpenAI;

  before(async () => {
    reflector = await startReflector();
    const upstream = `http://127.0.0.1:${(reflector.address() as AddressInfo).port}`;
    stack = await startStack({
      models: [{ id: 'reflect' }, { id: 'reflect-azure' }, { id: 'hop' }],
      routes: (urls) => [
        { id: 'reflect-bearer', model: 'reflect', provider: 'openai', endpoint: `${upstream}/v1`, auth: { type: 'bearer', key: BEARER_KEY }, ...CHAT_ROUTE },
        {
          id: 'reflect-api-key',
          model: 'reflect-azure',
          provider: 'azure',
          endpoint: upstream,
          deployment: 'd',
          auth: { type: 'api-key', key: AZURE_KEY },
          ...CHAT_ROUTE,
        },
        { id: 'hop-redirect', model: 'hop', provider: 'openai', endpoint: `${upstream}/redirect/v1`, auth: { type: 'bearer', key: BEARER_KEY }, ...CHAT_ROUTE },
        {
          id: 'hop-ok',
          model: 'hop',
          provider: 'openai',
          endpoint: `${urls.openai}/v1`,
          deployment: 'gpt-5.5',
          auth: { type: 'bearer', key: OPENAI_KEY },
          ...CHAT_ROUTE,
        },
      ],
      execute: { outlier: { consecutive_failures: 1_000 } },
    });
    client = stack.client;
  });
  after(async () => {
    await stack.close();
    reflector.closeAllConnections();
    await new Promise((resolve) => reflector.close(resolve));
  });

  const leaks = (text: string) => [BEARER_KEY, AZURE_KEY].filter((secret) => text.includes(secret));

  /** The decision record of a request, once the decision log stored it. */
  async function decision(id: string | null): Promise<string> {
    assert.ok(id !== null && id !== '', 'the response names its decision');
    return waitFor(`decision ${id} to be stored`, async () => {
      const { status, body } = await stack.api('GET', `/v1/crossway/decisions/${encodeURIComponent(id)}`);
      return status === 200 && JSON.stringify(body);
    });
  }

  for (const model of ['reflect', 'reflect-azure']) {
    it(`${model}: the answer, its headers, a streamed answer and the decision carry no credential`, async () => {
      const { data, response } = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'ok' }] }).withResponse();
      const content = data.choices[0]?.message.content ?? '';
      assert.match(content, /\[redacted\]/, 'the echo reached the client, scrubbed');
      assert.deepEqual(leaks(content), []);
      assert.deepEqual(leaks(response.headers.get('x-crossway-upstream-request-id') ?? ''), []);
      assert.match(response.headers.get('x-crossway-upstream-request-id') ?? '', /^req-/);
      assert.deepEqual(leaks(await decision(response.headers.get('x-crossway-decision'))), []);

      const { data: stream, response: streamed } = await client.chat.completions
        .create({ model, messages: [{ role: 'user', content: 'ok' }], stream: true })
        .withResponse();
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      assert.match(text, /^echo .*\[redacted\]/);
      assert.deepEqual(leaks(text), []);
      assert.deepEqual(leaks(streamed.headers.get('x-crossway-upstream-request-id') ?? ''), []);
    });

    it(`${model}: error messages, error.attempts, SSE error events, decisions and logs carry no credential`, async () => {
      for (const mode of ['fail-400', 'fail-500']) {
        const response = await fetch(`${stack.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model, messages: [{ role: 'user', content: mode }] }),
        });
        const body = await response.text();
        assert.equal(response.status, mode === 'fail-400' ? 400 : 502, body);
        assert.match(body, /You sent/, "the cloud's message is kept");
        if (mode === 'fail-500') assert.match(body, /"attempts":\[/);
        assert.deepEqual(leaks(body), [], body);
        assert.deepEqual(leaks(await decision(response.headers.get('x-crossway-decision'))), []);
      }

      const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'stream-error' }], stream: true });
      const error = await (async () => {
        try {
          for await (const _chunk of stream);
        } catch (thrown) {
          return thrown;
        }
        return null;
      })();
      assert.ok(error instanceof Error, 'the stream ended with an error event');
      assert.match(error.message, /stream broke/);
      assert.deepEqual(leaks(`${error.message} ${JSON.stringify(error)}`), []);

      assert.deepEqual(leaks(stack.logs()), []);
    });
  }

  it('a route answering 302 is a failed attempt: the next route answers 200 and the redirect never reaches the client', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'hop', messages: [{ role: 'user', content: 'Hello' }] }).withResponse();
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-crossway-route'), 'hop-ok');
    assert.equal(response.headers.get('x-crossway-attempts'), '2');
    assert.ok((data.choices[0]?.message.content ?? '').length > 0);
    const { body } = await stack.api('GET', '/admin/routes');
    const redirecting = (body.data as { id: string; consecutive_failures: number }[]).find((route) => route.id === 'hop-redirect');
    assert.equal(redirecting?.consecutive_failures, 1, 'the redirect counts against its route');
  });
});

describe('requests the gateway cannot send never count against a route', () => {
  let stack: Stack;
  before(async () => {
    // Envoy's default threshold: five failures in a row would eject a route.
    stack = await startStack();
  });
  after(() => stack.close());

  it('ten requests nesting an unknown field 10,000 deep are 400s; gpt-5.5 still answers and no route was ejected', async () => {
    const nested = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const body = `{"model":"gpt-5.5","messages":[{"role":"user","content":"hi"}],"unknown_field":${nested}}`;
    for (let i = 0; i < 10; i += 1) {
      const response = await fetch(`${stack.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' },
        body,
      });
      const answer = (await response.json()) as { error?: { type?: string } };
      assert.equal(response.status, 400, JSON.stringify(answer));
      assert.equal(answer.error?.type, 'invalid_request_error');
    }
    const { response } = await stack.client.chat.completions.create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'Hello' }] }).withResponse();
    assert.equal(response.status, 200);
    const { body: routes } = await stack.api('GET', '/admin/routes');
    for (const route of routes.data as { id: string; model: string; state: string; consecutive_failures: number }[]) {
      if (route.model !== 'gpt-5.5') continue;
      assert.equal(route.state, 'closed', route.id);
      assert.equal(route.consecutive_failures, 0, route.id);
    }
  });
});

describe('a fleet failing half of its requests', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  it('with 500s at rate 0.5 on every route, no request finds every route ejected (no 503 without an attempt)', async () => {
    await stack.fault('azure', { status: 500, rate: 0.5 });
    await stack.fault('openai', { status: 500, rate: 0.5 });
    const outcomes = { ok: 0, failed: 0, noAttempt: 0 };
    for (let i = 0; i < 150; i += 1) {
      try {
        await stack.client.chat.completions.create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'Hello' }] });
        outcomes.ok += 1;
      } catch (error) {
        assert.ok(error instanceof OpenAI.APIError, String(error));
        if (error.status === 503 && error.headers?.get('x-crossway-attempts') === null) outcomes.noAttempt += 1;
        else if (error.status === 503 && error.headers?.get('x-crossway-attempts') === '0') outcomes.noAttempt += 1;
        else outcomes.failed += 1;
      }
    }
    assert.equal(outcomes.noAttempt, 0, JSON.stringify(outcomes));
    assert.ok(outcomes.ok > 100, JSON.stringify(outcomes));
    const { body } = await stack.api('GET', '/admin/routes');
    const states = (body.data as { model: string; state: string }[]).filter((route) => route.model === 'gpt-5.5').map((route) => route.state);
    assert.ok(states.filter((state) => state !== 'closed').length <= 1, `at most one of three routes ejected: ${states.join(', ')}`);
  });
});
