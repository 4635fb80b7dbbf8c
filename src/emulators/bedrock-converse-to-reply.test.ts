// Converse bodies to ReplyRequests: system, text and images, tool history, tool choice and inference settings.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkBedrockConverseRequest } from './bedrock-converse-request.ts';
import { convertBedrockConverseRequest } from './bedrock-converse-to-reply.ts';
import type { ReplyRequest } from './generate-chat-reply.ts';

function convert(body: unknown): ReplyRequest {
  const checked = checkBedrockConverseRequest(body);
  if ('problem' in checked) throw new Error(checked.problem.message);
  return convertBedrockConverseRequest(checked.data, 'bedrock');
}

const tool = { toolSpec: { name: 'lookup', description: 'Finds things', inputSchema: { json: { type: 'object', properties: { q: { type: 'string' } } } } } };

describe('convertBedrockConverseRequest', () => {
  it('turns system blocks, text and images into messages', () => {
    const request = convert({
      system: [{ text: 'Be brief.' }, { text: 'Be kind.' }],
      messages: [{ role: 'user', content: [{ text: 'Look' }, { image: { format: 'jpeg', source: { bytes: 'AA==' } } }, { text: 'here' }] }],
    });
    assert.deepEqual(request.messages, [
      { role: 'system', text: 'Be brief.\nBe kind.' },
      { role: 'user', text: 'Look\nhere', images: 1 },
    ]);
  });

  it('turns toolUse into assistant tool calls and toolResult into tool messages', () => {
    const request = convert({
      messages: [
        { role: 'user', content: [{ text: 'Find cats' }] },
        { role: 'assistant', content: [{ text: 'Looking.' }, { toolUse: { toolUseId: 'tooluse_a', name: 'lookup', input: { q: 'cats' } } }] },
        { role: 'user', content: [{ toolResult: { toolUseId: 'tooluse_a', content: [{ text: 'two cats' }, { json: { count: 2 } }] } }, { text: 'Thanks' }] },
      ],
      toolConfig: { tools: [tool] },
    });
    assert.deepEqual(request.messages.slice(1), [
      { role: 'assistant', text: 'Looking.', toolCalls: [{ id: 'tooluse_a', name: 'lookup', arguments: '{"q":"cats"}' }] },
      { role: 'tool', text: 'two cats\n{"count":2}', toolCallId: 'tooluse_a' },
      { role: 'user', text: 'Thanks', images: 0 },
    ]);
    assert.deepEqual(request.tools, [{ name: 'lookup', description: 'Finds things', parameters: tool.toolSpec.inputSchema.json }]);
  });

  const choices: { name: string; toolChoice: unknown; expected: ReplyRequest['toolChoice'] }[] = [
    { name: 'no choice', toolChoice: undefined, expected: 'auto' },
    { name: 'auto', toolChoice: { auto: {} }, expected: 'auto' },
    { name: 'any', toolChoice: { any: {} }, expected: 'required' },
    { name: 'tool', toolChoice: { tool: { name: 'lookup' } }, expected: { name: 'lookup' } },
  ];
  for (const { name, toolChoice, expected } of choices) {
    it(`maps toolChoice ${name}`, () => {
      const request = convert({ messages: [{ role: 'user', content: [{ text: 'x' }] }], toolConfig: { tools: [tool], toolChoice } });
      assert.deepEqual(request.toolChoice, expected);
    });
  }

  it('carries maxTokens, stop sequences and a JSON schema output format', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const request = convert({
      messages: [{ role: 'user', content: [{ text: 'x' }] }],
      inferenceConfig: { maxTokens: 12, stopSequences: ['END'], temperature: 0.2 },
      outputConfig: { textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: JSON.stringify(schema) } } } },
    });
    assert.equal(request.maxTokens, 12);
    assert.deepEqual(request.stop, ['END']);
    assert.deepEqual(request.format, { type: 'json_schema', schema });
  });
});
