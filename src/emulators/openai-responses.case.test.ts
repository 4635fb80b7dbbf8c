// The Responses API as every OpenAI-wire emulator serves it (OpenAI's `/v1/responses`, Azure's
// `/openai/v1/responses`, Bedrock's `/openai/v1/responses` and `/v1/responses`), as one suite each emulator's test runs: replies, semantic stream events,
// tools, limits, statelessness, fault injection, the journal, and the official openai client.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import OpenAI from 'openai';
import type { EmulatorServer } from './emulator-server.ts';

export interface ResponsesEmulatorCaseOptions {
  emulator: EmulatorServer;
  /** Tells apart several runs against one emulator (e.g. Bedrock's two paths). */
  label?: string;
  /** The API base the Responses path hangs off, e.g. `${url}/v1` or `${url}/openai/v1`. */
  base(): string;
  /** Auth and content-type headers the emulator accepts. */
  headers: Record<string, string>;
  /** A bearer token the emulator accepts, for the official client. */
  bearer: string;
  /** A chat model (or deployment) name. */
  model: string;
}

/** The events of an SSE body: each with its `event:` name and parsed data. */
async function readEvents(response: Response): Promise<{ name: string; data: any }[]> {
  const blocks = (await response.text()).split('\n\n').filter((block) => block !== '');
  return blocks.map((block) => {
    const [eventLine, dataLine, ...rest] = block.split('\n');
    assert.equal(rest.length, 0, block);
    assert.match(eventLine ?? '', /^event: /);
    assert.match(dataLine ?? '', /^data: /);
    return { name: (eventLine ?? '').slice(7), data: JSON.parse((dataLine ?? '').slice(6)) };
  });
}

const weatherTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
};

/** Runs the Responses suite against one emulator. */
export function runResponsesEmulatorCases(options: ResponsesEmulatorCaseOptions): void {
  const { emulator } = options;
  const post = async (body: unknown): Promise<{ status: number; json: any; response: Response }> => {
    const response = await fetch(`${options.base()}/responses`, { method: 'POST', headers: options.headers, body: JSON.stringify(body) });
    const json = response.headers.get('content-type')?.startsWith('application/json') ? await response.json() : undefined;
    return { status: response.status, json, response };
  };
  const ask = (input: unknown, extra: Record<string, unknown> = {}) => ({ model: options.model, input, store: false, ...extra });

  describe(`${emulator.cloud} emulator, POST /responses${options.label === undefined ? '' : ` (${options.label})`}`, () => {
    afterEach(() => {
      emulator.clearFaults();
      emulator.clearRequests();
    });

    it('answers a Response naming the cloud and the message count, with usage', async () => {
      const { status, json } = await post(ask('What is the tallest mountain?'));
      assert.equal(status, 200);
      assert.match(json.id, /^resp_[0-9a-f]{48}$/);
      assert.equal(json.object, 'response');
      assert.equal(json.status, 'completed');
      assert.equal(typeof json.completed_at, 'number');
      assert.equal(json.store, false);
      assert.equal(json.output.length, 1);
      const [message] = json.output;
      assert.match(message.id, /^msg_/);
      assert.deepEqual([message.type, message.role, message.status], ['message', 'assistant', 'completed']);
      assert.match(message.content[0].text, new RegExp(`^Emulated reply from ${emulator.cloud} to 1 message\\.`));
      assert.deepEqual(message.content[0].annotations, []);
      assert.ok(json.usage.input_tokens > 0 && json.usage.output_tokens > 0);
      assert.equal(json.usage.total_tokens, json.usage.input_tokens + json.usage.output_tokens);
      assert.deepEqual(json.usage.input_tokens_details, { cached_tokens: 0, cache_write_tokens: 0 });
    });

    it('counts instructions and every input item of the context, as a model sees them', async () => {
      const input = [
        { role: 'user', content: 'My name is Ada.' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello Ada.' }] },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
        { type: 'function_call_output', call_id: 'call_1', output: '{"temp":3}' },
        { role: 'user', content: [{ type: 'input_text', text: 'What is my name?' }] },
      ];
      const { json } = await post(ask(input, { instructions: 'Be brief.', tools: [weatherTool] }));
      // instructions + user + assistant (its text and call) + tool output + user = 5
      assert.match(json.output[0].content[0].text, new RegExp(`^Emulated reply from ${emulator.cloud} to 5 messages\\.`));
      assert.equal(json.instructions, 'Be brief.');
      const withoutInstructions = (await post(ask(input, { tools: [weatherTool] }))).json;
      assert.match(withoutInstructions.output[0].content[0].text, / to 4 messages\./);
    });

    it('streams the semantic events in order, numbered, adding up to the same answer', async () => {
      const body = ask('Tell me about fjords');
      const whole = (await post(body)).json;
      const { response } = await post({ ...body, stream: true });
      assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
      const events = await readEvents(response);
      assert.deepEqual(
        events.map((event) => event.data.sequence_number),
        events.map((_, index) => index),
      );
      for (const event of events) assert.equal(event.data.type, event.name);
      const names = events.map((event) => event.name);
      assert.deepEqual(names.slice(0, 4), ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
      assert.deepEqual(names.slice(-4), ['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
      assert.ok(names.filter((name) => name === 'response.output_text.delta').length >= 3);
      const created = events[0]!.data.response;
      assert.deepEqual([created.status, created.output, created.usage], ['in_progress', [], null]);
      const text = events
        .filter((event) => event.name === 'response.output_text.delta')
        .map((event) => event.data.delta)
        .join('');
      const final = events.at(-1)!.data.response;
      assert.equal(text, final.output[0].content[0].text);
      assert.equal(text, whole.output[0].content[0].text, 'the same request gets the same answer');
      assert.deepEqual(final.usage, whole.usage);
      const itemId = final.output[0].id;
      assert.ok(events.slice(2, -1).every((event) => (event.data.item_id ?? event.data.item.id) === itemId));
    });

    it('calls a function tool the user names, streaming its arguments', async () => {
      const body = ask('Please call get_weather for Oslo', { tools: [weatherTool] });
      const { json } = await post(body);
      const [call] = json.output;
      assert.deepEqual([call.type, call.name, call.status], ['function_call', 'get_weather', 'completed']);
      assert.match(call.id, /^fc_/);
      assert.match(call.call_id, /^call_/);
      assert.equal(typeof JSON.parse(call.arguments).city, 'string');
      assert.equal(json.tools[0].strict, true);
      const events = await readEvents((await post({ ...body, stream: true })).response);
      const deltas = events.filter((event) => event.name === 'response.function_call_arguments.delta');
      assert.ok(deltas.length >= 2);
      const done = events.find((event) => event.name === 'response.function_call_arguments.done')!;
      assert.equal(deltas.map((event) => event.data.delta).join(''), done.data.arguments);
      assert.equal(done.data.name, 'get_weather');
      assert.equal((await post({ ...body, tool_choice: 'none' })).json.output[0].type, 'message');
    });

    it('answers a tool result in words, and follows text.format json_schema', async () => {
      const input = [
        { role: 'user', content: 'Weather in Oslo?' },
        { type: 'function_call', call_id: 'call_9', name: 'get_weather', arguments: '{"city":"Oslo"}' },
        { type: 'function_call_output', call_id: 'call_9', output: 'sunny' },
      ];
      const afterTool = (await post(ask(input, { tools: [weatherTool] }))).json;
      assert.match(afterTool.output[0].content[0].text, new RegExp(`^Emulated reply from ${emulator.cloud} after get_weather returned a result`));
      const format = { type: 'json_schema', name: 'city', schema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } };
      const structured = (await post(ask('A city please', { text: { format } }))).json;
      assert.equal(typeof JSON.parse(structured.output[0].content[0].text).name, 'string');
      assert.deepEqual(structured.text.format, format);
    });

    it('stops at max_output_tokens with an incomplete response', async () => {
      const body = ask('Tell me a long story', { max_output_tokens: 16 });
      const { json } = await post(body);
      assert.equal(json.status, 'incomplete');
      assert.deepEqual(json.incomplete_details, { reason: 'max_output_tokens' });
      assert.equal(json.output[0].status, 'incomplete');
      assert.equal(json.usage.output_tokens, 16);
      const events = await readEvents((await post({ ...body, stream: true })).response);
      assert.equal(events.at(-1)!.name, 'response.incomplete');
    });

    const refusals: { name: string; body: Record<string, unknown>; status: number; param: string | null }[] = [
      { name: 'a missing input', body: {}, status: 400, param: 'input' },
      { name: 'max_output_tokens below 16', body: { input: 'x', max_output_tokens: 8 }, status: 400, param: 'max_output_tokens' },
      { name: 'an unknown item type', body: { input: [{ type: 'mcp_call', id: 'mcp_1' }] }, status: 400, param: 'input[0].type' },
      {
        name: 'a previous_response_id (nothing is stored)',
        body: { input: 'x', previous_response_id: 'resp_abc' },
        status: 404,
        param: 'previous_response_id',
      },
      { name: 'a conversation (nothing is stored)', body: { input: 'x', conversation: 'conv_abc' }, status: 404, param: 'conversation' },
      { name: 'an item_reference (nothing is stored)', body: { input: [{ type: 'item_reference', id: 'msg_abc' }] }, status: 404, param: 'input[0]' },
    ];
    for (const { name, body, status, param } of refusals) {
      it(`refuses ${name} with ${status}`, async () => {
        const { status: got, json } = await post({ model: options.model, ...body });
        assert.equal(got, status);
        assert.equal(json.error.param, param);
        assert.equal(typeof json.error.message, 'string');
      });
    }

    it('journals the body as sent, so a test can see store: false', async () => {
      emulator.clearRequests();
      await post(ask('hi', { store: false }));
      await post(ask('hi', { store: true }));
      const stored = emulator.requests().map((entry) => (entry.body as { store?: boolean }).store);
      assert.deepEqual(stored, [false, true], 'store: true is accepted too, as the real API does');
    });

    it('honours injected faults: a status with its headers, and a stream cut after some events', async () => {
      emulator.setFaults({ status: 429, count: 1 });
      const limited = await post(ask('hi'));
      assert.equal(limited.status, 429);
      assert.equal(limited.response.headers.get('retry-after'), '1');
      emulator.setFaults({ disconnect_after_chunks: 3, count: 1 });
      const cut = await post(ask('hi', { stream: true }));
      await assert.rejects(cut.response.text());
      const entry = emulator.requests().at(-1);
      assert.equal(entry?.outcome, 'disconnected');
      assert.equal(entry?.chunks_sent, 3);
    });

    it('works with the official openai client, streaming or not', async () => {
      const client = new OpenAI({ baseURL: options.base(), apiKey: options.bearer, maxRetries: 0 });
      const response = await client.responses.create({ model: options.model, input: 'Hello client', instructions: 'Be brief.', store: false });
      assert.match(response.output_text, new RegExp(`^Emulated reply from ${emulator.cloud} to 2 messages\\.`));
      const stream = await client.responses.create({ model: options.model, input: 'Hello client', instructions: 'Be brief.', store: false, stream: true });
      let text = '';
      let completed: OpenAI.Responses.Response | null = null;
      for await (const event of stream) {
        if (event.type === 'response.output_text.delta') text += event.delta;
        if (event.type === 'response.completed') completed = event.response;
      }
      assert.equal(text, response.output_text);
      assert.equal(completed?.usage?.total_tokens, response.usage?.total_tokens);
    });
  });
}
