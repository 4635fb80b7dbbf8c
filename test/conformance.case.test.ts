// The translation conformance suite: every OpenAI chat feature behaves the same on every route, or the route
// answers a clear 400 that names the parameter and the route. Exported as runConformance() and run against each
// route of the demo catalog by conformance.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';

/** Features a route may be unable to carry; each then must be refused with a 400 naming `param` and the route. */
export type OptionalFeature = 'n' | 'image' | 'remote_image_url' | 'parallel_tool_calls';

export interface ConformanceTarget {
  client: OpenAI;
  /** A model name that reaches exactly this route. */
  model: string;
  routeId: string;
  /** Features this route refuses, and what its 400 names (matched against `param` and message together). */
  refuses?: Partial<Record<OptionalFeature, RegExp>>;
}

const WEATHER: ChatCompletionTool = {
  type: 'function',
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

const TIME: ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_time',
    description: 'Current time in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  },
};

const PERSON_FORMAT = {
  type: 'json_schema' as const,
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
};

// A 1x1 PNG.
const PNG_DATA_URL = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

function assertUsagePlausible(usage: OpenAI.CompletionUsage | undefined | null): void {
  assert.ok(usage, 'usage present');
  assert.ok(usage.prompt_tokens > 0 && usage.prompt_tokens < 10_000, `prompt_tokens plausible: ${usage.prompt_tokens}`);
  assert.ok(usage.completion_tokens > 0, 'completion_tokens > 0');
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
}

async function assertRefused(target: ConformanceTarget, param: RegExp, call: () => Promise<unknown>): Promise<void> {
  await assert.rejects(call, (error: unknown) => {
    assert.ok(error instanceof OpenAI.BadRequestError, `expected a 400, got ${String(error)}`);
    assert.match(`${error.param ?? ''} ${error.message}`, param);
    assert.match(error.message, new RegExp(target.routeId.replaceAll('.', '\\.')));
    // A refusal is a failed call like any other: it names the decision that explains it and, when a route refused it
    // (not the policy, before any route was asked), how many routes were asked.
    assert.match(error.headers?.get('x-crossway-decision') ?? '', /^dec_/);
    const attempts = error.headers?.get('x-crossway-attempts') ?? null;
    if (error.code === 'no_route_matches_policy') assert.equal(attempts, null);
    else assert.ok(Number(attempts) >= 1, `x-crossway-attempts: ${attempts} (${error.code})`);
    return true;
  });
}

/** Registers the suite for one route. */
export function runConformance(target: ConformanceTarget): void {
  const { client, model } = target;

  describe(`conformance: ${target.routeId}`, () => {
    it('plain chat with a system prompt', async () => {
      const { data, response } = await client.chat.completions
        .create({
          model,
          messages: [
            { role: 'system', content: 'You are terse.' },
            { role: 'user', content: 'Hello conformance' },
          ],
        })
        .withResponse();
      assert.equal(response.headers.get('x-crossway-route'), target.routeId);
      assert.equal(data.object, 'chat.completion');
      assert.equal(data.choices.length, 1);
      assert.equal(data.choices[0]?.message.role, 'assistant');
      assert.equal(data.choices[0]?.finish_reason, 'stop');
      assert.match(data.choices[0]?.message.content ?? '', /Hello conformance/);
      assertUsagePlausible(data.usage);
    });

    it('multi-turn', async () => {
      const data = await client.chat.completions.create({
        model,
        messages: [
          { role: 'user', content: 'First question' },
          { role: 'assistant', content: 'First answer' },
          { role: 'user', content: 'Second question' },
        ],
      });
      assert.match(data.choices[0]?.message.content ?? '', /Second question/);
    });

    it('streaming with usage', async () => {
      const stream = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Stream to me' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let role: string | undefined;
      let finish: string | null = null;
      let usage: OpenAI.CompletionUsage | undefined;
      let chunks = 0;
      for await (const chunk of stream) {
        chunks += 1;
        // Azure opens with an annotation-only chunk (`choices: []`, empty `object`, `prompt_filter_results`).
        if (chunk.choices.length > 0) assert.equal(chunk.object, 'chat.completion.chunk');
        role ??= chunk.choices[0]?.delta.role;
        text += chunk.choices[0]?.delta.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (chunk.usage) usage = chunk.usage;
      }
      assert.ok(chunks > 2);
      assert.equal(role, 'assistant');
      assert.match(text, /Stream to me/);
      assert.equal(finish, 'stop');
      assertUsagePlausible(usage);
    });

    it('streaming without a usage chunk when the client did not ask for one', async () => {
      const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'No usage please' }], stream: true });
      let chunks = 0;
      let usageChunks = 0;
      for await (const chunk of stream) {
        chunks += 1;
        if (chunk.usage) usageChunks += 1;
      }
      assert.ok(chunks > 1);
      assert.equal(usageChunks, 0);
    });

    it('tool call and tool result round trip', async () => {
      const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'Call get_weather for Paris' }];
      const first = await client.chat.completions.create({ model, messages, tools: [WEATHER], tool_choice: 'required' });
      const message = first.choices[0]!.message;
      assert.equal(first.choices[0]?.finish_reason, 'tool_calls');
      const call = message.tool_calls?.[0];
      assert.ok(call?.type === 'function');
      assert.equal(call.function.name, 'get_weather');
      const args = JSON.parse(call.function.arguments) as Record<string, unknown>;
      assert.equal(typeof args.city, 'string');
      assert.ok(['celsius', 'fahrenheit'].includes(args.unit as string));
      assert.ok(call.id.length > 0);

      const second = await client.chat.completions.create({
        model,
        tools: [WEATHER],
        messages: [...messages, message, { role: 'tool', tool_call_id: call.id, content: '{"temperature": 21}' }],
      });
      assert.equal(second.choices[0]?.finish_reason, 'stop');
      assert.ok((second.choices[0]?.message.content ?? '').length > 0);
    });

    it('streamed tool-call deltas', async () => {
      const runner = client.chat.completions.stream({
        model,
        messages: [{ role: 'user', content: 'Use get_weather for Oslo' }],
        tools: [WEATHER],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
      });
      let deltas = 0;
      runner.on('chunk', (chunk) => {
        if (chunk.choices[0]?.delta.tool_calls) deltas += 1;
      });
      const final = await runner.finalChatCompletion();
      const call = final.choices[0]?.message.tool_calls?.[0];
      assert.ok(deltas >= 2, 'arguments arrive in deltas');
      assert.ok(call?.type === 'function');
      assert.equal(call.function.name, 'get_weather');
      assert.equal(typeof (JSON.parse(call.function.arguments) as { city: unknown }).city, 'string');
      assert.equal(final.choices[0]?.finish_reason, 'tool_calls');
    });

    it('parallel tool calls', async () => {
      const call = () =>
        client.chat.completions.create({
          model,
          messages: [{ role: 'user', content: 'Call get_weather and get_time for Rome' }],
          tools: [WEATHER, TIME],
          parallel_tool_calls: true,
        });
      const refused = target.refuses?.parallel_tool_calls;
      if (refused !== undefined) return assertRefused(target, refused, call);
      const data = await call();
      assert.deepEqual(
        data.choices[0]?.message.tool_calls?.map((c) => (c.type === 'function' ? c.function.name : '')),
        ['get_weather', 'get_time'],
      );
      const ids = new Set(data.choices[0]?.message.tool_calls?.map((c) => c.id));
      assert.equal(ids.size, 2, 'distinct tool call ids');
    });

    it('JSON schema output', async () => {
      const data = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Give me a person' }], response_format: PERSON_FORMAT });
      assert.equal(data.choices[0]?.finish_reason, 'stop');
      const parsed = JSON.parse(data.choices[0]?.message.content ?? '') as Record<string, unknown>;
      assert.equal(typeof parsed.name, 'string');
      assert.ok(Number.isInteger(parsed.age));
      assert.ok(Array.isArray(parsed.tags));
      assert.deepEqual(Object.keys(parsed).sort(), ['age', 'name', 'tags']);
    });

    it('image input (base64)', async () => {
      const call = () =>
        client.chat.completions.create({
          model,
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: 'Describe this picture' },
                { type: 'image_url', image_url: { url: PNG_DATA_URL } },
              ],
            },
          ],
        });
      const refused = target.refuses?.image;
      if (refused !== undefined) return assertRefused(target, refused, call);
      const data = await call();
      assert.match(data.choices[0]?.message.content ?? '', /Describe this picture/);
    });

    it('image input (remote URL)', async () => {
      const call = () =>
        client.chat.completions.create({
          model,
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: 'And this one' },
                { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
              ],
            },
          ],
        });
      const refused = target.refuses?.remote_image_url;
      if (refused !== undefined) return assertRefused(target, refused, call);
      const data = await call();
      assert.equal(data.choices[0]?.finish_reason, 'stop');
    });

    it('stop sequences', async () => {
      const free = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Count along' }] });
      const words = (free.choices[0]?.message.content ?? '').split(/\s+/).filter((word) => /^[A-Za-z]{4,}$/.test(word));
      const stopWord = words.at(-2) ?? words.at(-1) ?? 'reply';
      const stopped = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Count along' }], stop: [stopWord] });
      const text = stopped.choices[0]?.message.content ?? '';
      assert.ok(!text.includes(stopWord), `'${stopWord}' cut off`);
      assert.equal(stopped.choices[0]?.finish_reason, 'stop');
    });

    it('max_completion_tokens reached -> finish_reason length', async () => {
      const data = await client.chat.completions.create({ model, max_completion_tokens: 4, messages: [{ role: 'user', content: 'Write a long essay' }] });
      assert.equal(data.choices[0]?.finish_reason, 'length');
      assert.ok((data.usage?.completion_tokens ?? 0) <= 4);
    });

    it('n choices', async () => {
      const call = () => client.chat.completions.create({ model, n: 2, messages: [{ role: 'user', content: 'Two ways' }] });
      const refused = target.refuses?.n;
      if (refused !== undefined) return assertRefused(target, refused, call);
      const data = await call();
      assert.deepEqual(
        data.choices.map((choice) => choice.index),
        [0, 1],
      );
    });
  });
}
