// A session moves between clouds: on the demo catalog, with a tenant key, turn 1 is answered by Azure, turn 2 (Azure
// failing) by Bedrock, turn 3 (on another model, Bedrock failing too) by Vertex; each later cloud receives the whole
// earlier context, `x-crossway-route` names the cloud of each turn, and the stored turns do not change as the
// session goes on. Once through previous_response_id, once through a conversation.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startDemoStack, type DemoStack } from './support/start-demo-stack.ts';

interface Turn {
  response: OpenAI.Responses.Response;
  route: string;
}

describe('a session moves across clouds (demo catalog)', () => {
  let stack: DemoStack;
  let client: OpenAI;

  before(async () => {
    stack = await startDemoStack();
    const admin = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
      const response = await fetch(`${stack.gateway.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.demo.masterKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 201, path);
      return (await response.json()) as Record<string, unknown>;
    };
    await admin('/admin/tenants', { id: 'nomad', name: 'Nomad Inc' });
    const key = await admin('/admin/keys', { tenant: 'nomad' });
    client = new OpenAI({ baseURL: `${stack.gateway.url}/v1`, apiKey: String(key.key), maxRetries: 0, timeout: 20_000 });
  });
  afterEach(async () => {
    for (const emulator of Object.values(stack.demo.emulators.emulators)) await fetch(`${emulator.url}/__emulator/faults`, { method: 'DELETE' });
  });
  after(() => stack.close());

  async function emulator(cloud: string, method: string, path: string, body?: unknown): Promise<any> {
    const target = stack.demo.emulators.emulators[cloud];
    assert.ok(target, cloud);
    const response = await fetch(`${target.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.equal(response.status, 200, `${cloud} ${method} ${path}`);
    return response.json();
  }

  /** The body of the last chat request `cloud` received, as text. */
  async function lastUpstreamBody(cloud: string): Promise<string> {
    const journal = (await emulator(cloud, 'GET', '/__emulator/requests')).data as Array<{ path: string; body: unknown; status: number }>;
    const answered = journal.filter((entry) => entry.status === 200 && entry.body !== null && !entry.path.includes('token'));
    assert.ok(answered.length > 0, `${cloud} answered a request`);
    return JSON.stringify(answered.at(-1)!.body);
  }

  async function create(body: OpenAI.Responses.ResponseCreateParamsNonStreaming): Promise<Turn> {
    const { data, response } = await client.responses.create(body).withResponse();
    assert.equal(data.status, 'completed', JSON.stringify(data));
    return { response: data, route: response.headers.get('x-crossway-route') ?? '' };
  }

  const inputItems = async (id: string) => (await client.responses.inputItems.list(id, { order: 'asc', limit: 100 })).data;

  it('previous_response_id: Azure, then Bedrock, then Vertex on another model, each with the whole chain', async () => {
    const first = await create({ model: 'gpt-5.5', input: 'Remember the code word: heliotrope-17.' });
    assert.match(first.route, /^azure-/);
    assert.match(first.response.output_text, /Emulated reply from azure/);
    const firstItems = await inputItems(first.response.id);

    await emulator('azure', 'POST', '/__emulator/faults', { status: 503 });
    const second = await create({ model: 'gpt-5.5', previous_response_id: first.response.id, input: 'And the city is Valparaiso.' });
    assert.match(second.route, /^bedrock-/);
    assert.match(second.response.output_text, /Emulated reply from bedrock to 3 messages/);
    const onBedrock = await lastUpstreamBody('bedrock');
    assert.match(onBedrock, /heliotrope-17/);
    assert.match(onBedrock, /Emulated reply from azure/);
    const secondItems = await inputItems(second.response.id);

    await emulator('bedrock', 'POST', '/__emulator/faults', { status: 503 });
    const third = await create({ model: 'gpt-oss-120b', previous_response_id: second.response.id, input: 'Say both back.' });
    assert.match(third.route, /^vertex-/);
    assert.equal(third.response.model, 'gpt-oss-120b');
    assert.match(third.response.output_text, /Emulated reply from vertex to 5 messages/);
    const onVertex = await lastUpstreamBody('vertex');
    for (const earlier of [/heliotrope-17/, /Emulated reply from azure/, /Valparaiso/, /Emulated reply from bedrock/, /Say both back/])
      assert.match(onVertex, earlier);

    // Later turns leave the earlier ones as they were.
    assert.deepEqual(await inputItems(first.response.id), firstItems);
    assert.deepEqual(await inputItems(second.response.id), secondItems);
    assert.equal((await client.responses.retrieve(first.response.id)).output_text, first.response.output_text);
    assert.equal((await client.responses.retrieve(second.response.id)).output_text, second.response.output_text);
    assert.match(JSON.stringify(await inputItems(third.response.id)), /Say both back/);
  });

  it('conversation: Azure, then Bedrock, then Vertex on another model, each with the whole conversation', async () => {
    const conversation = await client.conversations.create({});
    const first = await create({ model: 'gpt-5.5', conversation: conversation.id, input: 'Remember the code word: marigold-44.' });
    assert.match(first.route, /^azure-/);
    const firstItems = await inputItems(first.response.id);

    await emulator('azure', 'POST', '/__emulator/faults', { status: 503 });
    const second = await create({ model: 'gpt-5.5', conversation: conversation.id, input: 'And the city is Trondheim.' });
    assert.match(second.route, /^bedrock-/);
    assert.match(second.response.output_text, /Emulated reply from bedrock to 3 messages/);
    assert.match(await lastUpstreamBody('bedrock'), /marigold-44/);
    const secondItems = await inputItems(second.response.id);

    await emulator('bedrock', 'POST', '/__emulator/faults', { status: 503 });
    const third = await create({ model: 'gpt-oss-120b', conversation: conversation.id, input: 'Say both back.' });
    assert.match(third.route, /^vertex-/);
    assert.match(third.response.output_text, /Emulated reply from vertex to 5 messages/);
    const onVertex = await lastUpstreamBody('vertex');
    for (const earlier of [/marigold-44/, /Emulated reply from azure/, /Trondheim/, /Emulated reply from bedrock/, /Say both back/])
      assert.match(onVertex, earlier);

    const items = (await client.conversations.items.list(conversation.id, { order: 'asc', limit: 100 })).data as Array<{ role?: string; content?: unknown }>;
    assert.deepEqual(
      items.map((item) => item.role),
      ['user', 'assistant', 'user', 'assistant', 'user', 'assistant'],
    );
    assert.match(JSON.stringify(items[1]), /Emulated reply from azure/);
    assert.match(JSON.stringify(items[3]), /Emulated reply from bedrock/);
    assert.match(JSON.stringify(items[5]), /Emulated reply from vertex/);
    assert.deepEqual(await inputItems(first.response.id), firstItems);
    assert.deepEqual(await inputItems(second.response.id), secondItems);
  });

  it('function calls cross clouds: a call made on one cloud is answered on the next', async () => {
    const tools: OpenAI.Responses.Tool[] = [
      {
        type: 'function',
        name: 'get_weather',
        description: 'Weather for a city',
        strict: true,
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
      },
    ];
    const callOf = (turn: Turn) => {
      const call = turn.response.output.find((item): item is OpenAI.Responses.ResponseFunctionToolCall => item.type === 'function_call');
      assert.ok(call !== undefined, JSON.stringify(turn.response.output));
      return call;
    };
    const first = await create({ model: 'gpt-5.5', tools, input: 'Please call get_weather for Bergen.' });
    assert.match(first.route, /^azure-/);
    await emulator('azure', 'POST', '/__emulator/faults', { status: 503 });
    const second = await create({
      model: 'gpt-5.5',
      tools,
      previous_response_id: first.response.id,
      input: [{ type: 'function_call_output', call_id: callOf(first).call_id, output: '{"sky":"drizzle-marker"}' }],
    });
    assert.match(second.route, /^bedrock-/);
    assert.match(second.response.output_text, /Emulated reply from bedrock after get_weather returned a result/);

    // Bedrock's Converse API makes the next call (its own toolUse ids); Vertex reads the result.
    const third = await create({ model: 'gpt-oss-120b', tools, previous_response_id: second.response.id, input: 'Please call get_weather for Tromso too.' });
    assert.match(third.route, /^bedrock-us-west-2-gpt-oss-120b/);
    await emulator('bedrock', 'POST', '/__emulator/faults', { status: 503 });
    const fourth = await create({
      model: 'gpt-oss-120b',
      tools,
      previous_response_id: third.response.id,
      input: [{ type: 'function_call_output', call_id: callOf(third).call_id, output: '{"sky":"aurora-marker"}' }],
    });
    assert.match(fourth.route, /^vertex-/);
    assert.match(fourth.response.output_text, /Emulated reply from vertex after get_weather returned a result/);
    assert.match(fourth.response.output_text, /aurora-marker/);
    const onVertex = await lastUpstreamBody('vertex');
    for (const earlier of [/Bergen/, /drizzle-marker/, /Tromso/, /aurora-marker/]) assert.match(onVertex, earlier);
    // Every tool result Vertex receives answers a call of an earlier assistant message, by its id.
    const messages = (JSON.parse(onVertex) as { messages: Array<{ role: string; tool_call_id?: string; tool_calls?: Array<{ id: string }> }> }).messages;
    const called = new Set<string>();
    let results = 0;
    for (const message of messages) {
      for (const call of message.tool_calls ?? []) called.add(call.id);
      if (message.role === 'tool') {
        results += 1;
        assert.ok(called.has(String(message.tool_call_id)), JSON.stringify(messages));
      }
    }
    assert.equal(results, 2);
  });
});
