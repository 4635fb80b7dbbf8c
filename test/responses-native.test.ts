// Routes that serve the Responses API natively (the `responses` capability on an OpenAI-wire route) get the turn on
// the cloud's own POST /v1/responses, with the whole context as input items and store: false (Crossway keeps the
// state), and a failover from such a route to a Chat-only one keeps working within one request.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { OPENAI_KEY, AZURE_KEY, startStack, type Stack } from './support/start-stack.ts';

describe('native Responses upstreams', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      models: [{ id: 'native' }, { id: 'native-then-chat' }],
      routes: (urls) => {
        const openaiNative = {
          provider: 'openai',
          endpoint: `${urls.openai}/v1`,
          deployment: 'gpt-5.5',
          auth: { type: 'bearer', key: OPENAI_KEY },
          capabilities: ['responses', 'streaming', 'tools'],
        };
        return [
          { id: 'openai-native', model: 'native', ...openaiNative },
          { id: 'openai-native-first', model: 'native-then-chat', ...openaiNative },
          {
            id: 'azure-chat-second',
            model: 'native-then-chat',
            provider: 'azure',
            endpoint: urls.azure,
            deployment: 'gpt-5.5',
            api: 'v1',
            auth: { type: 'api-key', key: AZURE_KEY },
            capabilities: ['streaming', 'tools'],
          },
        ];
      },
    });
  });
  beforeEach(() => stack.clearFaults());
  after(() => stack.close());

  const lastResponsesCall = async () => (await stack.journal('openai')).filter((entry) => entry.path.endsWith('/responses')).at(-1);

  it('sends each turn natively with the whole context and store: false, under Crossway ids', async () => {
    const first = await stack.client.responses.create({ model: 'native', instructions: 'Be brief.', input: 'My favourite colour is teal.' });
    assert.equal(first.status, 'completed');
    assert.match(first.id, /^resp_[0-9a-f]{32,}$/);
    assert.match(first.output_text, /Emulated reply from openai/);
    const call = await lastResponsesCall();
    assert.ok(call, 'the emulator got POST /v1/responses');
    assert.equal(call.body?.store, false);
    assert.equal('previous_response_id' in (call.body ?? {}), false);

    const second = await stack.client.responses.create({ model: 'native', previous_response_id: first.id, input: 'What is my favourite colour?' });
    assert.equal(second.previous_response_id, first.id);
    const secondCall = await lastResponsesCall();
    const input = JSON.stringify(secondCall?.body?.input);
    assert.match(input, /teal/);
    assert.match(input, /Emulated reply from openai/);
    assert.equal((await stack.client.responses.retrieve(second.id)).output_text, second.output_text);
    assert.ok((await stack.gateway.store.getResponse('default', second.id))?.usage_event_id);
  });

  it('relays the native stream with Crossway ids and stores the result', async () => {
    const stream = await stack.client.responses.create({ model: 'native', input: 'Stream natively.', stream: true });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    assert.equal(events[0]?.type, 'response.created');
    assert.equal(events.at(-1)?.type, 'response.completed');
    assert.deepEqual(
      events.map((event) => event.sequence_number),
      events.map((_, index) => index),
    );
    const completed = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    assert.match(completed.response.id, /^resp_/);
    const created = events[0] as OpenAI.Responses.ResponseCreatedEvent;
    assert.equal(created.response.id, completed.response.id);
    const stored = await stack.client.responses.retrieve(completed.response.id);
    assert.equal(stored.output_text, completed.response.output_text ?? stored.output_text);
    assert.ok(stored.output.length > 0);
  });

  it('fails over from a native route to a chat route within one turn, context intact', async () => {
    const first = await stack.client.responses.create({ model: 'native-then-chat', input: 'Remember the number 73.' });
    const { response } = await stack.client.responses
      .create({ model: 'native-then-chat', previous_response_id: first.id, input: 'Which number?' })
      .withResponse();
    assert.equal(response.headers.get('x-crossway-route'), 'openai-native-first');
    await stack.fault('openai', { status: 503, count: 10 });
    const { data: failedOver, response: headers } = await stack.client.responses
      .create({ model: 'native-then-chat', previous_response_id: first.id, input: 'Which number, again?' })
      .withResponse();
    assert.equal(headers.headers.get('x-crossway-route'), 'azure-chat-second');
    assert.equal(failedOver.status, 'completed');
    const chat = (await stack.journal('azure')).filter((entry) => entry.path.includes('chat/completions')).at(-1);
    assert.match(JSON.stringify(chat?.body?.messages), /the number 73/);
  });
});
