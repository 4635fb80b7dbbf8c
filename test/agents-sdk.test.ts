// An agent built with OpenAI's Agents SDK (`@openai/agents`) runs against Crossway's Responses API: a function tool
// round trip, then a second run that must see the first, with the history kept in a Crossway conversation (the SDK's
// OpenAIConversationsSession), or server-side through previous_response_id, or a conversation id. Tracing is off:
// nothing leaves 127.0.0.1.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
// The core and OpenAI packages directly: the `@openai/agents` umbrella registers OpenAI's trace exporter on import.
import { Agent, Runner, setTraceProcessors, setTracingDisabled, tool } from '@openai/agents-core';
import { OpenAIConversationsSession, OpenAIProvider } from '@openai/agents-openai';
import { z } from 'zod';
import { startStack, type JournalEntry, type Stack } from './support/start-stack.ts';

const MODEL = 'via-azure-v1';

setTracingDisabled(true);
setTraceProcessors([]);

/** Every URL fetched outside 127.0.0.1 while these tests ran (each one refused): must stay empty. */
const escaped: string[] = [];
const localFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') {
    escaped.push(url.href);
    return Promise.reject(new Error(`network access outside 127.0.0.1 refused: ${url.href}`));
  }
  return localFetch(input, init);
};

/** The upstream chat messages of the azure emulator's requests, newest last. */
async function upstreamRequests(stack: Stack): Promise<Array<Array<{ role: string; content: unknown; tool_calls?: unknown }>>> {
  const entries: JournalEntry[] = (await stack.journal('azure')).filter((entry) => entry.path.includes('chat/completions'));
  return entries.map((entry) => (entry.body?.messages ?? []) as Array<{ role: string; content: unknown }>);
}

describe('an @openai/agents agent over Crossway', () => {
  let stack: Stack;
  let runner: Runner;
  const calls: string[] = [];
  const weather = tool({
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: z.object({ city: z.string() }),
    execute: async ({ city }) => {
      calls.push(city);
      return JSON.stringify({ city, temperature_c: 21, sky: 'clear-skies-marker' });
    },
  });
  const agent = new Agent({ name: 'Forecaster', instructions: 'Answer with the weather.', model: MODEL, tools: [weather] });

  before(async () => {
    stack = await startStack();
    runner = new Runner({
      modelProvider: new OpenAIProvider({ baseURL: `${stack.url}/v1`, apiKey: stack.masterKey, useResponses: true }),
      tracingDisabled: true,
    });
  });
  after(async () => {
    await stack.close();
    globalThis.fetch = localFetch;
    assert.deepEqual(escaped, [], 'nothing left 127.0.0.1');
  });

  it('keeps two runs in a Crossway conversation through OpenAIConversationsSession', async () => {
    const session = new OpenAIConversationsSession({ baseURL: `${stack.url}/v1`, apiKey: stack.masterKey });
    calls.length = 0;
    const first = await runner.run(agent, 'Please call get_weather for Paris.', { session });
    assert.equal(calls.length, 1, 'the tool ran once');
    assert.match(String(first.finalOutput), /Emulated reply from azure after get_weather returned a result/);
    assert.match(String(first.finalOutput), /clear-skies-marker/);

    const conversationId = await session.getSessionId();
    assert.match(conversationId, /^conv_/);
    const stored = await stack.client.conversations.items.list(conversationId, { order: 'asc', limit: 100 });
    const shape = stored.data.map((item) => (item.type === 'message' ? `message:${item.role}` : item.type));
    assert.deepEqual(shape, ['message:user', 'function_call', 'function_call_output', 'message:assistant']);
    assert.match(JSON.stringify(stored.data[0]), /Please call get_weather for Paris/);
    assert.match(JSON.stringify(stored.data[2]), /clear-skies-marker/);

    const second = await runner.run(agent, 'Summarise the forecast in one sentence.', { session });
    assert.equal(calls.length, 1, 'no tool call on the second run');
    // system, user, assistant (tool call), tool, assistant, user.
    assert.match(String(second.finalOutput), /Emulated reply from azure to 6 messages/);
    const upstream = (await upstreamRequests(stack)).at(-1) ?? [];
    const text = JSON.stringify(upstream);
    assert.match(text, /Please call get_weather for Paris/);
    assert.match(text, /clear-skies-marker/);
    assert.match(text, /after get_weather returned a result/);
    assert.deepEqual(
      upstream.map((message) => message.role),
      ['system', 'user', 'assistant', 'tool', 'assistant', 'user'],
    );

    const all = await stack.client.conversations.items.list(conversationId, { order: 'asc', limit: 100 });
    assert.deepEqual(
      all.data.map((item) => (item.type === 'message' ? `message:${item.role}` : item.type)),
      ['message:user', 'function_call', 'function_call_output', 'message:assistant', 'message:user', 'message:assistant'],
    );
  });

  it('chains two runs through previous_response_id', async () => {
    calls.length = 0;
    const first = await runner.run(agent, 'Please call get_weather for Rome.');
    assert.equal(calls.length, 1);
    assert.match(String(first.finalOutput), /after get_weather returned a result/);
    const firstId = first.lastResponseId;
    assert.ok(firstId?.startsWith('resp_'), String(firstId));

    const second = await runner.run(agent, 'Summarise the forecast in one sentence.', { previousResponseId: firstId });
    assert.equal(calls.length, 1);
    assert.match(String(second.finalOutput), /Emulated reply from azure to \d+ messages/);
    const upstream = (await upstreamRequests(stack)).at(-1) ?? [];
    const text = JSON.stringify(upstream);
    assert.match(text, /Please call get_weather for Rome/);
    assert.match(text, /clear-skies-marker/);
    assert.match(text, /after get_weather returned a result/);
    // The agent's instructions come with every call; the chain brings user, tool call, tool result and answer.
    assert.deepEqual(
      upstream.map((message) => message.role),
      ['system', 'user', 'assistant', 'tool', 'assistant', 'user'],
    );
    assert.match(JSON.stringify(upstream.at(-1)), /Summarise the forecast/);

    const stored = await stack.client.responses.retrieve(second.lastResponseId!);
    assert.equal(stored.previous_response_id, firstId);
  });

  it('keeps two runs in a server-side conversation given by its id', async () => {
    calls.length = 0;
    const conversation = await stack.client.conversations.create({});
    const first = await runner.run(agent, 'Please call get_weather for Oslo.', { conversationId: conversation.id });
    assert.equal(calls.length, 1);
    assert.match(String(first.finalOutput), /after get_weather returned a result/);
    const second = await runner.run(agent, 'Summarise the forecast in one sentence.', { conversationId: conversation.id });
    assert.equal(calls.length, 1);
    const text = JSON.stringify((await upstreamRequests(stack)).at(-1));
    assert.match(text, /Please call get_weather for Oslo/);
    assert.match(text, /clear-skies-marker/);
    assert.match(String(second.finalOutput), /Emulated reply from azure to \d+ messages/);
    const items = await stack.client.conversations.items.list(conversation.id, { order: 'asc', limit: 100 });
    assert.deepEqual(
      items.data.map((item) => (item.type === 'message' ? `message:${item.role}` : item.type)),
      ['message:user', 'function_call', 'function_call_output', 'message:assistant', 'message:user', 'message:assistant'],
    );
  });

  it('streams a run with a tool call (Responses streaming events), then chains a streamed second run', async () => {
    calls.length = 0;
    const first = await runner.run(agent, 'Please call get_weather for Lima.', { stream: true });
    let deltas = '';
    for await (const event of first.toTextStream()) deltas += event;
    await first.completed;
    assert.equal(calls.length, 1);
    assert.match(deltas, /after get_weather returned a result/);
    assert.equal(deltas, String(first.finalOutput));
    const second = await runner.run(agent, 'Summarise the forecast in one sentence.', { stream: true, previousResponseId: first.lastResponseId });
    for await (const event of second.toTextStream()) void event;
    await second.completed;
    assert.match(String(second.finalOutput), /Emulated reply from azure to 6 messages/);
    assert.match(JSON.stringify((await upstreamRequests(stack)).at(-1)), /Please call get_weather for Lima/);
  });
});
