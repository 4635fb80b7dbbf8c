// Tests of reading a Responses request into the cloud-neutral ReplyRequest: the context as a model sees it, tool
// choices, formats, and what needs state the emulators do not keep.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { convertOpenAIResponsesRequest } from './convert-openai-responses-request.ts';
import { checkOpenAIRequest } from './openai-request-schema.ts';
import { openAIResponsesRequestSchema } from './openai-responses-request-schema.ts';

function convert(body: Record<string, unknown>) {
  const checked = checkOpenAIRequest(openAIResponsesRequestSchema, { model: 'gpt-5.5', ...body });
  assert.ok('data' in checked, JSON.stringify(checked));
  return convertOpenAIResponsesRequest(checked.data, 'openai');
}

function messagesOf(body: Record<string, unknown>) {
  const converted = convert(body);
  assert.ok('request' in converted);
  return converted.request.messages;
}

describe('convertOpenAIResponsesRequest', () => {
  test('a string input is one user message; instructions lead as a system message', () => {
    assert.deepEqual(messagesOf({ input: 'Hi', instructions: 'Be brief.' }), [
      { role: 'system', text: 'Be brief.' },
      { role: 'user', text: 'Hi', images: 0 },
    ]);
    assert.deepEqual(messagesOf({ input: 'Hi', instructions: '' }), [{ role: 'user', text: 'Hi', images: 0 }]);
  });

  test('an assistant turn keeps its text and the calls after it; outputs and reasoning items', () => {
    const messages = messagesOf({
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'Look' },
            { type: 'input_image', image_url: 'https://x/y.png' },
          ],
        },
        { type: 'reasoning', summary: [] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
        { type: 'function_call', call_id: 'c1', name: 'a', arguments: '{}' },
        { type: 'function_call', call_id: 'c2', name: 'b', arguments: '{"x":1}' },
        { type: 'function_call_output', call_id: 'c1', output: 'one' },
        { type: 'function_call_output', call_id: 'c2', output: [{ type: 'input_text', text: 'two' }] },
        { type: 'function_call', call_id: 'c3', name: 'a', arguments: '{}' },
      ],
    });
    assert.deepEqual(messages, [
      { role: 'user', text: 'Look', images: 1 },
      {
        role: 'assistant',
        text: 'Checking.',
        toolCalls: [
          { id: 'c1', name: 'a', arguments: '{}' },
          { id: 'c2', name: 'b', arguments: '{"x":1}' },
        ],
      },
      { role: 'tool', text: 'one', toolCallId: 'c1' },
      { role: 'tool', text: 'two', toolCallId: 'c2' },
      { role: 'assistant', text: '', toolCalls: [{ id: 'c3', name: 'a', arguments: '{}' }] },
    ]);
  });

  test('tools, tool choices, text formats and max_output_tokens', () => {
    const tools = [
      { type: 'function', name: 'a', parameters: { type: 'object' } },
      { type: 'function', name: 'b', description: 'B' },
    ];
    const cases: [string, Record<string, unknown>, unknown][] = [
      ['forced function', { tool_choice: { type: 'function', name: 'b' } }, { name: 'b' }],
      ['required', { tool_choice: 'required' }, 'required'],
      ['none', { tool_choice: 'none' }, 'none'],
    ];
    for (const [name, extra, expected] of cases) {
      const converted = convert({ input: 'x', tools, ...extra });
      assert.ok('request' in converted);
      assert.deepEqual(converted.request.toolChoice, expected, name);
      assert.deepEqual(
        converted.request.tools?.map((tool) => tool.name),
        ['a', 'b'],
        name,
      );
    }
    const allowed = convert({ input: 'x', tools, tool_choice: { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'b' }] } });
    assert.ok('request' in allowed);
    assert.deepEqual([allowed.request.toolChoice, allowed.request.tools?.map((tool) => tool.name)], ['required', ['b']]);
    const formatted = convert({ input: 'x', text: { format: { type: 'json_schema', name: 'n', schema: { type: 'object' } } }, max_output_tokens: 20 });
    assert.ok('request' in formatted);
    assert.deepEqual([formatted.request.format, formatted.request.maxTokens], [{ type: 'json_schema', schema: { type: 'object' } }, 20]);
  });

  test('what needs stored state, background runs and foreign compaction items are refused', () => {
    const cases: [Record<string, unknown>, number, string | null][] = [
      [{ input: 'x', previous_response_id: 'resp_1' }, 404, 'previous_response_id'],
      [{ input: 'x', conversation: { id: 'conv_1' } }, 404, 'conversation'],
      [{ input: [{ type: 'item_reference', id: 'msg_1' }] }, 404, 'input[0]'],
      [{ input: 'x', background: true }, 400, 'background'],
      [
        {
          input: [
            { role: 'user', content: 'x' },
            { type: 'compaction', encrypted_content: 'abc' },
          ],
        },
        400,
        'input[1].encrypted_content',
      ],
    ];
    for (const [body, status, param] of cases) {
      const converted = convert(body);
      assert.ok('refusal' in converted, JSON.stringify(body));
      assert.equal(converted.refusal.status, status);
      assert.equal(converted.refusal.body.error.param, param);
    }
  });
});
