// Tests of turning a Responses context (instructions + items) into chat messages, including the round trip of a
// request that continues earlier turns (message, function_call, function_call_output).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CrosswayError, parseRequest, responseCreateRequestSchema, type ChatMessage, type ResponseItem } from '../wire/index.ts';
import { convertChatCompletionToResponseOutput } from './convert-chat-completion-to-response-output.ts';
import { convertResponseItemsToChatMessages } from './convert-response-items-to-chat-messages.ts';
import { normalizeResponseInput } from './normalize-response-input.ts';

/** Items as the runtime has them: a create body's input, validated and normalised. */
function itemsOf(input: unknown): ResponseItem[] {
  return normalizeResponseInput(parseRequest(responseCreateRequestSchema, { model: 'm', input }).input);
}

describe('convertResponseItemsToChatMessages', () => {
  const cases: Array<[string, string | null, unknown, ChatMessage[]]> = [
    [
      'instructions become a leading system message',
      'Be brief.',
      'Hi',
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
    ],
    ['empty instructions are left out', '', 'Hi', [{ role: 'user', content: 'Hi' }]],
    [
      'system and developer items keep their roles',
      null,
      [
        { role: 'system', content: 'S' },
        {
          role: 'developer',
          content: [
            { type: 'input_text', text: 'D1' },
            { type: 'input_text', text: 'D2' },
          ],
        },
      ],
      [
        { role: 'system', content: 'S' },
        {
          role: 'developer',
          content: [
            { type: 'text', text: 'D1' },
            { type: 'text', text: 'D2' },
          ],
        },
      ],
    ],
    [
      'user parts: text, image (detail mapped), file data',
      null,
      [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'What is this?' },
            { type: 'input_image', image_url: 'data:image/png;base64,AA', detail: 'original' },
            { type: 'input_file', file_data: 'data:application/pdf;base64,BB', filename: 'a.pdf' },
          ],
        },
      ],
      [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AA', detail: 'high' } },
            { type: 'file', file: { file_data: 'data:application/pdf;base64,BB', filename: 'a.pdf' } },
          ],
        },
      ],
    ],
    [
      'consecutive function calls are one assistant message; outputs are tool messages',
      null,
      [
        { role: 'user', content: 'Weather and time?' },
        { type: 'function_call', call_id: 'call_a', name: 'weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call', call_id: 'call_b', name: 'time', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_a', output: 'sunny' },
        { type: 'function_call_output', call_id: 'call_b', output: [{ type: 'input_text', text: '12:00' }] },
      ],
      [
        { role: 'user', content: 'Weather and time?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_a', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_b', type: 'function', function: { name: 'time', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_a', content: 'sunny' },
        { role: 'tool', tool_call_id: 'call_b', content: '12:00' },
      ],
    ],
    [
      'an assistant message followed by calls is one chat answer',
      null,
      [
        { role: 'assistant', content: 'Let me check.' },
        { type: 'function_call', call_id: 'call_a', name: 'weather', arguments: '{}' },
      ],
      [{ role: 'assistant', content: 'Let me check.', tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'weather', arguments: '{}' } }] }],
    ],
    [
      'calls separated by a tool output are two assistant messages',
      null,
      [
        { type: 'function_call', call_id: 'a', name: 'f', arguments: '{}' },
        { type: 'function_call_output', call_id: 'a', output: '1' },
        { type: 'function_call', call_id: 'b', name: 'f', arguments: '{}' },
      ],
      [
        { role: 'assistant', content: null, tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'a', content: '1' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'b', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      ],
    ],
    [
      'assistant parts are joined into text; reasoning items are skipped',
      null,
      [
        { type: 'reasoning', id: 'rs_1', summary: [] },
        {
          type: 'message',
          role: 'assistant',
          content: [
            { type: 'output_text', text: 'a', annotations: [] },
            { type: 'output_text', text: 'b' },
          ],
        },
      ],
      [{ role: 'assistant', content: 'ab' }],
    ],
  ];
  for (const [name, instructions, input, expected] of cases) {
    test(name, () => assert.deepEqual(convertResponseItemsToChatMessages(instructions, itemsOf(input)), expected));
  }

  const refused: Array<[string, unknown, number, string | null]> = [
    ['an unresolved item_reference is a 404', [{ type: 'item_reference', id: 'msg_gone' }], 404, 'input'],
    ['an image by file id (no Files API)', [{ role: 'user', content: [{ type: 'input_image', file_id: 'file_1' }] }], 400, 'input'],
    ['a file without data', [{ role: 'user', content: [{ type: 'input_file', file_id: 'file_1' }] }], 400, 'input'],
    ['an image in a system message', [{ role: 'system', content: [{ type: 'input_image', image_url: 'https://x/y.png' }] }], 400, 'input'],
    [
      'an image in a tool output',
      [{ type: 'function_call_output', call_id: 'c', output: [{ type: 'input_image', image_url: 'https://x/y.png' }] }],
      400,
      'input',
    ],
  ];
  for (const [name, input, status, param] of refused) {
    test(`refuses ${name}`, () => {
      assert.throws(
        () => convertResponseItemsToChatMessages(null, itemsOf(input)),
        (error: unknown) => error instanceof CrosswayError && error.status === status && error.param === param,
      );
    });
  }
});

describe('round trip: a request that continues earlier turns', () => {
  test('turn 1 output + turn 2 function call output + turn 3 input become the chat history in order', () => {
    // Turn 1: the user asks, the model answers with text and a call (as a chat answer, translated to output items).
    const turn1Input = itemsOf([{ role: 'user', content: 'Weather in Paris?' }]);
    const turn1Output = convertChatCompletionToResponseOutput({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Checking.',
            tool_calls: [{ id: 'call_w', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }],
          },
          finish_reason: 'tool_calls',
        },
      ],
    }).output;
    // Turn 2: the client sends the call's output (previous_response_id = turn 1); the model answers in text.
    const turn2Input = itemsOf([{ type: 'function_call_output', call_id: 'call_w', output: '{"sky":"clear"}' }]);
    const turn2Output = itemsOf([{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Clear skies.', annotations: [] }] }]);
    // Turn 3: a new question, with new instructions (earlier instructions do not carry over).
    const turn3Input = itemsOf('And tomorrow?');

    const messages = convertResponseItemsToChatMessages('Answer in French.', [...turn1Input, ...turn1Output, ...turn2Input, ...turn2Output, ...turn3Input]);
    assert.deepEqual(messages, [
      { role: 'system', content: 'Answer in French.' },
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [{ id: 'call_w', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_w', content: '{"sky":"clear"}' },
      { role: 'assistant', content: 'Clear skies.' },
      { role: 'user', content: 'And tomorrow?' },
    ]);
  });
});
