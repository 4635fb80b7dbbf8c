// What every model-calling endpoint tells the client, whichever cloud served it (issue 19): the same call headers on
// chat, embeddings, Responses (plain and streamed), compaction and the Messages front door; the catalog's model (or
// its dated snapshot) in every answer and every chunk, with the cloud's own id in `x-crossway-upstream-model` and the
// decision; and streams that carry only what the client asked for (no `"usage": null` without include_usage).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type DemoStack, startDemoStack } from './support/start-demo-stack.ts';
import { DEFAULT_MODELS, type Stack, startStack } from './support/start-stack.ts';

const SNAPSHOT = 'gpt-5.5-2026-04-23';
/** The three routes of gpt-5.5, one per upstream form, each pinned with `x-crossway-providers-only` + region. */
const GPT_ROUTES: { id: string; headers: Record<string, string> }[] = [
  { id: 'azure-eastus2-gpt-5.5', headers: { 'x-crossway-providers-only': 'azure', 'x-crossway-regions': 'eastus2' } },
  { id: 'azure-swedencentral-gpt-5.5', headers: { 'x-crossway-providers-only': 'azure', 'x-crossway-regions': 'swedencentral' } },
  { id: 'openai-global-gpt-5.5', headers: { 'x-crossway-providers-only': 'openai' } },
];
const CALL_HEADERS = ['x-request-id', 'x-crossway-decision', 'x-crossway-route', 'x-crossway-attempts', 'x-crossway-upstream-model'];

describe('answers: headers on every model-calling endpoint, the catalog model, the stream the client asked for', () => {
  let stack: Stack;
  before(async () => {
    const models = DEFAULT_MODELS.map((model) => (model.id === 'gpt-5.5' ? { ...model, snapshot: SNAPSHOT } : model));
    stack = await startStack({ models });
  });
  after(async () => {
    await stack.close();
  });

  async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${stack.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
  }

  /** The JSON data of each SSE event, `[DONE]` left out. */
  function sseData(text: string): Record<string, unknown>[] {
    return text
      .split('\n')
      .filter((line) => line.startsWith('data: ') && line !== 'data: [DONE]')
      .map((line) => JSON.parse(line.slice('data: '.length)) as Record<string, unknown>);
  }

  function checkCallHeaders(response: Response, what: string): void {
    assert.equal(response.status, 200, what);
    for (const name of CALL_HEADERS) assert.ok(response.headers.get(name), `${what}: ${name}`);
    assert.match(response.headers.get('x-crossway-attempts') ?? '', /^[1-9]\d*$/, what);
  }

  const messages = [{ role: 'user', content: 'Say hello' }];
  const endpoints: { name: string; path: string; body: Record<string, unknown> }[] = [
    { name: 'chat completions', path: '/v1/chat/completions', body: { model: 'gpt-5.5', messages } },
    { name: 'chat completions, streamed', path: '/v1/chat/completions', body: { model: 'gpt-5.5', messages, stream: true } },
    { name: 'embeddings', path: '/v1/embeddings', body: { model: 'text-embedding-3-small', input: 'hello' } },
    { name: 'responses', path: '/v1/responses', body: { model: 'gpt-5.5', input: 'Say hello', store: false } },
    { name: 'responses, streamed', path: '/v1/responses', body: { model: 'gpt-5.5', input: 'Say hello', store: false, stream: true } },
    { name: 'responses compaction', path: '/v1/responses/compact', body: { model: 'gpt-5.5', input: [{ role: 'user', content: 'hi' }] } },
    { name: 'messages', path: '/v1/messages', body: { model: 'gpt-5.5', max_tokens: 64, messages } },
    { name: 'messages, streamed', path: '/v1/messages', body: { model: 'gpt-5.5', max_tokens: 64, messages, stream: true } },
  ];
  for (const { name, path, body } of endpoints) {
    it(`${name} carries x-request-id, x-crossway-decision, -route, -attempts and -upstream-model`, async () => {
      const response = await post(path, body);
      await response.text();
      checkCallHeaders(response, name);
    });
  }

  it('chat answers the catalog snapshot on every route, the cloud id in the header and the decision', async () => {
    for (const route of GPT_ROUTES) {
      // An alias is answered with the snapshot too, as OpenAI answers `gpt-4o` with its dated snapshot.
      const response = await post('/v1/chat/completions', { model: 'gpt-latest', messages }, route.headers);
      const completion = (await response.json()) as { model: string };
      assert.equal(response.headers.get('x-crossway-route'), route.id);
      assert.equal(completion.model, SNAPSHOT, route.id);
      assert.equal(response.headers.get('x-crossway-upstream-model'), 'gpt-5.5', route.id);
      const decision = await stack.api('GET', `/v1/crossway/decisions/${response.headers.get('x-crossway-decision')}`);
      assert.equal(decision.body.attempts.at(-1).upstream_model, 'gpt-5.5');
    }
  });

  it('a model without a snapshot is answered by its id, not the deployment the cloud was asked for', async () => {
    for (const model of ['via-azure-v1', 'via-azure-deployments', 'via-openai']) {
      const response = await post('/v1/chat/completions', { model, messages });
      assert.equal(((await response.json()) as { model: string }).model, model);
      assert.equal(response.headers.get('x-crossway-upstream-model'), 'gpt-5.5');
      const streamed = await post('/v1/chat/completions', { model, messages, stream: true });
      const chunks = sseData(await streamed.text());
      assert.ok(chunks.length > 1);
      for (const chunk of chunks) assert.equal(chunk.model, model, `${model} stream`);
    }
  });

  it('every chunk of a stream names the snapshot, on every route', async () => {
    for (const route of GPT_ROUTES) {
      for (const includeUsage of [false, true]) {
        const body = { model: 'gpt-5.5', messages, stream: true, ...(includeUsage && { stream_options: { include_usage: true } }) };
        const response = await post('/v1/chat/completions', body, route.headers);
        const chunks = sseData(await response.text());
        assert.ok(chunks.length > 1);
        for (const chunk of chunks) assert.equal(chunk.model, SNAPSHOT, `${route.id}, include_usage ${includeUsage}`);
      }
    }
  });

  it('a stream without include_usage carries no usage member at all; with it, the usage chunk comes', async () => {
    for (const route of GPT_ROUTES) {
      const plain = sseData(await (await post('/v1/chat/completions', { model: 'gpt-5.5', messages, stream: true }, route.headers)).text());
      for (const chunk of plain) assert.equal('usage' in chunk, false, `${route.id}: ${JSON.stringify(chunk)}`);
      const asked = sseData(
        await (await post('/v1/chat/completions', { model: 'gpt-5.5', messages, stream: true, stream_options: { include_usage: true } }, route.headers)).text(),
      );
      const usageChunks = asked.filter((chunk) => chunk.usage !== null && chunk.usage !== undefined);
      assert.equal(usageChunks.length, 1, route.id);
      assert.deepEqual(usageChunks[0]?.choices, []);
    }
  });

  it('embeddings and messages name the catalog model too', async () => {
    const embeddings = (await (await post('/v1/embeddings', { model: 'text-embedding-3-small', input: 'x' })).json()) as { model: string };
    assert.equal(embeddings.model, 'text-embedding-3-small');
    const message = (await (await post('/v1/messages', { model: 'gpt-latest', max_tokens: 64, messages })).json()) as { model: string };
    assert.equal(message.model, SNAPSHOT);
    const streamed = await (await post('/v1/messages', { model: 'gpt-latest', max_tokens: 64, messages, stream: true })).text();
    const start = sseData(streamed).find((event) => event.type === 'message_start') as { message: { model: string } } | undefined;
    assert.equal(start?.message.model, SNAPSHOT);
  });
});

describe('the demo catalog: one model, one answer, whichever of its clouds served it', () => {
  let stack: DemoStack;
  before(async () => {
    stack = await startDemoStack();
  });
  after(async () => {
    await stack.close();
  });

  // The examples: gpt-oss-120b answered `openai.gpt-oss-120b-1:0` on Bedrock and `openai/gpt-oss-120b-maas` on Vertex.
  const cases = [
    { model: 'gpt-5.5', provider: 'azure' },
    { model: 'gpt-5.5', provider: 'bedrock' },
    { model: 'gpt-5.5', provider: 'openai' },
    { model: 'gpt-oss-120b', provider: 'bedrock' },
    { model: 'gpt-oss-120b', provider: 'vertex' },
  ];
  for (const { model, provider } of cases) {
    it(`${model} on ${provider}: the answer and every chunk name ${model}; the cloud's id is in x-crossway-upstream-model`, async () => {
      const headers = { 'x-crossway-providers-only': provider };
      const messages = [{ role: 'user' as const, content: 'Say hello' }];
      const { data: completion, response } = await stack.client.chat.completions.create({ model, messages }, { headers }).withResponse();
      const route = stack.chatRoutes.find((entry) => response.headers.get('x-crossway-route')?.startsWith(entry.id));
      assert.equal(route?.provider, provider);
      assert.equal(completion.model, model);
      assert.equal(response.headers.get('x-crossway-upstream-model'), route?.deployment ?? route?.model);
      const stream = await stack.client.chat.completions.create({ model, messages, stream: true }, { headers });
      let count = 0;
      for await (const chunk of stream) {
        assert.equal(chunk.model, model);
        assert.equal('usage' in chunk, false, JSON.stringify(chunk));
        count += 1;
      }
      assert.ok(count > 1);
    });
  }
});
