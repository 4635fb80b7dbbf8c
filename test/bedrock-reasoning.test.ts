// Reasoning on the demo's Bedrock Converse route (gpt-oss-120b) end to end with the official openai client: the effort
// travels as additionalModelRequestFields.reasoning_effort, and the emulator's reasoning comes back as chat
// `reasoning_content` (JSON and streamed); a Responses turn's reasoning.effort reaches Converse the same way and its
// reasoning comes back as a reasoning item (JSON and streamed, reasoning_text content); without an effort, no reasoning.
// On the Bedrock chat route of gpt-5.5, which reports reasoning tokens, they are counted as such in the Responses usage.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { type DemoStack, startDemoStack } from './support/start-demo-stack.ts';

const ONLY_BEDROCK = { headers: { 'x-crossway-providers-only': 'bedrock' } };

describe('reasoning on the Bedrock Converse route', () => {
  let stack: DemoStack;
  let client: OpenAI;
  before(async () => {
    stack = await startDemoStack();
    client = new OpenAI({ baseURL: `${stack.gateway.url}/v1`, apiKey: stack.demo.masterKey, maxRetries: 0, timeout: 20_000 });
  });
  after(async () => {
    await stack.close();
  });

  /** The Converse bodies the Bedrock emulator received since `from`. */
  function converseBodies(from: number): Array<Record<string, unknown>> {
    const entries = stack.demo.emulators.emulators.bedrock?.requests() ?? [];
    return entries.slice(from).flatMap((entry) => (/\/converse(-stream)?$/.test(entry.path) ? [entry.body as Record<string, unknown>] : []));
  }
  function journalLength(): number {
    return stack.demo.emulators.emulators.bedrock?.requests().length ?? 0;
  }

  it('chat: reasoning_effort carried, reasoning_content answered, the text unchanged', async () => {
    const from = journalLength();
    const messages = [{ role: 'user' as const, content: 'Why is the sky blue?' }];
    const plain = await client.chat.completions.create({ model: 'gpt-oss-120b', messages }, ONLY_BEDROCK);
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-oss-120b', messages, reasoning_effort: 'medium' }, ONLY_BEDROCK)
      .withResponse();
    assert.match(response.headers.get('x-crossway-route') ?? '', /^bedrock-us-west-2-gpt-oss-120b/);
    const message = data.choices[0]?.message as { content: string | null; reasoning_content?: string };
    const plainMessage = plain.choices[0]?.message as { reasoning_content?: string } | undefined;
    assert.equal(plainMessage?.reasoning_content, undefined);
    assert.match(message.reasoning_content ?? '', /^Reasoning at medium effort/);
    assert.equal(message.content, plain.choices[0]?.message.content);
    assert.ok((data.usage?.completion_tokens ?? 0) > (plain.usage?.completion_tokens ?? 0));
    const bodies = converseBodies(from);
    assert.deepEqual(
      bodies.map((body) => body.additionalModelRequestFields),
      [undefined, { reasoning_effort: 'medium' }],
    );
  });

  it('chat streamed: reasoning_content deltas before the content', async () => {
    const stream = await client.chat.completions.create(
      { model: 'gpt-oss-120b', messages: [{ role: 'user', content: 'Count to three' }], reasoning_effort: 'low', stream: true },
      ONLY_BEDROCK,
    );
    let reasoning = '';
    let content = '';
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { content?: string | null; reasoning_content?: string } | undefined;
      if (delta?.reasoning_content !== undefined) {
        assert.equal(content, '', 'reasoning comes before the answer');
        reasoning += delta.reasoning_content;
      }
      content += delta?.content ?? '';
    }
    assert.match(reasoning, /^Reasoning at low effort/);
    assert.match(content, /^Emulated reply from bedrock/);
  });

  it('Responses: reasoning.effort carried to Converse as additionalModelRequestFields.reasoning_effort', async () => {
    const from = journalLength();
    const { data, response } = await client.responses
      .create({ model: 'gpt-oss-120b', input: 'Why is the sky blue?', reasoning: { effort: 'high' }, store: false }, ONLY_BEDROCK)
      .withResponse();
    assert.match(response.headers.get('x-crossway-route') ?? '', /^bedrock-us-west-2-gpt-oss-120b/);
    assert.match(data.output_text, /^Emulated reply from bedrock/);
    assert.deepEqual(
      converseBodies(from).map((body) => body.additionalModelRequestFields),
      [{ reasoning_effort: 'high' }],
    );
    // The reasoning comes first, as a reasoning item whose content is the model's text (Converse reports no reasoning tokens).
    const [reasoning, message] = data.output;
    assert.equal(reasoning?.type, 'reasoning');
    assert.ok(reasoning?.type === 'reasoning');
    assert.match(reasoning.id, /^rs_/);
    assert.deepEqual(reasoning.summary, []);
    assert.equal(reasoning.content?.length, 1);
    assert.equal(reasoning.content?.[0]?.type, 'reasoning_text');
    assert.match(reasoning.content?.[0]?.text ?? '', /^Reasoning at high effort/);
    assert.equal(message?.type, 'message');
    const plain = await client.responses.create({ model: 'gpt-oss-120b', input: 'Why is the sky blue?', store: false }, ONLY_BEDROCK);
    assert.deepEqual(
      plain.output.map((item) => item.type),
      ['message'],
    );
  });

  it('Responses streamed: the reasoning item with reasoning_text deltas before the message', async () => {
    const stream = await client.responses.create(
      { model: 'gpt-oss-120b', input: 'Count to three', reasoning: { effort: 'low' }, stream: true, store: false },
      ONLY_BEDROCK,
    );
    const types: string[] = [];
    let reasoning = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.reasoning_text.delta') reasoning += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    assert.match(reasoning, /^Reasoning at low effort/);
    const firstText = types.indexOf('response.output_text.delta');
    assert.ok(types.lastIndexOf('response.reasoning_text.delta') < firstText, types.join(' '));
    assert.ok(types.includes('response.reasoning_text.done'));
    const item = completed?.output[0];
    assert.ok(item?.type === 'reasoning');
    assert.deepEqual(item.content, [{ type: 'reasoning_text', text: reasoning }]);
    assert.equal(completed?.output[1]?.type, 'message');
  });

  it('Responses on the gpt-5.5 chat route: the reasoning tokens Bedrock reports are reasoning tokens in the usage', async () => {
    const input = 'Why is the sky blue?';
    const asked = await client.responses.create({ model: 'gpt-5.5', input, reasoning: { effort: 'medium' }, store: false }, ONLY_BEDROCK);
    const plain = await client.responses.create({ model: 'gpt-5.5', input, store: false }, ONLY_BEDROCK);
    const reasoning = asked.output[0];
    assert.ok(reasoning?.type === 'reasoning');
    assert.match(reasoning.content?.[0]?.text ?? '', /^Reasoning at medium effort/);
    const tokens = asked.usage?.output_tokens_details.reasoning_tokens ?? 0;
    assert.ok(tokens > 0);
    assert.equal(asked.usage?.output_tokens, (plain.usage?.output_tokens ?? 0) + tokens);
    assert.equal(plain.usage?.output_tokens_details.reasoning_tokens, 0);
  });
});
