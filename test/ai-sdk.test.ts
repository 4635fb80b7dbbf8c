// The Vercel AI SDK's OpenAI provider works against Crossway unchanged.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText } from 'ai';
import { startStack, type Stack } from './support/start-stack.ts';

describe('Vercel AI SDK (@ai-sdk/openai)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack.close();
  });

  it('generates and streams text through chat completions', async () => {
    const openai = createOpenAI({ baseURL: `${stack.url}/v1`, apiKey: stack.masterKey });
    const generated = await generateText({ model: openai.chat('gpt-5.5'), prompt: 'Hello from the AI SDK' });
    assert.match(generated.text, /Hello from the AI SDK/);
    assert.ok((generated.usage.inputTokens ?? 0) > 0);

    const streamed = streamText({ model: openai.chat('gpt-5.5'), prompt: 'Stream from the AI SDK' });
    let text = '';
    for await (const delta of streamed.textStream) text += delta;
    assert.match(text, /Stream from the AI SDK/);
    assert.ok(((await streamed.usage).outputTokens ?? 0) > 0);
  });
});
