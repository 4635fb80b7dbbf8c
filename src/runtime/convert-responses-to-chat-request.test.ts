// Tests of turning a Responses create request (and its context) into the Chat Completions request Crossway routes:
// field mapping, tools and tool_choice (custom tools, tool_search, hosted tools left out), formats, streaming, refusals.
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
const GRAMMAR = 'start: "*** Begin Patch" LF hunk+ "*** End Patch"';
const PATCH = { type: 'custom', name: 'apply_patch', description: 'Edit files.', format: { type: 'grammar', syntax: 'lark', definition: GRAMMAR } };
const FREEFORM_SENTENCE = 'This tool takes free-form text, not JSON: put the whole input, exactly as the tool reads it, in the string parameter `input`.';
const PATCH_DESCRIPTION = ['Edit files.', '', FREEFORM_SENTENCE, 'The input must match this Lark grammar:', '```', GRAMMAR, '```'].join('\n');
const CUSTOM_PARAMETERS = {
  type: 'object',
  properties: { input: { type: 'string', description: 'The raw input of the tool.' } },
  required: ['input'],
  additionalProperties: false,
};
const SEARCH_PARAMETERS = { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] };

describe('convertResponsesToChatRequest', () => {
  const cases: Array<[string, Record<string, unknown>, ChatCompletionRequest]> = [
    ['the minimum', {}, { model: 'm', messages: [{ role: 'user', content: 'Hi' }] }],
    [
      'a custom tool with a grammar: a function of one string, the grammar in its description; a custom tool_choice',
      { tools: [PATCH], tool_choice: { type: 'custom', name: 'apply_patch' } },
      {
        model: 'm',
        messages: [{ role: 'user', content: 'Hi' }],
        tools: [{ type: 'function', function: { name: 'apply_patch', description: PATCH_DESCRIPTION, parameters: CUSTOM_PARAMETERS } }],
        tool_choice: { type: 'function', function: { name: 'apply_patch' } },
      },
    ],
    [
      'a custom tool in free text',
      { tools: [{ type: 'custom', name: 'note', format: { type: 'text' } }] },
      {
        model: 'm',
        messages: [{ role: 'user', content: 'Hi' }],
        tools: [{ type: 'function', function: { name: 'note', description: FREEFORM_SENTENCE, parameters: CUSTOM_PARAMETERS } }],
      },
    ],
    [
      'client tool_search as a function of its parameters; hosted tools and a server tool_search left out',
      {
        tools: [
          WEATHER,
          { type: 'tool_search', execution: 'client', description: 'Find tools', parameters: SEARCH_PARAMETERS },
          { type: 'tool_search', execution: 'server' },
          { type: 'web_search', external_web_access: false },
          { type: 'file_search', vector_store_ids: ['vs_1'] },
          { type: 'code_interpreter', container: { type: 'auto' } },
          { type: 'image_generation' },
        ],
        parallel_tool_calls: true,
      },
      {
        model: 'm',
        messages: [{ role: 'user', content: 'Hi' }],
        tools: [
          { type: 'function', function: { name: 'weather', description: 'Weather now', parameters: WEATHER.parameters, strict: true } },
          { type: 'function', function: { name: 'tool_search', description: 'Find tools', parameters: SEARCH_PARAMETERS } },
        ],
        parallel_tool_calls: true,
      },
    ],
    [
      'only hosted tools: no chat tools, and a hosted tool_choice leaves the choice to the model',
      { tools: [{ type: 'web_search' }], tool_choice: { type: 'web_search' } },
      { model: 'm', messages: [{ role: 'user', content: 'Hi' }] },
    ],
    [
      'allowed_tools naming a hosted tool keeps the functions it names',
      { tools: [WEATHER, TIME, { type: 'web_search' }], tool_choice: { type: 'allowed_tools', mode: 'required', tools: [{ type: 'web_search' }, TIME] } },
      { model: 'm', messages: [{ role: 'user', content: 'Hi' }], tools: [{ type: 'function', function: { name: 'time' } }], tool_choice: 'required' },
    ],
    [
      'Codex fields: client_metadata, include, text.verbosity, prompt_cache_key and store are accepted; the chat request carries what it can',
      {
        client_metadata: { session_id: 's', 'x-codex-turn-metadata': '{"turn_id":"t"}' },
        include: ['reasoning.encrypted_content'],
        store: false,
        text: { verbosity: 'low' },
        prompt_cache_key: 'k',
      },
      { model: 'm', messages: [{ role: 'user', content: 'Hi' }], verbosity: 'low', prompt_cache_key: 'k' },
    ],
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
    ['a tool type Crossway does not carry, naming its index', { tools: [WEATHER, { type: 'mcp', server_label: 'x' }] }, 'tools[1].type'],
    ['a tool_choice of a type Crossway does not carry', { tools: [WEATHER], tool_choice: { type: 'mcp', server_label: 'x' } }, 'tool_choice.type'],
    ['a tool_choice naming an unknown function', { tools: [WEATHER], tool_choice: { type: 'function', name: 'nope' } }, 'tool_choice.name'],
    ['a named tool_choice without tools', { tool_choice: { type: 'function', name: 'weather' } }, 'tool_choice.name'],
    [
      'allowed_tools naming a tool that is not in tools',
      { tools: [WEATHER], tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'function', name: 'nope' }] } },
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
