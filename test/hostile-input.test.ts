// Hostile input at the edge: oversized routing constraints and names, deep JSON, slow or idle connections and
// oversized headers get short, OpenAI-shaped errors and cost the gateway nothing lasting (issue 13, items 1, 4, 5).
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startStack, type Stack } from './support/start-stack.ts';

/** A JSON text nested `depth` arrays deep (built as text: a value this deep cannot be JSON.stringify'd). */
function deepArrayText(depth: number): string {
  return `${'['.repeat(depth)}0${']'.repeat(depth)}`;
}

function rawPost(stack: Stack, path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${stack.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json', ...headers },
    body,
  });
}

const CHAT = { model: 'gpt-5.5', messages: [{ role: 'user' as const, content: 'hello' }] };

describe('hostile input at the edge', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({ server: { headers_timeout_ms: 1_000, request_timeout_ms: 2_000, keep_alive_timeout_ms: 1_000, max_connections: 64 } });
  });
  after(() => stack.close());

  it('refuses an oversized region name in the body with a short error, whatever its size', async () => {
    const huge = 'r'.repeat(1024 * 1024);
    const response = await rawPost(stack, '/v1/chat/completions', JSON.stringify({ ...CHAT, crossway: { regions: [huge] } }));
    const text = await response.text();
    assert.equal(response.status, 400);
    assert.ok(text.length < 1_000, `error body of ${text.length} bytes`);
    assert.equal(JSON.parse(text).error.param, 'crossway.regions[0]');
  });

  it('refuses too many constraint entries and oversized header lists', async () => {
    const many = Array.from({ length: 33 }, (_, index) => `r${index}`);
    const body = await rawPost(stack, '/v1/chat/completions', JSON.stringify({ ...CHAT, crossway: { compliance: many } }));
    assert.equal(body.status, 400);
    const header = await rawPost(stack, '/v1/chat/completions', JSON.stringify(CHAT), { 'x-crossway-regions': many.join(',') });
    assert.equal(header.status, 400);
    assert.equal(((await header.json()) as { error: { param: string } }).error.param, 'x-crossway-regions');
    const long = await rawPost(stack, '/v1/chat/completions', JSON.stringify(CHAT), { 'x-crossway-regions': 'e'.repeat(4_000) });
    assert.equal(long.status, 400);
  });

  it('never echoes more than an excerpt of an unknown key or model name', async () => {
    const key = 'k'.repeat(100_000);
    const unknownKey = await rawPost(stack, '/v1/chat/completions', JSON.stringify({ ...CHAT, crossway: { [key]: 1 } }));
    assert.equal(unknownKey.status, 400);
    assert.ok((await unknownKey.text()).length < 1_000);
    const model = await rawPost(stack, '/v1/chat/completions', JSON.stringify({ ...CHAT, model: 'm'.repeat(100_000) }));
    assert.equal(model.status, 400);
    assert.ok((await model.text()).length < 1_000);
    const missing = await rawPost(
      stack,
      '/v1/responses',
      JSON.stringify({ model: 'gpt-5.5', input: 'hi', previous_response_id: `resp_${'x'.repeat(100_000)}` }),
    );
    assert.equal(missing.status, 404);
    assert.ok((await missing.text()).length < 1_000);
  });

  it('refuses JSON nested deeper than the bound with a 400 naming the field, and the model keeps serving', async () => {
    for (let index = 0; index < 8; index += 1) {
      const body = `{"model":"gpt-5.5","messages":[{"role":"user","content":"hi"}],"extra":${deepArrayText(10_000)}}`;
      const response = await rawPost(stack, '/v1/chat/completions', body);
      assert.equal(response.status, 400);
      const error = ((await response.json()) as { error: { code: string; param: string } }).error;
      assert.equal(error.code, 'json_too_deep');
      assert.match(error.param, /^extra\[0\]/);
    }
    const schema =
      '{"model":"gpt-5.5","messages":[{"role":"user","content":"hi"}],' +
      `"tools":[{"type":"function","function":{"name":"f","parameters":${deepArrayText(200)}}}]}`;
    assert.equal((await rawPost(stack, '/v1/chat/completions', schema)).status, 400);
    const completion = await stack.client.chat.completions.create(CHAT);
    assert.equal(completion.choices.length, 1);
    const routes = await stack.api('GET', '/admin/routes');
    for (const route of routes.body.data) assert.equal(route.state, 'closed', JSON.stringify(route));
  });

  it('ignores fields an endpoint does not take instead of reading them unvalidated (found by the fuzz suite)', async () => {
    const response = await rawPost(
      stack,
      '/v1/responses/compact',
      JSON.stringify({ model: 'gpt-5.5', input: [{ role: 'user', content: 'hi' }], conversation: { model: true } }),
    );
    assert.equal(response.status, 200, await response.clone().text());
  });

  it('answers a too-large header with a 431 and an OpenAI-shaped body', async () => {
    const reply = await rawExchange(stack, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    assert.match(reply, /^HTTP\/1\.1 431 /);
    assert.equal(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)).error.code, 'headers_too_large');
  });

  it('cuts off a client that sends its headers one byte at a time', async () => {
    const socket = await open(stack);
    const closed = closedWithin(socket, 6_000);
    let chunks = 0;
    const timer = setInterval(() => {
      if (!socket.destroyed) socket.write(chunks++ === 0 ? 'GET /healthz HTTP/1.1\r\n' : 'X');
    }, 200);
    const outcome = await closed;
    clearInterval(timer);
    assert.ok(outcome.closed, 'the slow client was not cut off');
    assert.match(outcome.data, /^HTTP\/1\.1 408 /);
  });

  it('closes idle connections and half-sent bodies', async () => {
    const idle = await open(stack);
    assert.ok((await closedWithin(idle, 6_000)).closed, 'an idle connection stayed open');
    const partial = await open(stack);
    partial.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model"`);
    assert.ok((await closedWithin(partial, 8_000)).closed, 'a half-sent body kept its connection');
  });

  it('caps open connections and still serves once idle ones are gone', async () => {
    const sockets: Socket[] = [];
    for (let index = 0; index < 80; index += 1) sockets.push(await open(stack).catch(() => connect(1)));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const open_ = sockets.filter((socket) => !socket.destroyed).length;
    assert.ok(open_ <= 64, `${open_} connections stayed open past max_connections`);
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal((await fetch(`${stack.url}/healthz`)).status, 200);
  });
});

function open(stack: Stack): Promise<Socket> {
  const { hostname, port } = new URL(stack.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.on('error', reject);
  });
}

/** Waits until the server closes the socket or the time is up; what the server wrote meanwhile. */
function closedWithin(socket: Socket, ms: number): Promise<{ closed: boolean; data: string }> {
  return new Promise((resolve) => {
    let data = '';
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ closed: false, data });
    }, ms);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ closed: true, data });
    });
  });
}

async function rawExchange(stack: Stack, text: string): Promise<string> {
  const socket = await open(stack);
  const result = closedWithin(socket, 5_000);
  socket.write(text);
  return (await result).data;
}

describe('a chain cannot grow one upstream request without bound', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ runtime: { max_context_bytes: 300_000 } });
  });
  after(() => stack.close());

  it('refuses a context over runtime.max_context_bytes, and truncation auto drops the oldest turns to fit it', async () => {
    const big = 'x'.repeat(120_000);
    let previous: string | undefined;
    for (let turn = 0; turn < 2; turn += 1) {
      const response = await stack.client.responses.create({
        model: 'gpt-5.5',
        input: big,
        max_output_tokens: 16,
        ...(previous === undefined ? {} : { previous_response_id: previous }),
      });
      previous = response.id;
    }
    await assert.rejects(
      stack.client.responses.create({ model: 'gpt-5.5', input: big, max_output_tokens: 16, previous_response_id: previous }),
      (error: { status?: number; code?: string }) => error.status === 400 && error.code === 'context_length_exceeded',
    );
    const truncated = await stack.client.responses.create({
      model: 'gpt-5.5',
      input: big,
      max_output_tokens: 16,
      previous_response_id: previous,
      truncation: 'auto',
    });
    assert.ok(truncated.status === 'completed' || truncated.status === 'incomplete', truncated.status);
    const [last] = (await stack.journal('azure'))
      .concat(await stack.journal('openai'))
      .filter((entry) => entry.path.endsWith('/responses') || entry.path.endsWith('/chat/completions'))
      .slice(-1);
    assert.ok(last !== undefined);
    assert.ok(JSON.stringify(last.body).length < 300_000, `${JSON.stringify(last.body).length} bytes went upstream`);
  });
});
