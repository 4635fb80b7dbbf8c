// Tests of the Bedrock emulator's reasoning and per-model paths: reasoning only when asked (Converse
// additionalModelRequestFields, the chat API's reasoning_effort, InvokeModel), in each API's form, counted in the usage;
// fields and paths a model is not served with refused as Bedrock refuses them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { BEDROCK_EMULATOR_API_KEY, BEDROCK_UNSUPPORTED_ACTION, BedrockEmulator } from './bedrock-emulator.ts';
import { generateBedrockReasoning } from './bedrock-reasoning.ts';

const emulator = new BedrockEmulator();
const headers = { authorization: `Bearer ${BEDROCK_EMULATOR_API_KEY}`, 'content-type': 'application/json' };
const GPT_OSS = encodeURIComponent('openai.gpt-oss-120b-1:0');

async function post(path: string, body: unknown): Promise<{ status: number; json: any; text: string; headers: Headers }> {
  const response = await fetch(`${emulator.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text, headers: response.headers };
}

const converse = (extra: Record<string, unknown> = {}) => ({ messages: [{ role: 'user', content: [{ text: 'Think about rivers' }] }], ...extra });

describe('generateBedrockReasoning', () => {
  it('is deterministic, longer with more effort, and absent for none and unknown efforts', () => {
    const low = generateBedrockReasoning('low', 'x');
    assert.deepEqual(low, generateBedrockReasoning('low', 'x'));
    assert.ok((generateBedrockReasoning('high', 'x')?.tokens ?? 0) > (low?.tokens ?? 0));
    assert.notEqual(generateBedrockReasoning('low', 'y')?.text, low?.text);
    for (const effort of ['none', 'extreme', 3, undefined]) assert.equal(generateBedrockReasoning(effort, 'x'), undefined);
  });
});

describe('BedrockEmulator reasoning and per-model paths', () => {
  before(() => emulator.start());
  after(() => emulator.close());

  it('Converse: no reasoning unless asked; with reasoning_effort a reasoningText block first, its tokens in outputTokens', async () => {
    const plain = await post(`/model/${GPT_OSS}/converse`, converse());
    assert.equal(plain.status, 200, plain.text);
    assert.ok(plain.json.output.message.content.every((block: object) => !('reasoningContent' in block)));
    const asked = await post(`/model/${GPT_OSS}/converse`, converse({ additionalModelRequestFields: { reasoning_effort: 'high' } }));
    assert.equal(asked.status, 200, asked.text);
    const [first, second] = asked.json.output.message.content;
    const expected = generateBedrockReasoning('high', 'Think about rivers');
    assert.deepEqual(first, { reasoningContent: { reasoningText: { text: expected?.text } } });
    assert.deepEqual(second, plain.json.output.message.content[0]);
    assert.equal(asked.json.usage.outputTokens, plain.json.usage.outputTokens + (expected?.tokens ?? 0));
    assert.equal(asked.json.usage.totalTokens, asked.json.usage.inputTokens + asked.json.usage.outputTokens);
  });

  it('ConverseStream: reasoningContent deltas on block 0 before the text block 1', async () => {
    const response = await fetch(`${emulator.url}/model/${GPT_OSS}/converse-stream`, {
      method: 'POST',
      headers,
      body: JSON.stringify(converse({ additionalModelRequestFields: { reasoning_effort: 'low' } })),
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    const codec = new EventStreamCodec(toUtf8, fromUtf8);
    const payloads: Array<{ payload: any }> = [];
    for (let offset = 0; offset < bytes.length; ) {
      const total = bytes.readUInt32BE(offset);
      payloads.push({ payload: JSON.parse(toUtf8(codec.decode(bytes.subarray(offset, offset + total)).body)) });
      offset += total;
    }
    const reasoning = payloads.filter((event) => event.payload.delta?.reasoningContent !== undefined);
    assert.ok(reasoning.length > 0);
    assert.ok(reasoning.every((event) => event.payload.contentBlockIndex === 0));
    assert.equal(reasoning.map((event) => event.payload.delta.reasoningContent.text).join(''), generateBedrockReasoning('low', 'Think about rivers')?.text);
    assert.ok(payloads.some((event) => event.payload.contentBlockIndex === 1 && typeof event.payload.delta?.text === 'string'));
  });

  it('Converse: a field the model does not take, or an unknown effort, is a 400 ValidationException', async () => {
    const other = await post(`/model/${GPT_OSS}/converse`, converse({ additionalModelRequestFields: { reasoning: { effort: 'high' } } }));
    assert.equal(other.status, 400);
    assert.match(other.headers.get('x-amzn-errortype') ?? '', /^ValidationException:/);
    assert.match(other.json.message, /^This model doesn't support the additionalModelRequestFields field 'reasoning'/);
    const effort = await post(`/model/${GPT_OSS}/converse`, converse({ additionalModelRequestFields: { reasoning_effort: 'extreme' } }));
    assert.equal(effort.status, 400);
  });

  it('chat completions: `reasoning` on the message and in deltas, reasoning_tokens in the usage, only when asked', async () => {
    const body = { model: 'openai.gpt-oss-120b-1:0', messages: [{ role: 'user', content: 'Think about rivers' }] };
    const plain = await post('/openai/v1/chat/completions', body);
    assert.equal(plain.json.choices[0].message.reasoning, undefined);
    const asked = await post('/openai/v1/chat/completions', { ...body, reasoning_effort: 'medium' });
    const expected = generateBedrockReasoning('medium', 'Think about rivers');
    assert.equal(asked.json.choices[0].message.reasoning, expected?.text);
    assert.equal(asked.json.choices[0].message.content, plain.json.choices[0].message.content);
    assert.equal(asked.json.usage.completion_tokens_details.reasoning_tokens, expected?.tokens);
    assert.equal(asked.json.usage.completion_tokens, plain.json.usage.completion_tokens + (expected?.tokens ?? 0));
    const streamed = await post('/openai/v1/chat/completions', { ...body, reasoning_effort: 'medium', stream: true, stream_options: { include_usage: true } });
    const chunks = streamed.text
      .split('\n\n')
      .filter((event) => event.startsWith('data: {'))
      .map((event) => JSON.parse(event.slice(6)));
    const reasoning = chunks.map((chunk) => chunk.choices[0]?.delta?.reasoning ?? '').join('');
    assert.equal(reasoning, expected?.text);
    assert.equal(chunks.at(-1).usage.completion_tokens_details.reasoning_tokens, expected?.tokens);
  });

  it('chat completions: a streamed tool call follows the reasoning whole (id, name and every argument after it)', async () => {
    const tool = {
      type: 'function',
      function: { name: 'read_file', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } },
    };
    const body = { model: 'openai.gpt-oss-120b-1:0', messages: [{ role: 'user', content: 'Use read_file' }], tools: [tool], stream: true };
    const streamed = await post('/openai/v1/chat/completions', { ...body, reasoning_effort: 'low' });
    const deltas = streamed.text
      .split('\n\n')
      .filter((event) => event.startsWith('data: {'))
      .map((event) => JSON.parse(event.slice(6)).choices[0]?.delta ?? {});
    const lastReasoning = deltas.findLastIndex((delta) => delta.reasoning !== undefined);
    const firstCall = deltas.findIndex((delta) => delta.tool_calls !== undefined);
    assert.ok(lastReasoning > 0 && firstCall > lastReasoning, `reasoning at ${lastReasoning}, first tool call at ${firstCall}`);
    assert.equal(deltas[0].role, 'assistant');
    assert.equal(deltas[firstCall].tool_calls[0].function.name, 'read_file');
    const args = deltas
      .flatMap((delta) => delta.tool_calls ?? [])
      .map((call) => call.function.arguments)
      .join('');
    assert.equal(typeof JSON.parse(args).path, 'string');
  });

  it('InvokeModel: the chat body answered with a chat completion, reasoning in <reasoning> tags before the text', async () => {
    const plain = await post(`/model/${GPT_OSS}/invoke`, { messages: [{ role: 'user', content: 'Think about rivers' }] });
    assert.equal(plain.status, 200, plain.text);
    assert.equal(plain.json.object, 'chat.completion');
    assert.match(plain.json.choices[0].message.content, /^Emulated reply from bedrock to 1 message\./);
    const asked = await post(`/model/${GPT_OSS}/invoke`, { messages: [{ role: 'user', content: 'Think about rivers' }], reasoning_effort: 'low' });
    const expected = generateBedrockReasoning('low', 'Think about rivers');
    assert.equal(asked.json.choices[0].message.content, `<reasoning>${expected?.text}</reasoning>${plain.json.choices[0].message.content}`);
    const streamed = await post(`/model/${GPT_OSS}/invoke`, { messages: [{ role: 'user', content: 'Hi' }], stream: true });
    assert.equal(streamed.status, 400);
    assert.match(streamed.headers.get('x-amzn-errortype') ?? '', /^ValidationException:/);
  });

  it('a model on a bedrock-runtime operation AWS does not serve it on: Bedrock 400; an unknown model: invalid identifier', async () => {
    for (const path of ['converse', 'converse-stream', 'invoke']) {
      const refused = await post(`/model/${encodeURIComponent('openai.gpt-5.5')}/${path}`, converse());
      assert.equal(refused.status, 400, path);
      assert.deepEqual(refused.json, { message: BEDROCK_UNSUPPORTED_ACTION });
    }
    const mantleId = await post(`/model/${encodeURIComponent('openai.gpt-oss-120b')}/converse`, converse());
    assert.deepEqual(mantleId.json, { message: BEDROCK_UNSUPPORTED_ACTION });
    const unknown = await post('/model/openai.gpt-9/converse', converse());
    assert.deepEqual(unknown.json, { message: 'The provided model identifier is invalid.' });
  });

  it('chat completions on a path the model is not served on: the documented refusal', async () => {
    for (const [path, model] of [
      ['/v1/chat/completions', 'openai.gpt-oss-120b-1:0'],
      ['/openai/v1/chat/completions', 'openai.gpt-oss-120b'],
      ['/v1/chat/completions', 'openai.gpt-5.5'],
    ] as const) {
      const refused = await post(path, { model, messages: [{ role: 'user', content: 'Hi' }] });
      assert.equal(refused.status, 400, `${model} on ${path}`);
      assert.equal(refused.json.error.message, `model \`${model}\` isn't supported on this route`);
    }
  });
});
