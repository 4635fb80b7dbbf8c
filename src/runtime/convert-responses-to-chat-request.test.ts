// Tests of turning a Responses create request (and its context) into the Chat Completions request Crossway routes:
// field mapping, tools and tool_choice, formats, streaming, and the refusals of hosted tools.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chatCompletionRequestSchema, CrosswayError, parseRequest, responseCreateRequestSchema, type ChatCompletionRequest } from '../wire/index.ts';
import { convertResponsesToChatRequest } from './convert-responses-to-chat-request.ts';
import { normalizeResponseInput } from './normalize-response-input.ts';

/** A create body validated as at the HTTP edge, converted with its own input as the only items. */
function convert(body: Record<string, unknown>): ChatCompletionRequest {
  const request = parseRequest(responseCreateRequestSchema, { model: 'm', input: 'Hi', ...body });
  const chat = convertResponsesToChatRequest(request, normalizeResponseInput(request.input));
  // What comes out is itself a valid chat request.
  parseRequest(chatCompletionRequestSchema, chat);
  return chat;
}

const WEATHER = {
  type: 'function',
  name: 'weather',
  description: 'Weather now',
  parameters: { type: 'object', properties: { city: { type: 'string' } } },
  strict: true,
};
const TIME = { type: 'function', name: 'time' };

describe('convertResponsesToChatRequest', () => {
  const cases: Array<[string, Record<string, unknown>, ChatCompletionRequest]> = [
    ['the minimum', {}, { model: 'm', messages: [{ role: 'user', content: 'Hi' }] }],
    [
      'sampling, limits and identifiers carried under their chat names',
      {
        max_output_tokens: 64,
        temperature: 0.2,
        top_p: 0.9,
        user: 'u1',
        safety_identifier: 's1',
        prompt_cache_key: 'k1',
        service_tier: 'flex',
        reasoning: { effort: 'low', summary: 'auto' },
      },
      {
        model: 'm',
        messages: [{ role: 'user', content: 'Hi' }],
        max_completion_tokens: 64,
        temperature: 0.2,
        top_p: 0.9,
        user: 'u1',
        safety_identifier: 's1',
        prompt_cache_key: 'k1',
        service_tier: 'flex',
        reasoning_effort: 'low',
      },
    ],
    [
      'state, bookkeeping and Crossway fields are not sent',
      {
        store: false,
        metadata: { a: 'b' },
        previous_response_id: 'resp_1',
        background: false,
        include: ['message.output_text.logprobs'],
        truncation: 'auto',
        models: ['n'],
        crossway: { prefer: 'price' },
        temperature: null,
      },
      { model: 'm', messages: [{ role: 'user', content: 'Hi' }] },
    ],
    [
      'function tools, a named tool_choice and parallel_tool_calls',
      { tools: [WEATHER, TIME], tool_choice: { type: 'function', name: 'weather' }, parallel_tool_calls: false },
      {
        model: 'm',
        messages: [{ role: 'user', content: 'Hi' }],
        tools: [
          {
            type: 'function',
            function: { name: 'weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true },
          },
          { type: 'function', function: { name: 'time' } },
        ],
        tool_choice: { type: 'function', function: { name: 'weather' } },
        parallel_tool_calls: false,
      },
    ],
    [
      'allowed_tools sends only the allowed functions with its mode',
      { tools: [WEATHER, TIME], tool_choice: { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'time' }] } },
      { model: 'm', messages: [{ role: 'user', content: 'Hi' }], tools: [{ type: 'function', function: { name: 'time' } }], tool_choice: 'required' },
    ],
    [
      'tool_choice and parallel_tool_calls without tools are left out',
      { tool_choice: 'auto', parallel_tool_calls: true, tools: [] },
      { model: 'm', messages: [{ role: 'user', content: 'Hi' }] },
    ],
    ['text format text is the default and left out', { text: { format: { type: 'text' } } }, { model: 'm', messages: [{ role: 'user', content: 'Hi' }] }],
    [
      'json_object',
      { text: { format: { type: 'json_object' } } },
      { model: 'm', messages: [{ role: 'user', content: 'Hi' }], response_format: { type: 'json_object' } },
    ],
    [
      'json_schema moves under json_schema; verbosity carried',
      { text: { format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true, description: 'd' }, verbosity: 'low' } },
      {
        model: 'm',
        messages: [{ role: 'user', content: 'Hi' }],
        response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, description: 'd', strict: true } },
        verbosity: 'low',
      },
    ],
    [
      'streaming asks for usage',
      { stream: true, instructions: 'Be brief.' },
      {
        model: 'm',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
        ],
        stream: true,
        stream_options: { include_usage: true },
      },
    ],
  ];
  for (const [name, body, expected] of cases) {
    test(name, () => assert.deepEqual(convert(body), expected));
  }

  const refused: Array<[string, Record<string, unknown>, string]> = [
    ['a hosted tool, naming its index', { tools: [WEATHER, { type: 'web_search' }] }, 'tools[1].type'],
    ['file_search', { tools: [{ type: 'file_search', vector_store_ids: ['vs_1'] }] }, 'tools[0].type'],
    ['a hosted tool_choice', { tools: [WEATHER], tool_choice: { type: 'web_search_preview' } }, 'tool_choice.type'],
    ['a tool_choice naming an unknown function', { tools: [WEATHER], tool_choice: { type: 'function', name: 'nope' } }, 'tool_choice.name'],
    ['a named tool_choice without tools', { tool_choice: { type: 'function', name: 'weather' } }, 'tool_choice.name'],
    [
      'allowed_tools naming a hosted tool',
      { tools: [WEATHER], tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'web_search' }] } },
      'tool_choice.tools[0]',
    ],
    ['no input at all', { input: [] }, 'input'],
  ];
  for (const [name, body, param] of refused) {
    test(`refuses ${name}`, () => {
      assert.throws(
        () => convert(body),
        (error: unknown) => error instanceof CrosswayError && error.status === 400 && error.param === param,
      );
    });
  }

  test('the context items come before the new input', () => {
    const request = parseRequest(responseCreateRequestSchema, { model: 'm', input: 'Second' });
    const context = normalizeResponseInput([
      { type: 'message', role: 'user', content: 'First' },
      { type: 'message', role: 'assistant', content: 'Answer' },
    ]);
    const chat = convertResponsesToChatRequest(request, [...context, ...normalizeResponseInput(request.input)]);
    assert.deepEqual(chat.messages, [
      { role: 'user', content: 'First' },
      { role: 'assistant', content: 'Answer' },
      { role: 'user', content: 'Second' },
    ]);
  });
});
