// The OpenAI emulator over plain fetch (auth, models, validation, SSE framing, responses, embeddings) and the official client.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { OPENAI_EMULATOR_API_KEY, OpenAIEmulator } from './openai-emulator.ts';
import { runResponsesEmulatorCases } from './openai-responses.case.test.ts';

const emulator = new OpenAIEmulator();
const headers = { authorization: `Bearer ${OPENAI_EMULATOR_API_KEY}`, 'content-type': 'application/json' };

async function post(path: string, body: unknown, extra: Record<string, string> = headers): Promise<{ status: number; json: any; response: Response }> {
  const response = await fetch(`${emulator.url}${path}`, {
    method: 'POST',
    headers: extra,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, json: response.headers.get('content-type')?.startsWith('application/json') ? await response.json() : undefined, response };
}

/** The JSON payloads of an SSE body, plus whether it ended with [DONE]. */
async function readSse(response: Response): Promise<{ chunks: any[]; done: boolean }> {
  const events = (await response.text()).split('\n\n').filter((event) => event !== '');
  for (const event of events) assert.match(event, /^data: /);
  const done = events.at(-1) === 'data: [DONE]';
  return { chunks: events.filter((event) => event !== 'data: [DONE]').map((event) => JSON.parse(event.slice(6))), done };
}

const user = (content: unknown) => ({ model: 'gpt-5.5', messages: [{ role: 'user', content }] });

describe('OpenAIEmulator', () => {
  before(() => emulator.start());
  after(() => emulator.close());

  describe('auth', () => {
    it('answers a missing key with 401', async () => {
      const { status, json } = await post('/v1/chat/completions', user('hi'), { 'content-type': 'application/json' });
      assert.equal(status, 401);
      assert.equal(json.error.code, null);
      assert.match(json.error.message, /^You didn't provide an API key\./);
    });

    it('answers an unknown key with OpenAI exact body, masking the key', async () => {
      const { status, json } = await post('/v1/chat/completions', user('hi'), { authorization: 'Bearer sk-proj-abcdefghijklmnopqrstuvwxyz1234' });
      assert.equal(status, 401);
      assert.deepEqual(json, {
        error: {
          message: `Incorrect API key provided: sk-proj-${'*'.repeat(26)}1234. You can find your API key at https://platform.openai.com/account/api-keys.`,
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        },
      });
    });
  });

  describe('models', () => {
    it('lists and retrieves the configured models', async () => {
      const list = (await (await fetch(`${emulator.url}/v1/models`, { headers })).json()) as { object: string; data: { id: string }[] };
      assert.equal(list.object, 'list');
      assert.deepEqual(
        list.data.map((model) => model.id),
        ['gpt-5.5', 'gpt-5.6', 'gpt-4.1-mini', 'text-embedding-3-small', 'text-embedding-3-large'],
      );
      const one = (await (await fetch(`${emulator.url}/v1/models/gpt-4.1-mini`, { headers })).json()) as object;
      assert.deepEqual(Object.keys(one).sort(), ['created', 'id', 'object', 'owned_by']);
      const missing = await fetch(`${emulator.url}/v1/models/gpt-0`, { headers });
      assert.equal(missing.status, 404);
      assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'model_not_found');
    });

    it('answers an unknown chat model with 404 model_not_found', async () => {
      const { status, json } = await post('/v1/chat/completions', { ...user('hi'), model: 'gpt-0' });
      assert.equal(status, 404);
      assert.deepEqual(json.error, {
        message: 'The model `gpt-0` does not exist or you do not have access to it.',
        type: 'invalid_request_error',
        param: null,
        code: 'model_not_found',
      });
    });
  });

  describe('validation', () => {
    const cases: { name: string; body: unknown; param: string | null; code: string | null }[] = [
      { name: 'invalid JSON', body: '{"model":', param: null, code: null },
      { name: 'missing messages', body: { model: 'gpt-5.5' }, param: 'messages', code: 'missing_required_parameter' },
      { name: 'empty messages', body: { model: 'gpt-5.5', messages: [] }, param: 'messages', code: 'empty_array' },
      { name: 'unknown role', body: { model: 'gpt-5.5', messages: [{ role: 'bot', content: 'x' }] }, param: 'messages[0].role', code: 'invalid_value' },
      { name: 'n too large', body: { ...user('x'), n: 200 }, param: 'n', code: 'integer_above_max_value' },
      { name: 'content of the wrong type', body: user(42), param: 'messages[0].content', code: 'invalid_type' },
      { name: 'stream_options without stream', body: { ...user('x'), stream_options: { include_usage: true } }, param: 'stream_options', code: null },
    ];
    for (const { name, body, param, code } of cases) {
      it(`rejects ${name} with an OpenAI 400`, async () => {
        const { status, json } = await post('/v1/chat/completions', body);
        assert.equal(status, 400);
        assert.equal(json.error.type, 'invalid_request_error');
        assert.equal(json.error.param, param);
        assert.equal(json.error.code, code);
        assert.equal(typeof json.error.message, 'string');
      });
    }
  });

  describe('chat completions', () => {
    it('answers with a complete chat.completion', async () => {
      const { status, json, response } = await post('/v1/chat/completions', user('What is the tallest mountain?'));
      assert.equal(status, 200);
      assert.match(response.headers.get('x-request-id') ?? '', /^req_/);
      assert.match(json.id, /^chatcmpl-[0-9a-f]+$/);
      assert.equal(json.object, 'chat.completion');
      assert.equal(json.model, 'gpt-5.5');
      assert.equal(json.service_tier, 'default');
      assert.match(json.system_fingerprint, /^fp_/);
      assert.equal(json.choices[0].message.role, 'assistant');
      assert.match(json.choices[0].message.content, /^Emulated reply from openai to 1 message\./);
      assert.equal(json.choices[0].finish_reason, 'stop');
      assert.equal(json.usage.total_tokens, json.usage.prompt_tokens + json.usage.completion_tokens);
      assert.equal(json.usage.prompt_tokens_details.cached_tokens, 0);
      assert.equal(json.usage.completion_tokens_details.reasoning_tokens, 0);
    });

    it('streams SSE chunks that add up to the same answer, then usage and [DONE]', async () => {
      const question = user('What is the tallest mountain?');
      const whole = (await post('/v1/chat/completions', question)).json;
      const { response } = await post('/v1/chat/completions', { ...question, stream: true, stream_options: { include_usage: true } });
      assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
      const { chunks, done } = await readSse(response);
      assert.ok(done);
      assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '', refusal: null });
      const choiceChunks = chunks.filter((chunk) => chunk.choices.length > 0);
      assert.ok(choiceChunks.length >= 5);
      assert.ok(choiceChunks.every((chunk) => chunk.object === 'chat.completion.chunk' && chunk.id === chunks[0].id && chunk.usage === null));
      assert.deepEqual(
        choiceChunks.map((chunk) => chunk.choices[0].finish_reason).filter((reason) => reason !== null),
        ['stop'],
      );
      assert.equal(choiceChunks.at(-1).choices[0].finish_reason, 'stop');
      assert.equal(choiceChunks.map((chunk) => chunk.choices[0].delta.content ?? '').join(''), whole.choices[0].message.content);
      const last = chunks.at(-1);
      assert.deepEqual(last.choices, []);
      assert.deepEqual(last.usage, whole.usage);
    });

    it('streams tool-call arguments in several deltas, naming the call once', async () => {
      const tools = [
        { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
      ];
      const { response } = await post('/v1/chat/completions', { ...user('Please call get_weather for Oslo'), tools, stream: true });
      const { chunks } = await readSse(response);
      const deltas = chunks.flatMap((chunk) => chunk.choices[0].delta.tool_calls ?? []);
      assert.ok(deltas.length >= 3);
      assert.ok(deltas.every((delta: { index: number }) => delta.index === 0));
      assert.deepEqual(
        deltas.map((delta: { id?: string }) => delta.id !== undefined),
        [true, ...deltas.slice(1).map(() => false)],
      );
      assert.equal(deltas[0].function.name, 'get_weather');
      assert.equal(deltas[0].type, 'function');
      const args = JSON.parse(deltas.map((delta: { function: { arguments: string } }) => delta.function.arguments).join(''));
      assert.equal(typeof args.city, 'string');
      assert.equal(chunks.at(-1).choices[0].finish_reason, 'tool_calls');
      assert.ok(!('usage' in chunks.at(-1)), 'no usage without include_usage');
    });
  });

  describe('embeddings', () => {
    it('returns base64 unit vectors of the model dimension, and honours dimensions', async () => {
      const small = (await post('/v1/embeddings', { model: 'text-embedding-3-small', input: ['hello', 'world'], encoding_format: 'base64' })).json;
      assert.equal(small.data.length, 2);
      for (const item of small.data) {
        const bytes = Buffer.from(item.embedding, 'base64');
        const vector = Array.from({ length: bytes.length / 4 }, (_, index) => bytes.readFloatLE(index * 4));
        assert.equal(vector.length, 1536);
        assert.ok(Math.abs(Math.hypot(...vector) - 1) < 1e-5);
      }
      assert.equal(small.usage.prompt_tokens, 2);
      const large = (await post('/v1/embeddings', { model: 'text-embedding-3-large', input: 'hello' })).json;
      assert.equal(large.data[0].embedding.length, 3072);
      const short = (await post('/v1/embeddings', { model: 'text-embedding-3-small', input: [[1, 2, 3]], dimensions: 256 })).json;
      assert.equal(short.data[0].embedding.length, 256);
      assert.equal(short.usage.prompt_tokens, 3);
      assert.equal((await post('/v1/embeddings', { model: 'text-embedding-3-small', input: 'x', dimensions: 4096 })).status, 400);
    });
  });

  describe('with the official openai client', () => {
    const client = () => new OpenAI({ baseURL: `${emulator.url}/v1`, apiKey: OPENAI_EMULATOR_API_KEY, maxRetries: 0 });

    it('completes a chat', async () => {
      const completion = await client().chat.completions.create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'Hello client' }] });
      assert.match(completion.choices[0]?.message.content ?? '', /^Emulated reply from openai/);
      assert.ok((completion.usage?.completion_tokens ?? 0) > 0);
    });

    it('streams a chat with usage', async () => {
      const stream = await client().chat.completions.create({
        model: 'gpt-5.5',
        messages: [{ role: 'user', content: 'Hello client' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        usage = chunk.usage ?? usage;
      }
      assert.match(text, /^Emulated reply from openai/);
      assert.ok((usage?.total_tokens ?? 0) > 0);
    });

    it('embeds with the default (base64) encoding', async () => {
      const result = await client().embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
      const vector = result.data[0]!.embedding;
      assert.equal(vector.length, 1536);
      assert.ok(Math.abs(Math.hypot(...vector) - 1) < 1e-5);
    });

    it('surfaces auth failures as AuthenticationError', async () => {
      const wrong = new OpenAI({ baseURL: `${emulator.url}/v1`, apiKey: 'sk-wrong-key-000000000000', maxRetries: 0 });
      await assert.rejects(wrong.models.list(), (error: unknown) => error instanceof OpenAI.AuthenticationError && error.code === 'invalid_api_key');
    });
  });

  runResponsesEmulatorCases({
    emulator,
    base: () => `${emulator.url}/v1`,
    headers,
    bearer: OPENAI_EMULATOR_API_KEY,
    model: 'gpt-5.5',
  });
});
