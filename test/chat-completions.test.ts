// Chat completions end to end: the official openai client -> Crossway -> each cloud's emulator.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SINGLE_ROUTE_MODELS, startStack, type Stack } from './support/start-stack.ts';

const EXPECTED_ROUTE: Record<string, string> = {
  'via-azure-v1': 'azure-v1-only',
  'via-azure-deployments': 'azure-deployments-only',
  'via-openai': 'openai-only',
};

const WEATHER_TOOL = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
      required: ['city', 'unit'],
      additionalProperties: false,
    },
  },
};

describe('POST /v1/chat/completions', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack.close();
  });

  for (const model of SINGLE_ROUTE_MODELS) {
    describe(`through ${model}`, () => {
      it('answers a non-streaming request and names the route', async () => {
        const { data, response } = await stack.client.chat.completions
          .create({ model, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello there' }] })
          .withResponse();
        assert.equal(response.headers.get('x-crossway-route'), EXPECTED_ROUTE[model]);
        assert.equal(response.headers.get('x-crossway-attempts'), '1');
        assert.equal(data.object, 'chat.completion');
        assert.equal(data.choices[0]?.finish_reason, 'stop');
        assert.match(data.choices[0]?.message.content ?? '', /Hello there/);
        assert.ok((data.usage?.prompt_tokens ?? 0) > 0 && (data.usage?.completion_tokens ?? 0) > 0);
        assert.equal(data.usage?.total_tokens, (data.usage?.prompt_tokens ?? 0) + (data.usage?.completion_tokens ?? 0));
      });

      it('streams chunks with usage when asked', async () => {
        const stream = await stack.client.chat.completions.create({
          model,
          messages: [{ role: 'user', content: 'Tell me a story about routes' }],
          stream: true,
          stream_options: { include_usage: true },
        });
        let text = '';
        let usageChunks = 0;
        let finish: string | null = null;
        for await (const chunk of stream) {
          text += chunk.choices[0]?.delta.content ?? '';
          finish = chunk.choices[0]?.finish_reason ?? finish;
          if (chunk.usage) {
            usageChunks += 1;
            assert.ok(chunk.usage.completion_tokens > 0);
          }
        }
        assert.match(text, /story about routes/);
        assert.equal(finish, 'stop');
        assert.equal(usageChunks, 1);
      });

      it('streams without a usage chunk when the client did not ask for one', async () => {
        const stream = await stack.client.chat.completions.create({
          model,
          messages: [{ role: 'user', content: 'No usage please' }],
          stream: true,
        });
        let usageChunks = 0;
        let chunks = 0;
        for await (const chunk of stream) {
          chunks += 1;
          if (chunk.usage) usageChunks += 1;
        }
        assert.ok(chunks > 1);
        assert.equal(usageChunks, 0);
      });

      it('returns tool calls whose arguments satisfy the schema', async () => {
        const completion = await stack.client.chat.completions.create({
          model,
          messages: [{ role: 'user', content: 'Call get_weather for Paris' }],
          tools: [WEATHER_TOOL],
          tool_choice: 'required',
        });
        const call = completion.choices[0]?.message.tool_calls?.[0];
        assert.equal(completion.choices[0]?.finish_reason, 'tool_calls');
        assert.ok(call !== undefined && call.type === 'function');
        assert.equal(call.function.name, 'get_weather');
        const args = JSON.parse(call.function.arguments) as { city: unknown; unit: unknown };
        assert.equal(typeof args.city, 'string');
        assert.ok(['celsius', 'fahrenheit'].includes(args.unit as string));

        const followUp = await stack.client.chat.completions.create({
          model,
          messages: [
            { role: 'user', content: 'Call get_weather for Paris' },
            completion.choices[0]!.message,
            { role: 'tool', tool_call_id: call.id, content: '{"temperature": 21}' },
          ],
          tools: [WEATHER_TOOL],
        });
        assert.equal(followUp.choices[0]?.finish_reason, 'stop');
      });

      it('streams tool-call deltas that the client reassembles', async () => {
        const runner = stack.client.chat.completions.stream({
          model,
          messages: [{ role: 'user', content: 'Use get_weather for Oslo' }],
          tools: [WEATHER_TOOL],
          tool_choice: { type: 'function', function: { name: 'get_weather' } },
        });
        let deltas = 0;
        runner.on('chunk', (chunk) => {
          if (chunk.choices[0]?.delta.tool_calls) deltas += 1;
        });
        const final = await runner.finalChatCompletion();
        const call = final.choices[0]?.message.tool_calls?.[0];
        assert.ok(deltas > 1, 'arguments arrive in several deltas');
        assert.ok(call !== undefined && call.type === 'function');
        assert.equal(call.function.name, 'get_weather');
        assert.doesNotThrow(() => JSON.parse(call.function.arguments));
      });

      it('answers with JSON matching a json_schema response format', async () => {
        const completion = await stack.client.chat.completions.create({
          model,
          messages: [{ role: 'user', content: 'Give me a person' }],
          response_format: {
            type: 'json_schema',
            json_schema: {
              name: 'person',
              strict: true,
              schema: {
                type: 'object',
                properties: { name: { type: 'string' }, age: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } },
                required: ['name', 'age', 'tags'],
                additionalProperties: false,
              },
            },
          },
        });
        const parsed = JSON.parse(completion.choices[0]?.message.content ?? '') as Record<string, unknown>;
        assert.equal(typeof parsed.name, 'string');
        assert.ok(Number.isInteger(parsed.age));
        assert.ok(Array.isArray(parsed.tags));
      });

      it('accepts multi-part content with an image and honours max_completion_tokens', async () => {
        const completion = await stack.client.chat.completions.create({
          model,
          max_completion_tokens: 5,
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: 'What is in this picture?' },
                { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
              ],
            },
          ],
        });
        assert.equal(completion.choices[0]?.finish_reason, 'length');
        assert.equal(completion.usage?.completion_tokens, 5);
      });

      it('returns n choices and honours stop', async () => {
        const completion = await stack.client.chat.completions.create({
          model,
          n: 2,
          messages: [{ role: 'user', content: 'Two answers please' }],
        });
        assert.deepEqual(completion.choices.map((choice) => choice.index), [0, 1]);
        const stopped = await stack.client.chat.completions.create({
          model,
          stop: ['Last'],
          messages: [{ role: 'user', content: 'Stop early' }],
        });
        assert.doesNotMatch(stopped.choices[0]?.message.content ?? '', /Last/);
      });
    });
  }

  it('passes unknown fields through to OpenAI-wire upstreams and replaces only the model', async () => {
    await stack.client.chat.completions.create({
      model: 'via-openai',
      messages: [{ role: 'user', content: 'hi' }],
      // @ts-expect-error -- a field the client types do not know
      x_vendor_option: { keep: true },
      metadata: { team: 'search' },
      store: false,
    });
    const entry = (await stack.journal('openai')).at(-1);
    assert.equal(entry?.body?.model, 'gpt-5.5');
    assert.deepEqual(entry?.body?.x_vendor_option, { keep: true });
    assert.deepEqual(entry?.body?.metadata, { team: 'search' });
  });

  it('resolves a model alias', async () => {
    const { response } = await stack.client.chat.completions
      .create({ model: 'gpt-latest', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    assert.equal(response.headers.get('x-crossway-route'), 'azure-eastus2-gpt-5.5');
  });

  it('keeps Azure content-filter annotations', async () => {
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'via-azure-v1', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const body = (await response.json()) as Record<string, unknown> & { choices: Array<Record<string, unknown>> };
    assert.ok(Array.isArray(body.prompt_filter_results));
    assert.ok(body.choices[0]?.content_filter_results !== undefined);
  });
});
