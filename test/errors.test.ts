// Every error the gateway answers comes in OpenAI's shape with the right status, through the official client.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startStack, type Stack } from './support/start-stack.ts';

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null; [key: string]: unknown };
}

async function post(
  stack: Stack,
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: ErrorBody; headers: Headers }> {
  const response = await fetch(`${stack.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as ErrorBody, headers: response.headers };
}

function assertOpenAIErrorShape(body: ErrorBody): void {
  assert.deepEqual(Object.keys(body), ['error']);
  for (const field of ['message', 'type', 'param', 'code']) assert.ok(field in body.error, `error.${field} present`);
  assert.equal(typeof body.error.message, 'string');
}

describe('errors', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ server: { body_limit: 64 * 1024 }, execute: { attempt_timeout_ms: 1_500 } });
  });
  afterEach(async () => {
    await stack.clearFaults();
  });
  after(async () => {
    await stack.close();
  });

  it('malformed JSON is a 400', async () => {
    const { status, body } = await post(stack, '/v1/chat/completions', '{"model": "gpt-5.5", "messages": [');
    assert.equal(status, 400);
    assertOpenAIErrorShape(body);
    assert.equal(body.error.type, 'invalid_request_error');
  });

  it('an invalid field is a 400 naming the parameter', async () => {
    const { status, body } = await post(
      stack,
      '/v1/chat/completions',
      JSON.stringify({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'x' }], temperature: 7 }),
    );
    assert.equal(status, 400);
    assertOpenAIErrorShape(body);
    assert.equal(body.error.param, 'temperature');
    const missing = await post(stack, '/v1/chat/completions', JSON.stringify({ model: 'gpt-5.5' }));
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.param, 'messages');
  });

  it('an unknown model is a 404 the client raises as NotFoundError', async () => {
    await assert.rejects(
      stack.client.chat.completions.create({ model: 'gpt-0', messages: [{ role: 'user', content: 'x' }] }),
      (error: unknown) => error instanceof OpenAI.NotFoundError && error.code === 'model_not_found' && error.param === 'model',
    );
    await assert.rejects(stack.client.models.retrieve('gpt-0'), OpenAI.NotFoundError);
  });

  it('a missing or wrong key is a 401', async () => {
    const wrong = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'sk-cw-wrong-key-1234567', maxRetries: 0 });
    await assert.rejects(wrong.models.list(), (error: unknown) => error instanceof OpenAI.AuthenticationError && error.code === 'invalid_api_key');
    const response = await fetch(`${stack.url}/v1/models`);
    assert.equal(response.status, 401);
    assertOpenAIErrorShape((await response.json()) as ErrorBody);
  });

  it('a body over the limit is a 413', async () => {
    const big = JSON.stringify({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'x'.repeat(100 * 1024) }] });
    const { status, body } = await post(stack, '/v1/chat/completions', big);
    assert.equal(status, 413);
    assertOpenAIErrorShape(body);
    assert.equal(body.error.code, 'request_too_large');
  });

  it('an unknown path is a 404 and a wrong method a 405', async () => {
    const unknown = await post(stack, '/v1/nope', '{}');
    assert.equal(unknown.status, 404);
    assertOpenAIErrorShape(unknown.body);
    const method = await fetch(`${stack.url}/v1/chat/completions`, { headers: { authorization: `Bearer ${stack.masterKey}` } });
    assert.equal(method.status, 405);
  });

  it("a cloud's refusal of the request keeps the cloud's message and names the route", async () => {
    const { status, body, headers } = await post(
      stack,
      '/v1/chat/completions',
      JSON.stringify({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'please [[content-filter]] this' }] }),
    );
    assert.equal(status, 400);
    assertOpenAIErrorShape({ error: body.error } as ErrorBody);
    assert.equal(body.error.code, 'content_filter');
    assert.match(body.error.message, /azure-eastus2-gpt-5\.5/);
    assert.match(body.error.message, /content management policy|content filter/i);
    assert.equal(headers.get('x-crossway-route'), 'azure-eastus2-gpt-5.5');
  });

  it('all routes failing is a 502 listing each attempt', async () => {
    await stack.fault('azure', { status: 500 });
    await stack.fault('openai', { status: 503 });
    const { status, body, headers } = await post(
      stack,
      '/v1/chat/completions',
      JSON.stringify({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'x' }] }),
    );
    assert.equal(status, 502);
    assert.equal(body.error.code, 'all_routes_failed');
    assert.equal(body.error.type, 'server_error');
    const attempts = body.error.attempts as Array<{ route: string; status: number }>;
    assert.deepEqual(
      attempts.slice(0, 3).map((attempt) => [attempt.route, attempt.status]),
      [
        ['azure-eastus2-gpt-5.5', 500],
        ['azure-swedencentral-gpt-5.5', 500],
        ['openai-global-gpt-5.5', 503],
      ],
    );
    assert.equal(headers.get('x-crossway-attempts'), String(attempts.length));
    for (const attempt of ['azure-eastus2-gpt-5.5', 'openai-global-gpt-5.5']) assert.match(body.error.message, new RegExp(attempt));
  });

  it('all routes rate-limited is a 429 with retry-after, which the client retries', async () => {
    await stack.fault('azure', { status: 429, retry_after_s: 30 });
    await stack.fault('openai', { status: 429, retry_after_s: 30 });
    const { status, body, headers } = await post(
      stack,
      '/v1/chat/completions',
      JSON.stringify({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'x' }] }),
    );
    assert.equal(status, 429);
    assert.equal(body.error.type, 'rate_limit_error');
    assert.equal(headers.get('retry-after'), '30');
  });
});
