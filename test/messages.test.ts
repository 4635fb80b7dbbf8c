// The Anthropic Messages front door end to end with the official @anthropic-ai/sdk against the demo stack: every route
// of gpt-5.5 (forced with x-crossway-providers-only) and gpt-oss-120b, JSON and streamed answers, tool round trips,
// count_tokens, models, and Anthropic-shaped errors (401, 400 naming the field, 429) with their headers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { type DemoStack, startDemoStack } from './support/start-demo-stack.ts';

const weather = {
  name: 'get_weather',
  description: 'The weather in a city',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
};

/** Every route of the two demo models, forced by provider. */
const ROUTES = [
  { model: 'gpt-5.5', provider: 'azure', route: /^azure-eastus2-gpt-5\.5/ },
  { model: 'gpt-5.5', provider: 'bedrock', route: /^bedrock-us-east-2-gpt-5\.5/ },
  { model: 'gpt-5.5', provider: 'openai', route: /^openai-global-gpt-5\.5/ },
  { model: 'gpt-oss-120b', provider: 'bedrock', route: /^bedrock-us-west-2-gpt-oss-120b/ },
  { model: 'gpt-oss-120b', provider: 'vertex', route: /^vertex-us-central1-gpt-oss-120b/ },
];

describe('Anthropic Messages API (@anthropic-ai/sdk)', () => {
  let stack: DemoStack;
  let client: Anthropic;
  before(async () => {
    stack = await startDemoStack();
    client = new Anthropic({ baseURL: stack.gateway.url, apiKey: stack.demo.masterKey, maxRetries: 0, timeout: 20_000 });
  });
  after(async () => {
    await stack.close();
  });

  for (const { model, provider, route } of ROUTES) {
    it(`${model} on ${provider}: a tool round trip, JSON then streamed`, async () => {
      const headers = { 'x-crossway-providers-only': provider };
      const first = await client.messages
        .create(
          {
            model,
            max_tokens: 300,
            system: [{ type: 'text', text: 'You are a weather bot.', cache_control: { type: 'ephemeral' } }],
            messages: [{ role: 'user', content: 'What is the weather in Paris? Use get_weather.' }],
            tools: [weather],
            tool_choice: { type: 'auto' },
            metadata: { user_id: 'user-1' },
          },
          { headers },
        )
        .withResponse();
      assert.match(first.response.headers.get('x-crossway-route') ?? '', route);
      assert.match(first.response.headers.get('x-crossway-decision') ?? '', /^dec_/);
      assert.match(first.response.headers.get('request-id') ?? '', /^req_/);
      const message = first.data;
      assert.equal(message.type, 'message');
      assert.equal(message.model, model);
      assert.equal(message.stop_reason, 'tool_use');
      const call = message.content.find((block) => block.type === 'tool_use');
      assert.ok(call !== undefined && call.type === 'tool_use');
      assert.equal(call.name, 'get_weather');
      assert.equal(typeof (call.input as { city?: unknown }).city, 'string');
      assert.ok(message.usage.input_tokens > 0 && message.usage.output_tokens > 0);

      const stream = client.messages.stream(
        {
          model,
          max_tokens: 300,
          messages: [
            { role: 'user', content: 'What is the weather in Paris? Use get_weather.' },
            { role: 'assistant', content: message.content },
            { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'Sunny, 24 degrees' }] },
          ],
          tools: [weather],
        },
        { headers },
      );
      let streamed = '';
      stream.on('text', (text) => {
        streamed += text;
      });
      const answer = await stream.finalMessage();
      const text = answer.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
      assert.equal(streamed, text);
      // The emulator answers a tool result by quoting it: the result reached the model.
      assert.match(text, /after get_weather returned a result .*Sunny, 24 degrees/);
      assert.equal(answer.stop_reason, 'end_turn');
      assert.ok(answer.usage.input_tokens > 0 && answer.usage.output_tokens > 0);
    });
  }

  it('streams the Messages events in order, with usage in message_delta', async () => {
    const response = await fetch(`${stack.gateway.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: {
        'x-api-key': stack.demo.masterKey,
        'anthropic-version': '2023-06-01',
        'anthropic-beta': 'claude-code-20250219,some-future-flag-2030-01-01',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ model: 'gpt-5.5', max_tokens: 200, stream: true, messages: [{ role: 'user', content: 'Say hello' }] }),
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const events = [...(await response.text()).matchAll(/^event: (\S+)\ndata: (.*)$/gm)].map(([, name, data]) => ({ name, data: JSON.parse(data ?? '{}') }));
    assert.deepEqual(
      events.map((event) => event.name),
      [
        'message_start',
        'ping',
        'content_block_start',
        ...events.filter((event) => event.name === 'content_block_delta').map(() => 'content_block_delta'),
        'content_block_stop',
        'message_delta',
        'message_stop',
      ],
    );
    for (const event of events) assert.equal(event.data.type, event.name);
    const delta = events.find((event) => event.name === 'message_delta')?.data;
    assert.equal(delta.delta.stop_reason, 'end_turn');
    assert.ok(delta.usage.input_tokens > 0 && delta.usage.output_tokens > 0);
  });

  it('stop_sequences and max_tokens: a length stop is max_tokens', async () => {
    const cut = await client.messages.create({ model: 'gpt-5.5', max_tokens: 3, messages: [{ role: 'user', content: 'Tell me a long story' }] });
    assert.equal(cut.stop_reason, 'max_tokens');
    const stopped = await client.messages.create({
      model: 'gpt-5.5',
      max_tokens: 200,
      stop_sequences: ['filler'],
      messages: [{ role: 'user', content: 'Hi' }],
    });
    const text = stopped.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
    assert.doesNotMatch(text, /filler/);
  });

  it('carries images (base64 and URL) to a vision route, and thinking as the route reasoning effort', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    const before = await journalOf('openai');
    const answer = await client.messages.create(
      {
        model: 'gpt-5.5',
        max_tokens: 200,
        thinking: { type: 'enabled', budget_tokens: 2048 },
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } },
              { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
              { type: 'text', text: 'What is in these pictures?' },
            ],
          },
        ],
      },
      { headers: { 'x-crossway-providers-only': 'openai' } },
    );
    const text = answer.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
    assert.match(text, /with 2 images/);
    const sent = (await journalOf('openai')).slice(before.length).find((entry) => entry.path.endsWith('/chat/completions'));
    assert.equal((sent?.body as { reasoning_effort?: string } | undefined)?.reasoning_effort, 'low');
  });

  it('thinking on gpt-oss-120b: the Converse route carries the effort (additionalModelRequestFields) and answers with a thinking block', async () => {
    const before = (await journalOf('bedrock')).length;
    const { data, response } = await client.messages
      .create({ model: 'gpt-oss-120b', max_tokens: 200, thinking: { type: 'enabled', budget_tokens: 20_000 }, messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();
    assert.equal(data.type, 'message');
    assert.match(response.headers.get('x-crossway-route') ?? '', /^bedrock-us-west-2-gpt-oss-120b/);
    const [thinking, text] = data.content;
    assert.equal(thinking?.type, 'thinking');
    assert.match(thinking?.type === 'thinking' ? thinking.thinking : '', /^Reasoning at high effort/);
    assert.equal(text?.type, 'text');
    const sent = (await journalOf('bedrock')).slice(before).find((entry) => entry.path.endsWith('/converse'));
    assert.deepEqual((sent?.body as { additionalModelRequestFields?: unknown } | undefined)?.additionalModelRequestFields, { reasoning_effort: 'high' });
  });

  it('counts tokens without calling a model', async () => {
    const before = (await journalOf('azure')).length;
    const small = await client.messages.countTokens({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'Hi' }] });
    const large = await client.messages.countTokens({
      model: 'gpt-5.5',
      system: 'You are a weather bot with a long system prompt.',
      tools: [weather],
      messages: [{ role: 'user', content: 'What is the weather in Paris today, and tomorrow?' }],
    });
    assert.ok(small.input_tokens > 0 && large.input_tokens > small.input_tokens);
    assert.equal((await journalOf('azure')).length, before);
    await assert.rejects(client.messages.countTokens({ model: 'no-such-model', messages: [{ role: 'user', content: 'Hi' }] }), Anthropic.NotFoundError);
  });

  it('lists and retrieves models in Anthropic shape', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    assert.ok(ids.includes('gpt-5.5') && ids.includes('gpt-oss-120b'));
    const one = await client.models.retrieve('gpt-5.5');
    assert.equal(one.type, 'model');
    assert.equal(one.created_at, '2026-04-23T00:00:00Z');
    // Without anthropic-version, the OpenAI shape as before.
    const openai = await stack.client.models.list();
    assert.equal(openai.data[0]?.object, 'model');
  });

  it('answers errors in Anthropic shape: 401 with a bad key, 400 naming the field, 404 for an unknown model', async () => {
    const bad = new Anthropic({ baseURL: stack.gateway.url, apiKey: 'sk-cw-not-a-key-000000', maxRetries: 0 });
    const unauthorized = await bad.messages
      .create({ model: 'gpt-5.5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    assert.ok(unauthorized instanceof Anthropic.AuthenticationError);
    assert.equal(unauthorized.status, 401);
    assert.equal(unauthorized.type, 'authentication_error');
    assert.match(unauthorized.requestID ?? '', /^req_/);
    assert.deepEqual(Object.keys(unauthorized.error as object).sort(), ['error', 'request_id', 'type']);

    const invalid = await client.messages
      .create({ model: 'gpt-5.5', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'text' } as never] }] })
      .catch((error: unknown) => error);
    assert.ok(invalid instanceof Anthropic.BadRequestError);
    assert.equal(invalid.type, 'invalid_request_error');
    assert.match(invalid.message, /messages\[0\]\.content\[0\]/);

    const missing = await client.messages
      .create({ model: 'no-such-model', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    assert.ok(missing instanceof Anthropic.NotFoundError);
    assert.equal(missing.type, 'not_found_error');

    // A wrong method on an Anthropic path, from an Anthropic client.
    const wrong = await fetch(`${stack.gateway.url}/v1/messages`, { headers: { 'x-api-key': stack.demo.masterKey, 'anthropic-version': '2023-06-01' } });
    assert.equal(wrong.status, 405);
    assert.equal(((await wrong.json()) as { type: string }).type, 'error');
  });

  it('answers 429 with retry-after and anthropic-ratelimit-* headers, and meters and records calls per tenant', async () => {
    assert.equal((await api('POST', '/admin/tenants', { id: 'claude', name: 'claude' })).status, 201);
    const created = await api('POST', '/admin/keys', { tenant: 'claude', rpm: 1 });
    const limited = new Anthropic({ baseURL: stack.gateway.url, apiKey: created.body.key, maxRetries: 0 });
    const { data, response } = await limited.messages.create({ model: 'gpt-5.5', max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] }).withResponse();
    assert.equal(response.headers.get('anthropic-ratelimit-requests-limit'), '1');
    assert.equal(response.headers.get('anthropic-ratelimit-requests-remaining'), '0');
    assert.match(response.headers.get('anthropic-ratelimit-requests-reset') ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const refused = await limited.messages
      .create({ model: 'gpt-5.5', max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((error: unknown) => error);
    assert.ok(refused instanceof Anthropic.RateLimitError);
    assert.equal(refused.type, 'rate_limit_error');
    assert.ok(Number(refused.headers?.get('retry-after')) >= 1);
    assert.equal(refused.headers?.get('anthropic-ratelimit-requests-remaining'), '0');

    const decision = await api('GET', `/v1/crossway/decisions/${response.headers.get('x-crossway-decision')}`);
    assert.equal(decision.status, 200);
    const usage = await api('GET', '/admin/usage?tenant=claude');
    assert.equal(usage.status, 200);
    const totals = JSON.stringify(usage.body);
    assert.match(totals, new RegExp(`"input_tokens":${data.usage.input_tokens}\\b`));
  });

  async function journalOf(cloud: string): Promise<{ path: string; body: unknown }[]> {
    const emulator = stack.demo.emulators.emulators[cloud];
    assert.ok(emulator !== undefined);
    return ((await (await fetch(`${emulator.url}/__emulator/requests`)).json()) as { data: { path: string; body: unknown }[] }).data;
  }

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${stack.gateway.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${stack.demo.masterKey}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: await response.json() };
  }
});
