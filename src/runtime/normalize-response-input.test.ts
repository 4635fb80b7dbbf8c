// Tests of normalising a Responses request's input into stored items: ids, statuses and content lists.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConversationItem as OpenAIConversationItem } from 'openai/resources/conversations/items';
import { parseRequest, responseCreateRequestSchema, type ResponseItem } from '../wire/index.ts';
import { normalizeResponseInput } from './normalize-response-input.ts';

function counterIds(): (prefix: string) => string {
  let count = 0;
  return (prefix) => `${prefix}_${++count}`;
}

/** The input of a create body, validated as the HTTP edge does. */
function normalize(input: unknown): ResponseItem[] {
  return normalizeResponseInput(parseRequest(responseCreateRequestSchema, { model: 'm', input }).input, counterIds());
}

describe('normalizeResponseInput', () => {
  const cases: Array<[string, unknown, ResponseItem[]]> = [
    [
      'a string is one user message with one input_text part',
      'Hello',
      [{ type: 'message', id: 'msg_1', role: 'user', content: [{ type: 'input_text', text: 'Hello' }], status: 'completed' }],
    ],
    [
      "string content becomes an input_text part; the client's id and status are kept",
      [
        { role: 'developer', content: 'Be brief.' },
        { type: 'message', id: 'msg_mine', role: 'user', status: 'incomplete', content: 'hi' },
      ],
      [
        { type: 'message', id: 'msg_1', role: 'developer', content: [{ type: 'input_text', text: 'Be brief.' }], status: 'completed' },
        { type: 'message', id: 'msg_mine', role: 'user', content: [{ type: 'input_text', text: 'hi' }], status: 'incomplete' },
      ],
    ],
    [
      'images get detail auto',
      [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://x/y.png' }] }],
      [{ type: 'message', id: 'msg_1', role: 'user', content: [{ type: 'input_image', image_url: 'https://x/y.png', detail: 'auto' }], status: 'completed' }],
    ],
    [
      "an assistant message's text becomes output_text with annotations",
      [
        { role: 'assistant', content: 'Earlier answer' },
        {
          role: 'assistant',
          content: [
            { type: 'input_text', text: 'a' },
            { type: 'output_text', text: 'b' },
            { type: 'refusal', refusal: 'c' },
          ],
        },
      ],
      [
        { type: 'message', id: 'msg_1', role: 'assistant', content: [{ type: 'output_text', text: 'Earlier answer', annotations: [] }], status: 'completed' },
        {
          type: 'message',
          id: 'msg_2',
          role: 'assistant',
          content: [
            { type: 'output_text', text: 'a', annotations: [] },
            { type: 'output_text', text: 'b', annotations: [] },
            { type: 'refusal', refusal: 'c' },
          ],
          status: 'completed',
        },
      ],
    ],
    [
      'function calls and outputs get fc_ and fco_ ids',
      [
        { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: '42' },
      ],
      [
        { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'f', arguments: '{}', status: 'completed' },
        { type: 'function_call_output', id: 'fco_2', call_id: 'call_1', output: '42', status: 'completed' },
      ],
    ],
    ['item references pass unchanged', [{ id: 'msg_old' }], [{ type: 'item_reference', id: 'msg_old' }]],
    ['reasoning items get an rs_ id and keep their fields', [{ type: 'reasoning', summary: [] }], [{ type: 'reasoning', id: 'rs_1', summary: [] }]],
  ];
  for (const [name, input, expected] of cases) {
    test(name, () => assert.deepEqual(normalize(input), expected));
  }

  test('no input is no items', () => {
    assert.deepEqual(normalizeResponseInput(undefined), []);
    assert.deepEqual(normalizeResponseInput(null), []);
  });

  test('generated ids are random msg_ ids by default', () => {
    const [item] = normalizeResponseInput('x');
    assert.match(item?.id ?? '', /^msg_[0-9a-f]{48}$/);
  });

  test('message, function_call and function_call_output items have the official conversation item shapes', () => {
    const items = normalize([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
      { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' },
      { type: 'function_call_output', call_id: 'c', output: '1' },
    ]);
    for (const item of items) {
      if (item.type === 'function_call' || item.type === 'function_call_output') {
        const shaped: OpenAIConversationItem = item;
        assert.equal(shaped.status, 'completed');
      } else if (item.type === 'message' && item.role !== 'assistant') {
        const shaped: OpenAIConversationItem = item;
        assert.equal(shaped.type, 'message');
      }
    }
  });
});
