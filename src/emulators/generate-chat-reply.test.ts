// Reply generation: determinism, content awareness, stop and token limits, choices, tools, JSON formats and usage.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { countTokens, TOKENS_PER_MESSAGE, TOKENS_PER_REPLY } from './count-tokens.ts';
import { generateChatReply } from './generate-chat-reply.ts';
import type { ReplyRequest, ReplyTool } from './generate-chat-reply.ts';

const ask = (text: string, extra: Partial<ReplyRequest> = {}): ReplyRequest => ({
  cloud: 'openai',
  messages: [
    { role: 'system', text: 'You are terse.' },
    { role: 'user', text },
  ],
  ...extra,
});

const weather: ReplyTool = {
  name: 'get_weather',
  description: 'Current weather',
  parameters: {
    type: 'object',
    properties: {
      location: { type: 'string' },
      unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
      days: { type: 'integer', minimum: 1, maximum: 5 },
    },
    required: ['location', 'unit'],
    additionalProperties: false,
  },
};
const search: ReplyTool = { name: 'search_docs', parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] } };

describe('generateChatReply', () => {
  it('is deterministic and quotes the last user message with its hash', () => {
    const first = generateChatReply(ask('What is the capital of France?'));
    assert.deepEqual(generateChatReply(ask('What is the capital of France?')), first);
    const text = first.choices[0]!.content!;
    assert.match(text, /^Emulated reply from openai to 2 messages\. Last user message \(sha256 [0-9a-f]{8}\): "What is the capital of France\?"\./);
    assert.notEqual(generateChatReply(ask('Something else')).choices[0]!.content, text);
    const tokens = countTokens(text);
    assert.ok(tokens >= 20 && tokens <= 80, `reply has ${tokens} tokens`);
    assert.equal(first.choices[0]!.finishReason, 'stop');
  });

  it('counts prompt tokens per message plus reply priming, and completion tokens of the output', () => {
    const reply = generateChatReply(ask('Hello'));
    const expected =
      TOKENS_PER_REPLY + 2 * TOKENS_PER_MESSAGE + countTokens('system') + countTokens('You are terse.') + countTokens('user') + countTokens('Hello');
    assert.equal(reply.promptTokens, expected);
    assert.equal(reply.completionTokens, countTokens(reply.choices[0]!.content!));
  });

  it('cuts at the token limit with finish reason length', () => {
    const reply = generateChatReply(ask('Tell me a long story', { maxTokens: 5 }));
    assert.equal(reply.choices[0]!.finishReason, 'length');
    assert.equal(reply.completionTokens, 5);
    assert.ok(generateChatReply(ask('Tell me a long story')).choices[0]!.content!.startsWith(reply.choices[0]!.content!));
  });

  it('stops before the first stop sequence', () => {
    const reply = generateChatReply(ask('Hi', { stop: ['zzz', 'Last user'] }));
    assert.equal(reply.choices[0]!.content, 'Emulated reply from openai to 2 messages. ');
    assert.equal(reply.choices[0]!.finishReason, 'stop');
  });

  it('returns n distinct choices', () => {
    const reply = generateChatReply(ask('Hi', { n: 3 }));
    assert.deepEqual(
      reply.choices.map((choice) => choice.index),
      [0, 1, 2],
    );
    assert.equal(new Set(reply.choices.map((choice) => choice.content)).size, 3);
    assert.match(reply.choices[1]!.content!, /^\(choice 2\) /);
    assert.equal(
      reply.completionTokens,
      reply.choices.reduce((sum, choice) => sum + choice.completionTokens, 0),
    );
  });

  it('notes images in multi-part user content', () => {
    const reply = generateChatReply({ cloud: 'azure', messages: [{ role: 'user', text: 'What is this?', images: 1 }] });
    assert.match(
      reply.choices[0]!.content!,
      /^Emulated reply from azure to 1 message\. Last user message \(sha256 [0-9a-f]{8}\) with 1 image: "What is this\?"/,
    );
  });

  it('calls a tool named in the last user message, with schema-valid arguments', () => {
    const reply = generateChatReply(ask('What is the get_weather for Paris?', { tools: [weather, search] }));
    const choice = reply.choices[0]!;
    assert.equal(choice.finishReason, 'tool_calls');
    assert.equal(choice.content, null);
    assert.equal(choice.toolCalls.length, 1);
    const call = choice.toolCalls[0]!;
    assert.equal(call.name, 'get_weather');
    assert.match(call.id, /^call_[0-9a-f]{24}$/);
    const parsed = z.fromJSONSchema(weather.parameters as never).safeParse(JSON.parse(call.arguments));
    assert.ok(parsed.success, call.arguments);
  });

  it('follows tool_choice: required, a named function, and none', () => {
    const plain = 'Hello there';
    assert.equal(generateChatReply(ask(plain, { tools: [weather] })).choices[0]!.toolCalls.length, 0);
    assert.equal(generateChatReply(ask(plain, { tools: [weather], toolChoice: 'required' })).choices[0]!.toolCalls[0]!.name, 'get_weather');
    assert.equal(
      generateChatReply(ask(plain, { tools: [weather, search], toolChoice: { name: 'search_docs' } })).choices[0]!.toolCalls[0]!.name,
      'search_docs',
    );
    assert.equal(generateChatReply(ask('call get_weather', { tools: [weather], toolChoice: 'none' })).choices[0]!.toolCalls.length, 0);
    assert.equal(generateChatReply(ask('Please use a tool to answer', { tools: [weather] })).choices[0]!.toolCalls[0]!.name, 'get_weather');
  });

  it('answers a tool result in words that mention it', () => {
    const reply = generateChatReply({
      cloud: 'openai',
      tools: [weather],
      messages: [
        { role: 'user', text: 'get_weather in Paris' },
        { role: 'assistant', text: '', toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"location":"Paris"}' }] },
        { role: 'tool', text: '{"temperature": 21}', toolCallId: 'call_1' },
      ],
    });
    assert.equal(reply.choices[0]!.finishReason, 'stop');
    assert.match(reply.choices[0]!.content!, /after get_weather returned a result \(sha256 [0-9a-f]{8}\): "\{"temperature": 21\}"/);
  });

  it('answers json_object with a JSON object and json_schema with a valid instance', () => {
    const object = JSON.parse(generateChatReply(ask('Hi', { format: { type: 'json_object' } })).choices[0]!.content!);
    assert.equal(typeof object, 'object');
    assert.equal(object.emulator, 'openai');
    const schema = {
      type: 'object',
      properties: { answer: { type: 'string' }, confidence: { type: 'number', minimum: 0, maximum: 1 }, sources: { type: 'array', items: { type: 'string' } } },
      required: ['answer', 'confidence', 'sources'],
      additionalProperties: false,
    };
    const content = generateChatReply(ask('Hi', { format: { type: 'json_schema', schema } })).choices[0]!.content!;
    assert.ok(z.fromJSONSchema(schema as never).safeParse(JSON.parse(content)).success, content);
  });
});
