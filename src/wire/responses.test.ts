// Tests of the Responses and Conversations request validators: what passes, what is refused and which parameter a
// refusal names (OpenAI's `param`), through parseRequest as the HTTP edge calls them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ResponseCreateParamsNonStreaming } from 'openai/resources/responses/responses';
import type { ConversationCreateParams } from 'openai/resources/conversations/conversations';
import { InvalidRequestError } from './crossway-error.ts';
import { parseRequest } from './parse-request.ts';
import {
  compactRequestSchema,
  conversationCreateRequestSchema,
  conversationItemsCreateRequestSchema,
  conversationUpdateRequestSchema,
  inputTokensRequestSchema,
  responseCreateRequestSchema,
  responseInputItemSchema,
} from './responses.ts';

const metadataOf = (pairs: number, keyLength = 3, valueLength = 3): Record<string, string> =>
  Object.fromEntries(Array.from({ length: pairs }, (_, i) => [`${i}`.padStart(keyLength, 'k'), 'v'.repeat(valueLength)]));

function refusedParam(schema: Parameters<typeof parseRequest>[0], body: unknown): string | null {
  try {
    parseRequest(schema, body);
  } catch (error) {
    assert.ok(error instanceof InvalidRequestError, `expected InvalidRequestError, got ${String(error)}`);
    assert.equal(error.status, 400);
    return error.param;
  }
  assert.fail('expected the body to be refused');
}

describe('responseCreateRequestSchema accepts', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['a string input', { model: 'm', input: 'hi' }],
    ['no input (previous_response_id only)', { model: 'm', previous_response_id: 'resp_1' }],
    ['EasyInputMessage without type', { model: 'm', input: [{ role: 'user', content: 'hi' }] }],
    ['all four message roles', { model: 'm', input: ['user', 'assistant', 'system', 'developer'].map((role) => ({ role, content: 'x' })) }],
    [
      'input parts',
      {
        model: 'm',
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_text', text: 'a' },
              { type: 'input_image', image_url: 'https://x/y.png', detail: 'low' },
              { type: 'input_file', file_data: 'data:application/pdf;base64,AA', filename: 'a.pdf' },
            ],
          },
        ],
      },
    ],
    [
      'an earlier answer as input',
      {
        model: 'm',
        input: [
          {
            id: 'msg_1',
            type: 'message',
            role: 'assistant',
            status: 'completed',
            content: [
              { type: 'output_text', text: 'a', annotations: [] },
              { type: 'refusal', refusal: 'no' },
            ],
          },
        ],
      },
    ],
    [
      'function_call and function_call_output',
      {
        model: 'm',
        input: [
          { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' },
          { type: 'function_call_output', call_id: 'c', output: '42' },
        ],
      },
    ],
    ['an item_reference with or without type', { model: 'm', input: [{ type: 'item_reference', id: 'msg_1' }, { id: 'msg_2' }] }],
    ['a reasoning item', { model: 'm', input: [{ type: 'reasoning', id: 'rs_1', summary: [] }] }],
    [
      'function and hosted tools',
      { model: 'm', input: 'x', tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' }, strict: null }, { type: 'web_search' }] },
    ],
    ['every tool_choice form', { model: 'm', input: 'x', tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'function', name: 'f' }] } }],
    ['a hosted tool_choice', { model: 'm', input: 'x', tool_choice: { type: 'web_search_preview' } }],
    [
      'text.format json_schema',
      { model: 'm', input: 'x', text: { format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true }, verbosity: 'low' } },
    ],
    [
      'nulls where OpenAI allows them',
      { model: 'm', input: 'x', instructions: null, temperature: null, metadata: null, tools: null, conversation: null, store: null },
    ],
    ['a conversation id or object', { model: 'm', input: 'x', conversation: { id: 'conv_1' } }],
    ['16 metadata pairs at the size limits', { model: 'm', input: 'x', metadata: metadataOf(16, 64, 512) }],
    ['Crossway fields', { model: 'm', input: 'x', models: ['b'], crossway: { prefer: 'price' } }],
    ['unknown fields (kept)', { model: 'm', input: 'x', some_new_field: { a: 1 } }],
  ];
  for (const [name, body] of cases) {
    test(name, () => {
      const parsed = parseRequest(responseCreateRequestSchema, body);
      assert.equal(parsed.model, 'm');
    });
  }

  test('keeps unknown fields and fills in the type of typeless items', () => {
    const parsed = parseRequest(responseCreateRequestSchema, { model: 'm', input: [{ role: 'user', content: 'x' }, { id: 'msg_2' }], extra: 1 });
    assert.equal(parsed.extra, 1);
    assert.deepEqual(
      (parsed.input as Array<{ type: string }>).map((item) => item.type),
      ['message', 'item_reference'],
    );
  });

  test("the official client's parameter type is a valid body", () => {
    const params: ResponseCreateParamsNonStreaming = {
      model: 'gpt-4o',
      instructions: 'Be brief.',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'hi' }] }],
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object', properties: {} }, strict: true }],
      tool_choice: { type: 'function', name: 'f' },
      text: { format: { type: 'json_object' } },
      max_output_tokens: 100,
      metadata: { a: 'b' },
      store: false,
    };
    assert.equal(parseRequest(responseCreateRequestSchema, params).store, false);
  });
});

describe('responseCreateRequestSchema refuses, naming the parameter', () => {
  const cases: Array<[string, Record<string, unknown>, string | null]> = [
    ['a missing model', { input: 'x' }, 'model'],
    ['17 metadata pairs', { model: 'm', input: 'x', metadata: metadataOf(17) }, 'metadata'],
    ['a metadata key of 65 characters', { model: 'm', input: 'x', metadata: metadataOf(1, 65) }, 'metadata'],
    ['a metadata value of 513 characters', { model: 'm', input: 'x', metadata: metadataOf(1, 3, 513) }, 'metadata'],
    ['a non-string metadata value', { model: 'm', input: 'x', metadata: { a: 1 } }, 'metadata.a'],
    ['an unknown truncation', { model: 'm', input: 'x', truncation: 'middle' }, 'truncation'],
    ['max_output_tokens below 16', { model: 'm', input: 'x', max_output_tokens: 15 }, 'max_output_tokens'],
    ['temperature above 2', { model: 'm', input: 'x', temperature: 2.5 }, 'temperature'],
    ['a bad function name', { model: 'm', input: 'x', tools: [{ type: 'web_search' }, { type: 'function', name: 'bad name' }] }, 'tools[1].name'],
    ['a function tool without name', { model: 'm', input: 'x', tools: [{ type: 'function' }] }, 'tools[0].name'],
    [
      'an unknown item type',
      {
        model: 'm',
        input: [
          { role: 'user', content: 'x' },
          { type: 'computer_call_output', call_id: 'c' },
        ],
      },
      'input[1].type',
    ],
    ['an unknown role', { model: 'm', input: [{ role: 'tool', content: 'x' }] }, 'input[0].role'],
    ['an output_text part in a user message', { model: 'm', input: [{ role: 'user', content: [{ type: 'output_text', text: 'x' }] }] }, 'input[0].content'],
    [
      'an image without url or file id',
      { model: 'm', input: [{ role: 'user', content: [{ type: 'input_image', detail: 'auto' }] }] },
      'input[0].content[0].image_url',
    ],
    ['a function_call without call_id', { model: 'm', input: [{ type: 'function_call', name: 'f', arguments: '{}' }] }, 'input[0].call_id'],
    ['a json_schema format without schema', { model: 'm', input: 'x', text: { format: { type: 'json_schema', name: 'n' } } }, 'text.format.schema'],
    ['a function tool_choice without name', { model: 'm', input: 'x', tool_choice: { type: 'function' } }, 'tool_choice.type'],
    ['an empty conversation id', { model: 'm', input: 'x', conversation: '' }, 'conversation'],
  ];
  for (const [name, body, param] of cases) {
    test(name, () => assert.equal(refusedParam(responseCreateRequestSchema, body), param));
  }
});

describe('responseInputItemSchema', () => {
  test('a bare object with neither role nor id is refused at its type', () => {
    const result = responseInputItemSchema.safeParse({ content: 'x' });
    assert.equal(result.success, false);
    assert.deepEqual(result.error?.issues[0]?.path, ['type']);
  });
});

describe('conversation request schemas', () => {
  test("create: items and metadata are optional; the client's parameter type passes", () => {
    const params: ConversationCreateParams = { items: [{ type: 'message', role: 'user', content: 'hi' }], metadata: { topic: 'demo' } };
    assert.deepEqual(parseRequest(conversationCreateRequestSchema, params).metadata, { topic: 'demo' });
    assert.deepEqual(parseRequest(conversationCreateRequestSchema, {}), {});
  });
  test('create: at most 20 items', () => {
    const items = Array.from({ length: 21 }, () => ({ role: 'user', content: 'x' }));
    assert.equal(refusedParam(conversationCreateRequestSchema, { items }), 'items');
  });
  test('update: metadata is required; null clears it', () => {
    assert.equal(refusedParam(conversationUpdateRequestSchema, {}), 'metadata');
    assert.deepEqual(parseRequest(conversationUpdateRequestSchema, { metadata: null }).metadata, {});
    assert.equal(refusedParam(conversationUpdateRequestSchema, { metadata: metadataOf(17) }), 'metadata');
  });
  test('items: 1 to 20', () => {
    assert.equal(refusedParam(conversationItemsCreateRequestSchema, { items: [] }), 'items');
    assert.equal(refusedParam(conversationItemsCreateRequestSchema, { items: Array.from({ length: 21 }, () => ({ role: 'user', content: 'x' })) }), 'items');
    assert.equal(parseRequest(conversationItemsCreateRequestSchema, { items: [{ role: 'user', content: 'x' }] }).items.length, 1);
  });
});

describe('input_tokens and compact request schemas', () => {
  test('input_tokens: every field optional, nulls allowed', () => {
    assert.deepEqual(parseRequest(inputTokensRequestSchema, {}), {});
    assert.equal(parseRequest(inputTokensRequestSchema, { model: null, input: 'x', conversation: 'conv_1' }).input, 'x');
    assert.equal(refusedParam(inputTokensRequestSchema, { input: [{ type: 'nope' }] }), 'input[0].type');
  });
  test('compact: model is required', () => {
    assert.equal(refusedParam(compactRequestSchema, { input: 'x' }), 'model');
    assert.equal(parseRequest(compactRequestSchema, { model: 'm', previous_response_id: 'resp_1' }).previous_response_id, 'resp_1');
    assert.equal(refusedParam(compactRequestSchema, { model: 'm', prompt_cache_key: 'k'.repeat(65) }), 'prompt_cache_key');
  });
});
