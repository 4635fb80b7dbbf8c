// Bedrock's OpenAI-compatible chat completions, driven by the official openai client on both path families:
// bedrock-runtime's `/openai/v1` and bedrock-mantle's `/v1`, with a Bedrock API key; Bedrock's refusals on failure.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI from 'openai';
import { BEDROCK_EMULATOR_API_KEY, BedrockEmulator } from './bedrock-emulator.ts';

const emulator = new BedrockEmulator();

describe('BedrockEmulator OpenAI-compatible chat completions', () => {
  before(() => emulator.start());
  after(() => emulator.close());
  beforeEach(() => {
    emulator.clearFaults();
    emulator.clearRequests();
  });

  const families = [
    { name: 'bedrock-runtime /openai/v1', base: '/openai/v1', model: 'openai.gpt-oss-120b-1:0' },
    { name: 'bedrock-mantle /v1', base: '/v1', model: 'openai.gpt-oss-120b' },
  ];
  for (const family of families) {
    describe(family.name, () => {
      const client = () => new OpenAI({ baseURL: `${emulator.url}${family.base}`, apiKey: BEDROCK_EMULATOR_API_KEY, maxRetries: 0 });

      it('answers a chat completion', async () => {
        const completion = await client().chat.completions.create({ model: family.model, messages: [{ role: 'user', content: 'Name a colour' }] });
        assert.equal(completion.object, 'chat.completion');
        assert.equal(completion.model, family.model);
        assert.match(completion.choices[0]?.message.content ?? '', /^Emulated reply from bedrock to 1 message\./);
        assert.equal(completion.choices[0]?.finish_reason, 'stop');
        assert.equal(emulator.requests()[0]?.path, `${family.base}/chat/completions`);
      });

      it('streams chunks that add up to the same answer, with usage', async () => {
        const messages = [{ role: 'user' as const, content: 'Name a colour' }];
        const whole = await client().chat.completions.create({ model: family.model, messages });
        const stream = await client().chat.completions.create({ model: family.model, messages, stream: true, stream_options: { include_usage: true } });
        let text = '';
        let usage: OpenAI.CompletionUsage | undefined | null;
        for await (const chunk of stream) {
          text += chunk.choices[0]?.delta.content ?? '';
          usage = chunk.usage ?? usage;
        }
        assert.equal(text, whole.choices[0]?.message.content);
        assert.deepEqual(usage, whole.usage);
      });

      it('calls a tool', async () => {
        const completion = await client().chat.completions.create({
          model: family.model,
          messages: [{ role: 'user', content: 'Use lookup_order for order 42' }],
          tools: [
            { type: 'function', function: { name: 'lookup_order', parameters: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] } } },
          ],
        });
        const call = completion.choices[0]?.message.tool_calls?.[0];
        assert.equal(completion.choices[0]?.finish_reason, 'tool_calls');
        assert.equal(call?.type === 'function' ? call.function.name : undefined, 'lookup_order');
      });
    });
  }

  it('refuses an unknown API key with Bedrock 403 body', async () => {
    const client = new OpenAI({ baseURL: `${emulator.url}/openai/v1`, apiKey: 'ABSKwrong', maxRetries: 0 });
    await assert.rejects(client.chat.completions.create({ model: 'openai.gpt-oss-20b-1:0', messages: [{ role: 'user', content: 'Hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.PermissionDeniedError);
      assert.equal(error.status, 403);
      assert.match(error.headers?.get('x-amzn-errortype') ?? '', /^AccessDeniedException:/);
      assert.deepEqual(error.error, { Message: 'Authentication failed: Please make sure your API Key is valid.' });
      return true;
    });
  });

  it('refuses a request without credentials with Missing Authentication Token', async () => {
    const response = await fetch(`${emulator.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'openai.gpt-oss-20b', messages: [{ role: 'user', content: 'Hi' }] }),
    });
    assert.equal(response.status, 403);
    assert.deepEqual(await response.json(), { message: 'Missing Authentication Token' });
  });

  it('answers an unknown model with Bedrock 400 and a bad body with OpenAI 400', async () => {
    const client = new OpenAI({ baseURL: `${emulator.url}/openai/v1`, apiKey: BEDROCK_EMULATOR_API_KEY, maxRetries: 0 });
    await assert.rejects(client.chat.completions.create({ model: 'gpt-9', messages: [{ role: 'user', content: 'Hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError);
      assert.deepEqual(error.error, { message: 'The provided model identifier is invalid.' });
      return true;
    });
    await assert.rejects(client.chat.completions.create({ model: 'openai.gpt-oss-20b', messages: [] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError);
      assert.equal((error.error as { code?: string }).code, 'empty_array');
      return true;
    });
  });

  it('answers an injected 429 with Bedrock ThrottlingException', async () => {
    emulator.setFaults({ status: 429, count: 1 });
    const client = new OpenAI({ baseURL: `${emulator.url}/v1`, apiKey: BEDROCK_EMULATOR_API_KEY, maxRetries: 0 });
    await assert.rejects(client.chat.completions.create({ model: 'openai.gpt-oss-20b', messages: [{ role: 'user', content: 'Hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.RateLimitError);
      assert.deepEqual(error.error, { message: 'Too many requests, please wait before trying again.' });
      return true;
    });
  });
});
