// Routes that carry what the API allows, on the demo catalog with default routing for gpt-oss-120b (Bedrock Converse
// first, then Vertex): the Converse cases that used to end in Bedrock's 400 with no failover (tool history with
// tool_choice none or no tools, temperature above 1, a conversation opening with the assistant or holding only a
// system message) are served by Converse, the adaptation shown in the decision; a carry-limit 400 fails over; an
// invalid request is answered at once.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { startDemoStack, type DemoStack } from './support/start-demo-stack.ts';

const MODEL = 'gpt-oss-120b';
const CONVERSE = 'bedrock-us-west-2-gpt-oss-120b.shared';
const VERTEX = 'vertex-us-central1-gpt-oss-120b.shared';

const TOOL_HISTORY: ChatCompletionCreateParamsNonStreaming['messages'] = [
  { role: 'user', content: 'What is the weather in Paris?' },
  { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
  { role: 'tool', tool_call_id: 'call_1', content: 'sunny, 21 C' },
];
const WEATHER_TOOL = {
  type: 'function' as const,
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

describe('Converse carries what the API allows (demo catalog, default routing)', () => {
  let stack: DemoStack;
  before(async () => {
    stack = await startDemoStack();
  });
  afterEach(async () => {
    for (const emulator of Object.values(stack.demo.emulators.emulators)) await fetch(`${emulator.url}/__emulator/faults`, { method: 'DELETE' });
  });
  after(async () => {
    await stack.close();
  });

  async function decision(id: string): Promise<{ attempts: Array<{ route: string; status: number; notes?: string[] }> }> {
    const response = await fetch(`${stack.gateway.url}/v1/crossway/decisions/${encodeURIComponent(id)}`, {
      headers: { authorization: `Bearer ${stack.demo.masterKey}` },
    });
    assert.equal(response.status, 200);
    return (await response.json()) as { attempts: Array<{ route: string; status: number; notes?: string[] }> };
  }

  /** A chat call on gpt-oss-120b: its answer, the route and attempts headers, and the decision's attempts. */
  async function chat(body: Omit<ChatCompletionCreateParamsNonStreaming, 'model'>) {
    const { data, response } = await stack.client.chat.completions.create({ model: MODEL, ...body }).withResponse();
    const record = await decision(response.headers.get('x-crossway-decision') ?? '');
    return { data, route: response.headers.get('x-crossway-route'), attempts: response.headers.get('x-crossway-attempts'), record };
  }

  const cases: Array<{ name: string; body: Omit<ChatCompletionCreateParamsNonStreaming, 'model'>; note: RegExp; text?: boolean }> = [
    {
      name: 'tool history with tool_choice none: answered in words',
      body: { messages: TOOL_HISTORY, tools: [WEATHER_TOOL], tool_choice: 'none' },
      note: /answer in text/,
      text: true,
    },
    {
      name: 'tool history and no tools in the request',
      body: { messages: TOOL_HISTORY },
      note: /Declared the tools the history used \(get_weather\)/,
      text: true,
    },
    { name: 'temperature 1.5', body: { messages: [{ role: 'user', content: 'Hello' }], temperature: 1.5 }, note: /^temperature 1.5 clamped to 1/ },
    {
      name: 'a conversation that opens with an assistant message',
      body: {
        messages: [
          { role: 'assistant', content: 'Hi! How can I help?' },
          { role: 'user', content: 'Tell me a fact.' },
        ],
      },
      note: /before the first assistant message/,
    },
    { name: 'a system message only', body: { messages: [{ role: 'system', content: 'Greet the user.' }] }, note: /after the system prompt/ },
  ];
  for (const item of cases) {
    it(`${item.name}: served by Converse in one attempt, the adaptation noted in the decision`, async () => {
      const { data, route, attempts, record } = await chat(item.body);
      assert.equal(route, CONVERSE);
      assert.equal(attempts, '1');
      const choice = data.choices[0];
      assert.ok(choice !== undefined);
      if (item.text === true) {
        assert.equal(choice.finish_reason, 'stop');
        assert.ok((choice.message.content ?? '').length > 0);
      }
      assert.deepEqual(
        record.attempts.map(({ route: id, status }) => ({ route: id, status })),
        [{ route: CONVERSE, status: 200 }],
      );
      assert.ok(
        (record.attempts[0]?.notes ?? []).some((note) => item.note.test(note)),
        JSON.stringify(record.attempts[0]?.notes),
      );
    });
  }

  it('a Responses turn that sends only a function_call_output after a Converse turn with tools is served by Converse', async () => {
    const first = await stack.client.responses.create({
      model: MODEL,
      input: 'What is the weather in Paris? Use the tool.',
      tools: [{ type: 'function', name: 'get_weather', parameters: WEATHER_TOOL.function.parameters, strict: false }],
      tool_choice: 'required',
    });
    const call = first.output.find((item) => item.type === 'function_call');
    assert.ok(call !== undefined && call.type === 'function_call', JSON.stringify(first.output));
    const { data, response } = await stack.client.responses
      .create({ model: MODEL, previous_response_id: first.id, input: [{ type: 'function_call_output', call_id: call.call_id, output: 'sunny' }] })
      .withResponse();
    assert.equal(response.headers.get('x-crossway-route'), CONVERSE);
    assert.equal(response.headers.get('x-crossway-attempts'), '1');
    assert.equal(data.status, 'completed');
    assert.ok(data.output_text.length > 0);
  });

  it('a carry-limit 400 (a tool call id Converse cannot carry) fails over to Vertex, which serves the request', async () => {
    const messages: ChatCompletionCreateParamsNonStreaming['messages'] = [
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call#1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
      { role: 'tool', tool_call_id: 'call#1', content: 'cold' },
    ];
    const { route, attempts, record } = await chat({ messages, tools: [WEATHER_TOOL] });
    assert.equal(route, VERTEX);
    assert.equal(attempts, '2');
    assert.deepEqual(
      record.attempts.map(({ route: id, status }) => ({ route: id, status })),
      [
        { route: CONVERSE, status: 400 },
        { route: VERTEX, status: 200 },
      ],
    );
  });

  it('an invalid request (a ValidationException that is no carry limit) is answered at once, without trying Vertex', async () => {
    const bedrock = stack.demo.emulators.emulators.bedrock;
    assert.ok(bedrock);
    const set = await fetch(`${bedrock.url}/__emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 400, error_code: 'ValidationException' }),
    });
    assert.equal(set.status, 200);
    const error = await stack.client.chat.completions
      .create({ model: MODEL, messages: [{ role: 'user', content: 'Hello' }] })
      .catch((caught: unknown) => caught);
    assert.ok(error instanceof OpenAI.APIError, String(error));
    assert.equal(error.status, 400);
    assert.match(error.message, /Malformed input request/);
    assert.equal(error.headers?.get('x-crossway-attempts'), '1');
    assert.equal(error.headers?.get('x-crossway-route'), CONVERSE);
  });
});
