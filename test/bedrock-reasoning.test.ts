// Reasoning on the demo's Bedrock Converse route (gpt-oss-120b) end to end with the official openai client: the effort
// travels as additionalModelRequestFields.reasoning_effort, and the emulator's reasoning comes back as chat
// `reasoning_content` (JSON and streamed); a Responses turn's reasoning.effort reaches Converse the same way; without an
// effort, no reasoning.
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
  });
});
