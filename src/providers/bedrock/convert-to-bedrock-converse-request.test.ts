// Tests of translating OpenAI chat requests into Converse bodies: a table of named cases, then the refusals.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidRequestError, type ChatCompletionRequest } from '../../wire/index.ts';
import { makeTestRoute } from '../test-route.ts';
import { BEDROCK_CONVERSE_OPENING_TEXT } from './convert-to-bedrock-converse-messages.ts';
import {
  BEDROCK_JSON_RESPONSE_TOOL,
  BEDROCK_NO_TOOL_CALLS_INSTRUCTION,
  convertToBedrockConverseRequest,
  prepareBedrockConverseChat,
} from './convert-to-bedrock-converse-request.ts';

const route = makeTestRoute({
  id: 'bedrock-us-west-2-gpt-oss',
  provider: 'bedrock',
  endpoint: 'https://bedrock-runtime.us-west-2.amazonaws.com',
  region: 'us-west-2',
  deployment: 'openai.gpt-oss-120b-1:0',
  auth: { type: 'bearer', key: 'bedrock-api-key' },
});

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const WEATHER = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
const weatherSpec = {
  toolSpec: {
    name: 'get_weather',
    description: 'Current weather',
    inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  },
};
const user = (content: string) => ({ role: 'user' as const, content });
const permissiveSpec = (name: string) => ({ toolSpec: { name, inputSchema: { json: { type: 'object' } } } });
const WEATHER_HISTORY = [
  user('Weather in Paris?'),
  {
    role: 'assistant' as const,
    content: null,
    tool_calls: [{ id: 'call_1', type: 'function' as const, function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
  },
  { role: 'tool' as const, tool_call_id: 'call_1', content: 'sunny' },
];
const WEATHER_HISTORY_BODY = [
  { role: 'user', content: [{ text: 'Weather in Paris?' }] },
  { role: 'assistant', content: [{ toolUse: { toolUseId: 'call_1', name: 'get_weather', input: { city: 'Paris' } } }] },
  { role: 'user', content: [{ toolResult: { toolUseId: 'call_1', content: [{ text: 'sunny' }] } }] },
];

interface Case {
  name: string;
  request: Partial<ChatCompletionRequest> & Record<string, unknown>;
  body: Record<string, unknown>;
  /** The notes the conversion must push, one pattern each in order; unchecked when absent. */
  notes?: RegExp[];
}

const cases: Case[] = [
  {
    name: 'one user message',
    request: { messages: [user('Hi')] },
    body: { messages: [{ role: 'user', content: [{ text: 'Hi' }] }] },
  },
  {
    name: 'system and developer messages become system blocks in order',
    request: {
      messages: [{ role: 'system', content: 'Be terse.' }, { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] }, user('Hi')],
    },
    body: { system: [{ text: 'Be terse.' }, { text: 'Answer in French.' }], messages: [{ role: 'user', content: [{ text: 'Hi' }] }] },
  },
  {
    name: 'multi-turn keeps the roles',
    request: { messages: [user('Q1'), { role: 'assistant', content: 'A1' }, user('Q2')] },
    body: {
      messages: [
        { role: 'user', content: [{ text: 'Q1' }] },
        { role: 'assistant', content: [{ text: 'A1' }] },
        { role: 'user', content: [{ text: 'Q2' }] },
      ],
    },
  },
  {
    name: 'consecutive messages of one role are merged (Converse requires alternation)',
    request: { messages: [user('a'), user('b'), { role: 'assistant', content: 'c' }, { role: 'assistant', content: 'd' }] },
    body: {
      messages: [
        { role: 'user', content: [{ text: 'a' }, { text: 'b' }] },
        { role: 'assistant', content: [{ text: 'c' }, { text: 'd' }] },
      ],
    },
  },
  {
    name: 'text and data-URL image parts (png, jpeg via image/jpg, webp, gif)',
    request: {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}`, detail: 'high' } },
            { type: 'image_url', image_url: { url: `data:image/jpg;base64,${PNG}` } },
            { type: 'image_url', image_url: { url: `data:IMAGE/WEBP;name=x.webp;base64,${PNG}` } },
            { type: 'image_url', image_url: { url: `data:image/gif;base64,${PNG}` } },
          ],
        },
      ],
    },
    body: {
      messages: [
        {
          role: 'user',
          content: [
            { text: 'What is this?' },
            { image: { format: 'png', source: { bytes: PNG } } },
            { image: { format: 'jpeg', source: { bytes: PNG } } },
            { image: { format: 'webp', source: { bytes: PNG } } },
            { image: { format: 'gif', source: { bytes: PNG } } },
          ],
        },
      ],
    },
  },
  {
    name: 'assistant tool calls become toolUse blocks with parsed input; empty text and empty arguments',
    request: {
      messages: [
        user('Weather?'),
        {
          role: 'assistant',
          content: '',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '' } },
          ],
        },
      ],
    },
    body: {
      messages: [
        { role: 'user', content: [{ text: 'Weather?' }] },
        {
          role: 'assistant',
          content: [
            { toolUse: { toolUseId: 'call_1', name: 'get_weather', input: { city: 'Paris' } } },
            { toolUse: { toolUseId: 'call_2', name: 'get_time', input: {} } },
          ],
        },
      ],
      // The history holds tool blocks and the request defines no tools: Converse still needs toolConfig.
      system: [{ text: BEDROCK_NO_TOOL_CALLS_INSTRUCTION }],
      toolConfig: { tools: [permissiveSpec('get_weather'), permissiveSpec('get_time')] },
    },
  },
  {
    name: 'assistant with null content and a refusal part',
    request: { messages: [user('x'), { role: 'assistant', content: [{ type: 'refusal', refusal: 'I cannot.' }] }, user('y')] },
    body: {
      messages: [
        { role: 'user', content: [{ text: 'x' }] },
        { role: 'assistant', content: [{ text: 'I cannot.' }] },
        { role: 'user', content: [{ text: 'y' }] },
      ],
    },
  },
  {
    name: 'consecutive tool results are grouped into one user message, followed by user text',
    request: {
      messages: [
        user('Weather in Paris and Oslo?'),
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temperature": 21}' },
        { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: 'cold' }] },
        user('Thanks'),
      ],
    },
    body: {
      messages: [
        { role: 'user', content: [{ text: 'Weather in Paris and Oslo?' }] },
        {
          role: 'assistant',
          content: [
            { toolUse: { toolUseId: 'call_1', name: 'get_weather', input: { city: 'Paris' } } },
            { toolUse: { toolUseId: 'call_2', name: 'get_weather', input: { city: 'Oslo' } } },
          ],
        },
        {
          role: 'user',
          content: [
            { toolResult: { toolUseId: 'call_1', content: [{ text: '{"temperature": 21}' }] } },
            { toolResult: { toolUseId: 'call_2', content: [{ text: 'cold' }] } },
            { text: 'Thanks' },
          ],
        },
      ],
      system: [{ text: BEDROCK_NO_TOOL_CALLS_INSTRUCTION }],
      toolConfig: { tools: [permissiveSpec('get_weather')] },
    },
  },
  {
    name: 'max_completion_tokens wins over max_tokens; temperature, top_p, stop list',
    request: { messages: [user('Hi')], max_tokens: 50, max_completion_tokens: 20, temperature: 0.2, top_p: 0.9, stop: ['END', 'STOP'] },
    body: {
      messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
      inferenceConfig: { maxTokens: 20, temperature: 0.2, topP: 0.9, stopSequences: ['END', 'STOP'] },
    },
  },
  {
    name: 'max_tokens alone; stop as a string; empty stop strings dropped',
    request: { messages: [user('Hi')], max_tokens: 50, stop: 'END' },
    body: { messages: [{ role: 'user', content: [{ text: 'Hi' }] }], inferenceConfig: { maxTokens: 50, stopSequences: ['END'] } },
  },
  {
    name: 'nulls leave inferenceConfig out',
    request: { messages: [user('Hi')], max_tokens: null, temperature: null, top_p: null, stop: null, n: 1 },
    body: { messages: [{ role: 'user', content: [{ text: 'Hi' }] }] },
  },
  {
    name: 'a stop list of empty strings leaves stopSequences out',
    request: { messages: [user('Hi')], stop: ['', ''] },
    body: { messages: [{ role: 'user', content: [{ text: 'Hi' }] }] },
  },
  {
    name: 'tools without tool_choice: no toolChoice (the model decides)',
    request: { messages: [user('Hi')], tools: [WEATHER] },
    body: { messages: [{ role: 'user', content: [{ text: 'Hi' }] }], toolConfig: { tools: [weatherSpec] } },
  },
  {
    name: 'tool_choice auto',
    request: { messages: [user('Hi')], tools: [WEATHER], tool_choice: 'auto' },
    body: { messages: [{ role: 'user', content: [{ text: 'Hi' }] }], toolConfig: { tools: [weatherSpec], toolChoice: { auto: {} } } },
  },
  {
    name: 'tool_choice required -> any',
    request: { messages: [user('Hi')], tools: [WEATHER], tool_choice: 'required' },
    body: { messages: [{ role: 'user', content: [{ text: 'Hi' }] }], toolConfig: { tools: [weatherSpec], toolChoice: { any: {} } } },
  },
  {
    name: 'tool_choice function -> tool',
    request: { messages: [user('Hi')], tools: [WEATHER], tool_choice: { type: 'function', function: { name: 'get_weather' } } },
    body: {
      messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
      toolConfig: { tools: [weatherSpec], toolChoice: { tool: { name: 'get_weather' } } },
    },
  },
  {
    name: 'tool_choice none leaves the tools out',
    request: { messages: [user('Hi')], tools: [WEATHER], tool_choice: 'none' },
    body: { messages: [{ role: 'user', content: [{ text: 'Hi' }] }] },
  },
  {
    name: 'tool history with tool_choice none: the history tool declared from the client definition, no choice, answer in text',
    request: { messages: WEATHER_HISTORY, tools: [WEATHER], tool_choice: 'none' },
    body: { messages: WEATHER_HISTORY_BODY, system: [{ text: BEDROCK_NO_TOOL_CALLS_INSTRUCTION }], toolConfig: { tools: [weatherSpec] } },
    notes: [/^Declared the tools the history used \(get_weather\)/, /answer in text/],
  },
  {
    name: 'tool history with tools: a history tool the request does not define is declared beside them',
    request: { messages: WEATHER_HISTORY, tools: [{ type: 'function', function: { name: 'ping' } }], tool_choice: 'auto' },
    body: {
      messages: WEATHER_HISTORY_BODY,
      toolConfig: {
        tools: [{ toolSpec: { name: 'ping', inputSchema: { json: { type: 'object', properties: {} } } } }, permissiveSpec('get_weather')],
        toolChoice: { auto: {} },
      },
    },
    notes: [/^Declared the tools the history used \(get_weather\)/],
  },
  {
    name: 'tool history whose tools are all defined: nothing added',
    request: { messages: WEATHER_HISTORY, tools: [WEATHER] },
    body: { messages: WEATHER_HISTORY_BODY, toolConfig: { tools: [weatherSpec] } },
    notes: [],
  },
  {
    name: 'temperature above Converse range is clamped to 1, and noted',
    request: { messages: [user('Hi')], temperature: 1.5 },
    body: { messages: [{ role: 'user', content: [{ text: 'Hi' }] }], inferenceConfig: { temperature: 1 } },
    notes: [/^temperature 1.5 clamped to 1/],
  },
  {
    name: 'temperature inside 0..1 is sent as is, without a note',
    request: { messages: [user('Hi')], temperature: 0.7 },
    body: { messages: [{ role: 'user', content: [{ text: 'Hi' }] }], inferenceConfig: { temperature: 0.7 } },
    notes: [],
  },
  {
    name: 'a conversation opening with an assistant message gets a user message first; every message kept',
    request: { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'assistant', content: 'How can I help?' }, user('Hi')] },
    body: {
      system: [{ text: 'Be brief.' }],
      messages: [
        { role: 'user', content: [{ text: BEDROCK_CONVERSE_OPENING_TEXT }] },
        { role: 'assistant', content: [{ text: 'How can I help?' }] },
        { role: 'user', content: [{ text: 'Hi' }] },
      ],
    },
    notes: [/before the first assistant message/],
  },
  {
    name: 'a system-only conversation keeps the system prompt and gets a user message',
    request: { messages: [{ role: 'system', content: 'Say hello.' }] },
    body: { system: [{ text: 'Say hello.' }], messages: [{ role: 'user', content: [{ text: BEDROCK_CONVERSE_OPENING_TEXT }] }] },
    notes: [/after the system prompt/],
  },
  {
    name: 'a tool without parameters or description gets an empty object schema; strict is not sent',
    request: { messages: [user('Hi')], tools: [{ type: 'function', function: { name: 'ping', strict: true } }] },
    body: {
      messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
      toolConfig: { tools: [{ toolSpec: { name: 'ping', inputSchema: { json: { type: 'object', properties: {} } } } }] },
    },
  },
  {
    name: 'response_format json_schema -> the forced answer tool',
    request: {
      messages: [user('A person')],
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'person', strict: true, schema: { type: 'object', properties: { name: { type: 'string' } } } },
      },
    },
    body: {
      messages: [{ role: 'user', content: [{ text: 'A person' }] }],
      toolConfig: {
        tools: [
          {
            toolSpec: {
              name: BEDROCK_JSON_RESPONSE_TOOL,
              description: "Give the final answer by calling this tool: its input is the answer, a JSON value matching the schema 'person'.",
              inputSchema: { json: { type: 'object', properties: { name: { type: 'string' } } } },
            },
          },
        ],
        toolChoice: { any: {} },
      },
    },
  },
  {
    name: 'response_format json_object -> the forced answer tool with an object schema',
    request: { messages: [user('JSON please')], response_format: { type: 'json_object' } },
    body: {
      messages: [{ role: 'user', content: [{ text: 'JSON please' }] }],
      toolConfig: {
        tools: [
          {
            toolSpec: {
              name: BEDROCK_JSON_RESPONSE_TOOL,
              description: 'Give the final answer by calling this tool: its input is the answer, as a JSON object.',
              inputSchema: { json: { type: 'object' } },
            },
          },
        ],
        toolChoice: { any: {} },
      },
    },
  },
  {
    name: 'json_schema beside client tools: both offered, the model must call one',
    request: {
      messages: [user('Hi')],
      tools: [WEATHER],
      response_format: { type: 'json_schema', json_schema: { name: 'r', description: 'The report.', schema: { type: 'object' } } },
    },
    body: {
      messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
      toolConfig: {
        tools: [
          weatherSpec,
          {
            toolSpec: {
              name: BEDROCK_JSON_RESPONSE_TOOL,
              description: "Give the final answer by calling this tool: its input is the answer, a JSON value matching the schema 'r'. The report.",
              inputSchema: { json: { type: 'object' } },
            },
          },
        ],
        toolChoice: { any: {} },
      },
    },
  },
  {
    name: 'harmless fields are ignored: user, metadata, store, parallel_tool_calls, seed, service_tier, stream_options, response_format text',
    request: {
      messages: [user('Hi')],
      user: 'u-1',
      metadata: { a: 'b' },
      store: true,
      parallel_tool_calls: false,
      seed: 7,
      service_tier: 'auto',
      stream_options: { include_usage: true },
      response_format: { type: 'text' },
      logprobs: false,
      frequency_penalty: 0,
      presence_penalty: 0,
      logit_bias: {},
      modalities: ['text'],
    },
    body: { messages: [{ role: 'user', content: [{ text: 'Hi' }] }] },
  },
];

describe('convertToBedrockConverseRequest', () => {
  for (const item of cases) {
    test(item.name, () => {
      const request = { model: 'client-model', messages: [], ...item.request } as ChatCompletionRequest;
      const notes: string[] = [];
      assert.deepEqual(convertToBedrockConverseRequest(request, route, notes), item.body);
      if (item.notes !== undefined) {
        assert.equal(notes.length, item.notes.length, notes.join(' | '));
        for (const [i, pattern] of item.notes.entries()) assert.match(notes[i] ?? '', pattern);
      }
    });
  }
});

describe('prepareBedrockConverseChat', () => {
  test('the conversion notes travel with the prepared request; none, no notes field', () => {
    const clamped = prepareBedrockConverseChat({ model: 'x', messages: [user('Hi')], temperature: 2 }, route);
    assert.deepEqual(clamped.notes, ['temperature 2 clamped to 1: Converse accepts 0 to 1.']);
    assert.equal(JSON.parse(clamped.body ?? '{}').inferenceConfig.temperature, 1);
    assert.equal('notes' in prepareBedrockConverseChat({ model: 'x', messages: [user('Hi')] }, route), false);
  });
  test('Converse: JSON in and out, model id percent-encoded in the path, route headers kept', () => {
    const prepared = prepareBedrockConverseChat({ model: 'x', messages: [user('Hi')] }, { ...route, headers: { 'X-Amzn-Bedrock-Trace': 'ENABLED' } });
    assert.equal(prepared.method, 'POST');
    assert.equal(prepared.url, 'https://bedrock-runtime.us-west-2.amazonaws.com/model/openai.gpt-oss-120b-1%3A0/converse');
    assert.deepEqual(prepared.headers, { 'x-amzn-bedrock-trace': 'ENABLED', 'content-type': 'application/json', accept: 'application/json' });
    assert.deepEqual(JSON.parse(prepared.body ?? ''), { messages: [{ role: 'user', content: [{ text: 'Hi' }] }] });
  });

  test('ConverseStream: the stream path and the event stream accept header; stream fields are not sent', () => {
    const prepared = prepareBedrockConverseChat({ model: 'x', messages: [user('Hi')], stream: true, stream_options: { include_usage: false } }, route);
    assert.equal(prepared.url, 'https://bedrock-runtime.us-west-2.amazonaws.com/model/openai.gpt-oss-120b-1%3A0/converse-stream');
    assert.equal(prepared.headers.accept, 'application/vnd.amazon.eventstream');
    assert.deepEqual(JSON.parse(prepared.body ?? ''), { messages: [{ role: 'user', content: [{ text: 'Hi' }] }] });
  });
});

const refusals: { name: string; request: Record<string, unknown>; param: string }[] = [
  {
    name: 'an http(s) image URL cannot be carried',
    request: {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'x' },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
          ],
        },
      ],
    },
    param: 'messages[0].content[1].image_url',
  },
  {
    name: 'an image type Converse does not know',
    request: { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/bmp;base64,${PNG}` } }] }] },
    param: 'messages[0].content[0].image_url',
  },
  {
    name: 'a data URL that is not base64',
    request: { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png,rawbytes' } }] }] },
    param: 'messages[0].content[0].image_url',
  },
  {
    name: 'an audio part',
    request: { messages: [user('a'), { role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }] },
    param: 'messages[1].content[0].type',
  },
  {
    name: 'a legacy function message',
    request: { messages: [user('a'), { role: 'function', name: 'f', content: 'x' }] },
    param: 'messages[1].role',
  },
  {
    name: 'tool call arguments that are not JSON',
    request: {
      messages: [user('a'), { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{oops' } }] }],
    },
    param: 'messages[1].tool_calls[0].function.arguments',
  },
  { name: 'n > 1', request: { messages: [user('a')], n: 2 }, param: 'n' },
  { name: 'logprobs: true', request: { messages: [user('a')], logprobs: true }, param: 'logprobs' },
  { name: 'top_logprobs', request: { messages: [user('a')], top_logprobs: 2 }, param: 'top_logprobs' },
  { name: 'audio output', request: { messages: [user('a')], audio: { voice: 'alloy', format: 'wav' } }, param: 'audio' },
  { name: 'audio modality', request: { messages: [user('a')], modalities: ['text', 'audio'] }, param: 'modalities' },
  { name: 'predicted output', request: { messages: [user('a')], prediction: { type: 'content', content: 'x' } }, param: 'prediction' },
  { name: 'logit_bias', request: { messages: [user('a')], logit_bias: { '50256': -100 } }, param: 'logit_bias' },
  { name: 'frequency_penalty', request: { messages: [user('a')], frequency_penalty: 0.5 }, param: 'frequency_penalty' },
  { name: 'presence_penalty', request: { messages: [user('a')], presence_penalty: -1 }, param: 'presence_penalty' },
  { name: 'legacy functions', request: { messages: [user('a')], functions: [{ name: 'f' }] }, param: 'functions' },
  { name: 'web_search_options', request: { messages: [user('a')], web_search_options: {} }, param: 'web_search_options' },
  {
    name: 'reasoning_effort on a route without the reasoning capability',
    request: { messages: [user('a')], reasoning_effort: 'low' },
    param: 'reasoning_effort',
  },
  { name: 'verbosity', request: { messages: [user('a')], verbosity: 'low' }, param: 'verbosity' },
  {
    name: 'a client tool with the reserved answer tool name',
    request: { messages: [user('a')], tools: [{ type: 'function', function: { name: BEDROCK_JSON_RESPONSE_TOOL } }] },
    param: 'tools[0].function.name',
  },
  {
    name: 'tool_choice naming a tool that is not offered',
    request: { messages: [user('a')], tools: [WEATHER], tool_choice: { type: 'function', function: { name: 'other' } } },
    param: 'tool_choice',
  },
];

describe('reasoning_effort on Converse: additionalModelRequestFields on a route with the reasoning capability', () => {
  const reasoningRoute = { ...route, capabilities: ['tools', 'reasoning'] } as typeof route;
  for (const effort of ['low', 'medium', 'high']) {
    test(`reasoning_effort ${effort} -> additionalModelRequestFields.reasoning_effort`, () => {
      const notes: string[] = [];
      const body = convertToBedrockConverseRequest(
        { model: 'm', messages: [user('Think')], reasoning_effort: effort } as ChatCompletionRequest,
        reasoningRoute,
        notes,
      );
      assert.deepEqual(body, { messages: [{ role: 'user', content: [{ text: 'Think' }] }], additionalModelRequestFields: { reasoning_effort: effort } });
      assert.deepEqual(notes, []);
    });
  }
  test('no reasoning_effort (or null): no additionalModelRequestFields', () => {
    for (const request of [{ messages: [user('a')] }, { messages: [user('a')], reasoning_effort: null }]) {
      const body = convertToBedrockConverseRequest({ model: 'm', ...request } as ChatCompletionRequest, reasoningRoute);
      assert.equal('additionalModelRequestFields' in body, false);
    }
  });
  test('the field travels beside tools and inference settings', () => {
    const body = convertToBedrockConverseRequest(
      { model: 'm', messages: [user('a')], tools: [WEATHER], max_tokens: 50, reasoning_effort: 'high' } as ChatCompletionRequest,
      reasoningRoute,
    );
    assert.deepEqual(body.additionalModelRequestFields, { reasoning_effort: 'high' });
    assert.deepEqual(body.inferenceConfig, { maxTokens: 50 });
    assert.equal(body.toolConfig?.tools.length, 1);
  });
});

describe('requests Converse cannot carry are refused with a 400 naming the parameter and the route', () => {
  for (const item of refusals) {
    test(item.name, () => {
      assert.throws(
        () => convertToBedrockConverseRequest({ model: 'm', ...item.request } as ChatCompletionRequest, route),
        (error: unknown) => {
          assert.ok(error instanceof InvalidRequestError);
          assert.equal(error.status, 400);
          assert.equal(error.param, item.param);
          assert.match(error.message, /\(route bedrock-us-west-2-gpt-oss\)$/);
          return true;
        },
      );
    });
  }
});
