import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { genAiProviderName, readAnswerFacts, readStreamFacts, toInputMessages, toOutputMessages } from './tracing-genai.ts';

describe('GenAI conventions', () => {
  it('names the providers as the conventions do', () => {
    assert.deepEqual(['openai', 'azure', 'bedrock', 'vertex', 'other'].map(genAiProviderName), [
      'openai',
      'azure.ai.openai',
      'aws.bedrock',
      'gcp.vertex_ai',
      'other',
    ]);
    assert.equal(genAiProviderName('__proto__'), '__proto__');
  });

  it('reads id and finish reasons of a chat completion and of a native Responses object; a stream says nothing', () => {
    const completion = { id: 'chatcmpl-1', choices: [{ finish_reason: 'stop' }, { finish_reason: 'length' }] };
    assert.deepEqual(readAnswerFacts({ completion }), { id: 'chatcmpl-1', finishReasons: ['stop', 'length'], completion });
    const response = { id: 'resp_1', status: 'completed' };
    assert.deepEqual(readAnswerFacts({ kind: 'native', response }), { id: 'resp_1', finishReasons: ['completed'], completion: response });
    assert.deepEqual(readAnswerFacts({ events: [] }), { finishReasons: [] });
  });

  it("reads a chat stream's id from its first chunk and its finish reasons from its last content chunk", () => {
    const first = Buffer.from('data: {"id":"chatcmpl-9","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant"}}]}\n\n');
    const last = Buffer.from(
      'data: {"id":"chatcmpl-9","choices":[{"index":0,"delta":{},"finish_reason":"length"},{"index":1,"delta":{},"finish_reason":"stop"}]}\n\n',
    );
    assert.deepEqual(readStreamFacts(first, last), { id: 'chatcmpl-9', finishReasons: ['length', 'stop'] });
    assert.deepEqual(readStreamFacts(null, Buffer.from('data: {"choices":[{"finish_reason":null}]}\n\n')), { finishReasons: [] });
  });

  it('captures messages in the conventions shape, as valid JSON within the bound', () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Hi' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
        ],
      },
    ];
    assert.deepEqual(JSON.parse(toInputMessages(messages, 16_384)), [
      { role: 'system', parts: [{ type: 'text', content: 'Be brief.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'Hi' }, { type: 'image_url' }] },
    ]);
    const long = [{ role: 'user', content: 'x'.repeat(100_000) }];
    const bounded = toInputMessages(long, 1024);
    assert.ok(Buffer.byteLength(bounded) <= 1024);
    assert.equal(JSON.parse(bounded)[0].role, 'user');
    const many = Array.from({ length: 50 }, (_, index) => ({ role: 'user', content: `message ${index} ${'y'.repeat(200)}` }));
    const kept = JSON.parse(toInputMessages(many, 2048));
    assert.ok(kept.length < 50 && kept.length > 0, 'the oldest messages are dropped');
    assert.match(kept.at(-1).parts[0].content, /^message 49/);
  });

  it('captures a completion output with its finish reason and tool calls', () => {
    const completion = {
      choices: [
        { finish_reason: 'tool_calls', message: { role: 'assistant', content: null, tool_calls: [{ id: 'c1', function: { name: 'f', arguments: '{}' } }] } },
      ],
    };
    assert.deepEqual(JSON.parse(toOutputMessages(completion, 4096)), [
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'f', arguments: '{}' }], finish_reason: 'tool_calls' },
    ]);
  });
});
