// Tests of carrying Codex's tools and items over a chat route and back: tables of named cases for the items a client
// sends back (custom tool calls and outputs, tool search calls and outputs, namespaced calls, reasoning and hosted
// calls left out), for the model's calls mapped back to Responses items, and the streamed custom tool input events.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRequest, responseCreateRequestSchema, type ChatCompletion, type ChatMessage, type ResponseStreamEvent } from '../wire/index.ts';
import { buildResponseObject } from './build-response-object.ts';
import { argumentsToCustomInput, readChatToolMapping, toResponseCallItem } from './chat-tool-mapping.ts';
import { convertChatCompletionToResponseOutput } from './convert-chat-completion-to-response-output.ts';
import { convertResponsesToChatRequest } from './convert-responses-to-chat-request.ts';
import { normalizeResponseInput } from './normalize-response-input.ts';
import { createResponseStreamTranslator } from './response-stream-translator.ts';

const PATCH = { type: 'custom', name: 'apply_patch', format: { type: 'grammar', syntax: 'lark', definition: 'start: x' } };
const SHELL = { type: 'function', name: 'exec_command', parameters: { type: 'object', properties: { cmd: { type: 'string' } } } };
const SEARCH = { type: 'tool_search', execution: 'client', parameters: { type: 'object', properties: { query: { type: 'string' } } } };

/** Counter ids, so that expected items are exact. */
function counterIds(): (prefix: string) => string {
  let next = 0;
  return (prefix) => `${prefix}_${++next}`;
}

function convert(body: Record<string, unknown>) {
  const request = parseRequest(responseCreateRequestSchema, { model: 'm', ...body });
  const items = normalizeResponseInput(request.input, counterIds());
  return convertResponsesToChatRequest(request, items);
}

describe('items sent back, on a chat route', () => {
  const cases: Array<[string, Record<string, unknown>, ChatMessage[]]> = [
    [
      'a custom tool call and its output: a call of the function with the input as its one argument, then a tool message',
      {
        tools: [PATCH],
        input: [
          { role: 'user', content: 'patch it' },
          { type: 'custom_tool_call', call_id: 'call_1', name: 'apply_patch', input: '*** Begin Patch\n*** End Patch' },
          { type: 'custom_tool_call_output', call_id: 'call_1', output: 'Done.' },
        ],
      },
      [
        { role: 'user', content: 'patch it' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'apply_patch', arguments: '{"input":"*** Begin Patch\\n*** End Patch"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'Done.' },
      ],
    ],
    [
      'a client tool search and its output: a call of tool_search, then a tool message naming what it loaded',
      {
        tools: [SEARCH],
        input: [
          { role: 'user', content: 'find' },
          { type: 'tool_search_call', call_id: 'call_2', arguments: { query: 'agents' }, execution: 'client', status: 'completed' },
          { type: 'tool_search_output', call_id: 'call_2', execution: 'client', tools: [{ type: 'function', name: 'spawn_agent' }] },
        ],
      },
      [
        { role: 'user', content: 'find' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'tool_search', arguments: '{"query":"agents"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_2', content: 'Loaded tools: spawn_agent.' },
      ],
    ],
    [
      'a call inside a namespace is named <namespace>__<name>',
      {
        input: [
          { role: 'user', content: 'go' },
          { type: 'function_call', call_id: 'call_3', name: 'spawn_agent', namespace: 'multi_agent_v1', arguments: '{}' },
          { type: 'function_call_output', call_id: 'call_3', output: 'ok' },
        ],
      },
      [
        { role: 'user', content: 'go' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_3', type: 'function', function: { name: 'multi_agent_v1__spawn_agent', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'call_3', content: 'ok' },
      ],
    ],
    [
      'reasoning items, hosted tool calls and a server tool search are left out',
      {
        input: [
          { role: 'user', content: 'hi' },
          { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'crossway.reasoning.v1.openai.abc' },
          { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'x' } },
          { type: 'tool_search_call', arguments: { query: 'x' }, execution: 'server' },
          { role: 'assistant', content: 'hello' },
        ],
      },
      [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
      ],
    ],
  ];
  for (const [name, body, expected] of cases) {
    test(name, () => assert.deepEqual(convert(body).messages, expected));
  }

  test('tools a tool search loaded join the functions, a namespace flattened', () => {
    const chat = convert({
      tools: [SEARCH],
      input: [
        { role: 'user', content: 'find' },
        { type: 'tool_search_call', call_id: 'call_2', arguments: {}, execution: 'client' },
        {
          type: 'tool_search_output',
          call_id: 'call_2',
          tools: [{ type: 'namespace', name: 'multi_agent_v1', tools: [{ type: 'function', name: 'spawn_agent', description: 'Spawn.' }] }],
        },
      ],
    });
    assert.deepEqual(
      chat.tools?.map((tool) => tool.function.name),
      ['tool_search', 'multi_agent_v1__spawn_agent'],
    );
  });
});

describe('the model calls mapped back', () => {
  const mapping = readChatToolMapping([PATCH, SHELL, SEARCH, { type: 'namespace', name: 'ns', tools: [{ type: 'custom', name: 'note' }] }] as never, []);
  const cases: Array<[string, { name: string; arguments: string }, Record<string, unknown>]> = [
    [
      'a function call',
      { name: 'exec_command', arguments: '{"cmd":"ls"}' },
      { type: 'function_call', id: 'fc_1', status: 'completed', call_id: 'call_x', name: 'exec_command', arguments: '{"cmd":"ls"}' },
    ],
    [
      'a custom tool: its input out of the one string argument',
      { name: 'apply_patch', arguments: '{"input":"*** Begin Patch\\n"}' },
      { type: 'custom_tool_call', id: 'ctc_1', status: 'completed', call_id: 'call_x', name: 'apply_patch', input: '*** Begin Patch\n' },
    ],
    [
      'a custom tool the model answered in plain text',
      { name: 'apply_patch', arguments: '*** Begin Patch' },
      { type: 'custom_tool_call', id: 'ctc_1', status: 'completed', call_id: 'call_x', name: 'apply_patch', input: '*** Begin Patch' },
    ],
    [
      'a custom tool inside a namespace',
      { name: 'ns__note', arguments: '{"input":"x"}' },
      { type: 'custom_tool_call', id: 'ctc_1', status: 'completed', call_id: 'call_x', name: 'note', input: 'x', namespace: 'ns' },
    ],
    [
      'a tool search: its arguments parsed, executed by the client',
      { name: 'tool_search', arguments: '{"query":"agents"}' },
      { type: 'tool_search_call', id: 'tsc_1', status: 'completed', call_id: 'call_x', arguments: { query: 'agents' }, execution: 'client' },
    ],
    [
      'an unknown name stays a function call',
      { name: 'other', arguments: '{}' },
      { type: 'function_call', id: 'fc_1', status: 'completed', call_id: 'call_x', name: 'other', arguments: '{}' },
    ],
  ];
  for (const [name, call, expected] of cases) {
    test(name, () => assert.deepEqual(toResponseCallItem(mapping, { id: 'call_x', ...call }, 'completed', counterIds()), expected));
  }

  test('a chat completion with a custom tool call becomes a custom_tool_call item', () => {
    const completion: ChatCompletion = {
      id: 'c',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: [
        {
          index: 0,
          finish_reason: 'tool_calls',
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'apply_patch', arguments: '{"input":"p"}' } }],
          },
        },
      ],
    };
    assert.deepEqual(convertChatCompletionToResponseOutput(completion, counterIds(), mapping).output, [
      { type: 'custom_tool_call', id: 'ctc_1', status: 'completed', call_id: 'call_1', name: 'apply_patch', input: 'p' },
    ]);
  });

  test('argumentsToCustomInput takes a JSON string as the input itself', () => {
    assert.equal(argumentsToCustomInput('"abc"'), 'abc');
  });
});

describe('a streamed custom tool call', () => {
  test('streams the input as custom_tool_call_input events, with no function-call argument events', () => {
    const request = parseRequest(responseCreateRequestSchema, { model: 'm', input: 'x', tools: [PATCH] });
    const response = buildResponseObject({
      id: 'resp_1',
      created_at: 1,
      status: 'in_progress',
      model: 'm',
      request,
      output: [],
      usage: null,
      error: null,
      incomplete_details: null,
      previous_response_id: null,
      conversation: null,
    });
    const translator = createResponseStreamTranslator({
      response,
      createItemId: counterIds(),
      now: () => 2,
      mapping: readChatToolMapping(request.tools ?? [], []),
    });
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
      id: 'c',
      object: 'chat.completion.chunk' as const,
      created: 1,
      model: 'm',
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    const events: ResponseStreamEvent[] = [
      ...translator.start(),
      ...translator.push(chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'apply_patch', arguments: '{"inp' } }] }) as never),
      ...translator.push(chunk({ tool_calls: [{ index: 0, function: { arguments: 'ut":"a\\nb"}' } }] }, 'tool_calls') as never),
      ...translator.finish(),
    ];
    assert.deepEqual(
      events.map((event) => event.type),
      [
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.custom_tool_call_input.delta',
        'response.custom_tool_call_input.done',
        'response.output_item.done',
        'response.completed',
      ],
    );
    assert.deepEqual(events[2], {
      type: 'response.output_item.added',
      sequence_number: 2,
      output_index: 0,
      item: { id: 'ctc_1', type: 'custom_tool_call', status: 'in_progress', call_id: 'call_1', name: 'apply_patch', input: '' },
    });
    assert.deepEqual(events[4], { type: 'response.custom_tool_call_input.done', sequence_number: 4, item_id: 'ctc_1', output_index: 0, input: 'a\nb' });
    assert.deepEqual(translator.output(), [
      { id: 'ctc_1', type: 'custom_tool_call', status: 'completed', call_id: 'call_1', name: 'apply_patch', input: 'a\nb' },
    ]);
  });
});
