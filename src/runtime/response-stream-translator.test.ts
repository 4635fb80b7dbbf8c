// Tests of translating chat-completion streams into the Responses API's streaming events: the exact event order for a
// text answer, a two-call function answer and a truncated answer, sequence numbers, the final Response object, and
// that the events have the official client's shapes (checked by tsc through the `openai` package's types).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type {
  Response,
  ResponseContentPartAddedEvent,
  ResponseFunctionCallArgumentsDeltaEvent,
  ResponseFunctionCallArgumentsDoneEvent,
  ResponseFunctionToolCall,
  ResponseOutputItemAddedEvent,
  ResponseOutputMessage,
  ResponseOutputRefusal,
  ResponseOutputText,
  ResponseReasoningItem,
  ResponseReasoningTextDeltaEvent,
  ResponseReasoningTextDoneEvent,
  ResponseRefusalDeltaEvent,
  ResponseTextDeltaEvent,
  ResponseTextDoneEvent,
  ResponseUsage,
  ResponseCustomToolCall,
  ResponseToolSearchCall,
  FunctionTool,
} from 'openai/resources/responses/responses';
import type { ChatCompletionChunk, ResponseObject, ResponseOutputItem, ResponseStreamEvent } from '../wire/index.ts';
import { buildResponseObject } from './build-response-object.ts';
import { encodeResponseStreamEvent } from './encode-response-stream-event.ts';
import { createResponseStreamTranslator } from './response-stream-translator.ts';

/** Parses chat-completion SSE text (`data: <json>` events, `[DONE]` last) into chunks; for these tests only. */
export function parseChatCompletionChunks(sseText: string): ChatCompletionChunk[] {
  const chunks: ChatCompletionChunk[] = [];
  for (const event of sseText.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trimStart())
      .join('\n');
    if (data !== '' && data !== '[DONE]') chunks.push(JSON.parse(data) as ChatCompletionChunk);
  }
  return chunks;
}

/** A fixture (one data payload per line) as the SSE text an upstream sends. */
function readFixture(name: string): string {
  const lines = readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line !== '');
  return lines.map((line) => `data: ${line}\n\n`).join('');
}

// The official client's types, relaxed only where OpenAI's JSON and the SDK's types disagree (null `usage`/`user`
// before completion, as the API reference's stream example shows), where the SDK narrows a field Crossway widens
// (error codes, service tier, annotations and logprobs it never fills) and for the fields the SDK computes (`output_text`).
type SdkOutputText = Omit<ResponseOutputText, 'annotations' | 'logprobs'> & { annotations: unknown[]; logprobs?: unknown[] };
// Reasoning and hosted tool call items are relayed from a native route as the cloud sent them.
type SdkOutputItem =
  | (Omit<ResponseOutputMessage, 'content'> & { content: Array<SdkOutputText | ResponseOutputRefusal> })
  | ResponseFunctionToolCall
  | ResponseCustomToolCall
  | ResponseToolSearchCall
  | ({ type: 'reasoning' | 'web_search_call' | 'file_search_call' | 'code_interpreter_call' | 'image_generation_call' } & Record<string, unknown>);
// Non-function tools are echoed as the request gave them.
type SdkResponseJson = Omit<Response, 'output_text' | 'access_programs' | 'usage' | 'user' | 'error' | 'service_tier' | 'output' | 'tools'> & {
  tools: Array<FunctionTool | Record<string, unknown>>;
  output: SdkOutputItem[];
  usage: ResponseUsage | null;
  user: string | null;
  error: { code: string; message: string } | null;
  service_tier: string;
};

/** Compile-time (and run-time trivial) check that every event has the client's shape for its type. */
function checkClientShapes(events: readonly ResponseStreamEvent[]): number {
  let checked = 0;
  for (const event of events) {
    switch (event.type) {
      case 'response.created':
      case 'response.in_progress':
      case 'response.completed':
      case 'response.incomplete':
      case 'response.failed':
      case 'response.queued': {
        const response: SdkResponseJson = event.response;
        checked += response.object === 'response' ? 1 : 0;
        break;
      }
      case 'response.output_item.added':
      case 'response.output_item.done': {
        const shaped: Omit<ResponseOutputItemAddedEvent, 'item' | 'type'> & { item: SdkOutputItem } = event;
        checked += shaped.output_index >= 0 ? 1 : 0;
        break;
      }
      case 'response.content_part.added':
      case 'response.content_part.done': {
        const shaped: Omit<ResponseContentPartAddedEvent, 'part' | 'type'> & {
          part: SdkOutputText | ResponseOutputRefusal | ResponseContentPartAddedEvent.ReasoningText;
        } = event;
        checked += shaped.content_index >= 0 ? 1 : 0;
        break;
      }
      case 'response.output_text.delta': {
        const shaped: ResponseTextDeltaEvent = event;
        checked += shaped.delta === '' ? 0 : 1;
        break;
      }
      case 'response.output_text.done': {
        const shaped: ResponseTextDoneEvent = event;
        checked += typeof shaped.text === 'string' ? 1 : 0;
        break;
      }
      case 'response.reasoning_text.delta': {
        const shaped: ResponseReasoningTextDeltaEvent = event;
        checked += shaped.delta === '' ? 0 : 1;
        break;
      }
      case 'response.reasoning_text.done': {
        const shaped: ResponseReasoningTextDoneEvent = event;
        checked += typeof shaped.text === 'string' ? 1 : 0;
        break;
      }
      case 'response.refusal.delta': {
        const shaped: ResponseRefusalDeltaEvent = event;
        checked += shaped.delta === '' ? 0 : 1;
        break;
      }
      case 'response.function_call_arguments.delta': {
        const shaped: ResponseFunctionCallArgumentsDeltaEvent = event;
        checked += shaped.delta === '' ? 0 : 1;
        break;
      }
      case 'response.function_call_arguments.done': {
        const shaped: ResponseFunctionCallArgumentsDoneEvent = event;
        checked += typeof shaped.arguments === 'string' ? 1 : 0;
        break;
      }
      default:
        checked += 1;
    }
  }
  return checked;
}

function counterIds(): (prefix: string) => string {
  const counts = new Map<string, number>();
  return (prefix) => {
    const next = (counts.get(prefix) ?? 0) + 1;
    counts.set(prefix, next);
    return `${prefix}_${next}`;
  };
}

const COMPLETED_AT = 1_741_570_999;

function pendingResponse(): ResponseObject {
  return buildResponseObject({
    id: 'resp_1',
    created_at: 1_741_570_283,
    status: 'in_progress',
    model: 'gpt-4o',
    request: { model: 'gpt-4o', input: 'hi' },
    output: [],
    usage: null,
    error: null,
    incomplete_details: null,
    previous_response_id: null,
    conversation: null,
  });
}

function translate(chunks: readonly ChatCompletionChunk[]) {
  const translator = createResponseStreamTranslator({ response: pendingResponse(), createItemId: counterIds(), now: () => COMPLETED_AT });
  const events = [...translator.start()];
  for (const chunk of chunks) events.push(...translator.push(chunk));
  events.push(...translator.finish());
  return { translator, events };
}

function assertSequenceNumbers(events: readonly ResponseStreamEvent[]): void {
  assert.deepEqual(
    events.map((event) => event.sequence_number),
    events.map((_, index) => index),
  );
}

describe('a text answer', () => {
  const { translator, events } = translate(parseChatCompletionChunks(readFixture('chat-stream-text.chunks.txt')));

  test("emits the events in OpenAI's order with sequence numbers 0, 1, 2...", () => {
    assert.deepEqual(
      events.map((event) => event.type),
      [
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.delta',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ],
    );
    assertSequenceNumbers(events);
    assert.equal(checkClientShapes(events), events.length);
  });

  test('deltas and done events name the item, output index and content index', () => {
    const deltas = events.filter((event) => event.type === 'response.output_text.delta');
    assert.deepEqual(
      deltas.map((event) => [event.item_id, event.output_index, event.content_index, event.delta, event.logprobs]),
      [
        ['msg_1', 0, 0, 'Hi', []],
        ['msg_1', 0, 0, ' there', []],
        ['msg_1', 0, 0, '!', []],
      ],
    );
    const textDone = events.find((event) => event.type === 'response.output_text.done');
    assert.deepEqual(textDone, {
      type: 'response.output_text.done',
      sequence_number: 7,
      item_id: 'msg_1',
      output_index: 0,
      content_index: 0,
      text: 'Hi there!',
      logprobs: [],
    });
  });

  test('the added item is a snapshot: in progress and empty, while the done item is complete', () => {
    const added = events[2];
    const done = events[9];
    assert.ok(added?.type === 'response.output_item.added' && done?.type === 'response.output_item.done');
    assert.deepEqual(added.item, { id: 'msg_1', type: 'message', status: 'in_progress', role: 'assistant', content: [] });
    assert.deepEqual(done.item, {
      id: 'msg_1',
      type: 'message',
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: 'Hi there!', annotations: [], logprobs: [] }],
    });
  });

  test('response.completed carries the whole response with usage and completed_at', () => {
    const completed = events.at(-1);
    assert.ok(completed?.type === 'response.completed');
    assert.equal(completed.response.status, 'completed');
    assert.equal(completed.response.completed_at, COMPLETED_AT);
    assert.deepEqual(completed.response.usage, {
      input_tokens: 19,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: 3,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 22,
    });
    assert.deepEqual(translator.response(), completed.response);
    assert.deepEqual(translator.output(), completed.response.output);
    const created = events[0];
    assert.ok(created?.type === 'response.created');
    assert.equal(created.response.usage, null);
    assert.deepEqual(created.response.output, []);
  });
});

describe('a function-call answer with two tool calls', () => {
  const { translator, events } = translate(parseChatCompletionChunks(readFixture('chat-stream-tool-calls.chunks.txt')));

  test('emits one function_call item per call, arguments as deltas, and closes both at the end', () => {
    assert.deepEqual(
      events.map((event) => `${event.type}${'output_index' in event ? `#${event.output_index}` : ''}`),
      [
        'response.created',
        'response.in_progress',
        'response.output_item.added#0',
        'response.function_call_arguments.delta#0',
        'response.function_call_arguments.delta#0',
        'response.output_item.added#1',
        'response.function_call_arguments.delta#1',
        'response.function_call_arguments.done#0',
        'response.output_item.done#0',
        'response.function_call_arguments.done#1',
        'response.output_item.done#1',
        'response.completed',
      ],
    );
    assertSequenceNumbers(events);
    assert.equal(checkClientShapes(events), events.length);
  });

  test('the items keep the tool call ids as call_id and get fc_ ids', () => {
    const argumentsDone = events.filter((event) => event.type === 'response.function_call_arguments.done');
    assert.deepEqual(
      argumentsDone.map((event) => [event.item_id, event.name, event.arguments]),
      [
        ['fc_1', 'get_weather', '{"city": "Paris"}'],
        ['fc_2', 'get_time', '{"tz":"CET"}'],
      ],
    );
    const output: ResponseOutputItem[] = translator.output();
    assert.deepEqual(output, [
      { id: 'fc_1', type: 'function_call', status: 'completed', arguments: '{"city": "Paris"}', call_id: 'call_weather', name: 'get_weather' },
      { id: 'fc_2', type: 'function_call', status: 'completed', arguments: '{"tz":"CET"}', call_id: 'call_time', name: 'get_time' },
    ]);
    const completed = translator.response();
    assert.equal(completed.status, 'completed');
    assert.equal(completed.usage?.input_tokens_details.cached_tokens, 64);
  });
});

describe('a truncated answer (finish_reason length)', () => {
  const { translator, events } = translate(parseChatCompletionChunks(readFixture('chat-stream-length.chunks.txt')));

  test('ends with response.incomplete and max_output_tokens', () => {
    assert.deepEqual(
      events.map((event) => event.type),
      [
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.incomplete',
      ],
    );
    assertSequenceNumbers(events);
    const last = events.at(-1);
    assert.ok(last?.type === 'response.incomplete');
    assert.equal(last.response.status, 'incomplete');
    assert.deepEqual(last.response.incomplete_details, { reason: 'max_output_tokens' });
    assert.equal(last.response.completed_at, null);
    assert.equal(translator.output()[0]?.status, 'incomplete');
    assert.equal(last.response.usage?.output_tokens, 4);
  });
});

function chunk(
  delta: ChatCompletionChunk['choices'][number]['delta'],
  finishReason: ChatCompletionChunk['choices'][number]['finish_reason'] = null,
): ChatCompletionChunk {
  return { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finishReason }] };
}

describe('other streams', () => {
  test('text then a tool call: the message is closed before the call opens', () => {
    const { events } = translate([
      chunk({ content: 'Let me check.' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
    ]);
    assert.deepEqual(
      events.slice(2).map((event) => event.type),
      [
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.output_item.added',
        'response.function_call_arguments.delta',
        'response.function_call_arguments.done',
        'response.output_item.done',
        'response.completed',
      ],
    );
    assertSequenceNumbers(events);
  });

  test('reasoning streams first as a reasoning item of reasoning_text deltas, closed when the answer starts', () => {
    const { events, translator } = translate([
      chunk({ role: 'assistant', content: '' }),
      chunk({ reasoning_content: 'Think ' }),
      chunk({ reasoning_content: 'twice.' }),
      chunk({ content: 'Done.' }),
      chunk({}, 'stop'),
    ]);
    assert.deepEqual(
      events.slice(2).map((event) => `${event.type}#${'output_index' in event ? event.output_index : ''}`),
      [
        'response.output_item.added#0',
        'response.content_part.added#0',
        'response.reasoning_text.delta#0',
        'response.reasoning_text.delta#0',
        'response.reasoning_text.done#0',
        'response.content_part.done#0',
        'response.output_item.done#0',
        'response.output_item.added#1',
        'response.content_part.added#1',
        'response.output_text.delta#1',
        'response.output_text.done#1',
        'response.content_part.done#1',
        'response.output_item.done#1',
        'response.completed#',
      ],
    );
    assertSequenceNumbers(events);
    assert.equal(checkClientShapes(events), events.length);
    const added = events[2];
    assert.ok(added?.type === 'response.output_item.added');
    assert.deepEqual(added.item, { id: 'rs_1', type: 'reasoning', summary: [], content: [], status: 'in_progress' });
    const partAdded = events[3];
    assert.ok(partAdded?.type === 'response.content_part.added');
    assert.deepEqual(partAdded.part, { type: 'reasoning_text', text: '' });
    const deltas = events.filter((event) => event.type === 'response.reasoning_text.delta');
    assert.deepEqual(
      deltas.map((event) => [event.item_id, event.content_index, event.delta]),
      [
        ['rs_1', 0, 'Think '],
        ['rs_1', 0, 'twice.'],
      ],
    );
    assert.deepEqual(events[6], {
      type: 'response.reasoning_text.done',
      sequence_number: 6,
      item_id: 'rs_1',
      output_index: 0,
      content_index: 0,
      text: 'Think twice.',
    });
    const reasoning = translator.output()[0];
    const expected = { id: 'rs_1', type: 'reasoning', summary: [], content: [{ type: 'reasoning_text', text: 'Think twice.' }], status: 'completed' };
    assert.deepEqual(reasoning, expected);
    if (reasoning?.type === 'reasoning') {
      const shaped: ResponseReasoningItem = { ...reasoning, summary: reasoning.summary ?? [] };
      assert.equal(shaped.status, 'completed');
    }
  });

  test('reasoning (`reasoning` deltas) before a tool call closes before the call opens; open at the end it closes in order', () => {
    const { events } = translate([
      chunk({ reasoning: 'Call f.' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
    ]);
    assert.deepEqual(
      events.slice(2).map((event) => event.type),
      [
        'response.output_item.added',
        'response.content_part.added',
        'response.reasoning_text.delta',
        'response.reasoning_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.output_item.added',
        'response.function_call_arguments.delta',
        'response.function_call_arguments.done',
        'response.output_item.done',
        'response.completed',
      ],
    );
    const cut = translate([chunk({ reasoning_content: 'Hmm' }), chunk({}, 'length')]).events;
    const done = cut.find((event) => event.type === 'response.output_item.done');
    assert.ok(done?.type === 'response.output_item.done');
    assert.equal(done.item.status, 'incomplete');
    assert.equal(cut.at(-1)?.type, 'response.incomplete');
  });

  test('a refusal streams as refusal deltas in a refusal part', () => {
    const { events, translator } = translate([chunk({ refusal: 'I can' }), chunk({ refusal: 'not help.' }), chunk({}, 'stop')]);
    assert.deepEqual(
      events.slice(2).map((event) => event.type),
      [
        'response.output_item.added',
        'response.content_part.added',
        'response.refusal.delta',
        'response.refusal.delta',
        'response.refusal.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ],
    );
    assert.equal(checkClientShapes(events), events.length);
    assert.deepEqual(translator.output()[0], {
      id: 'msg_1',
      type: 'message',
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'refusal', refusal: 'I cannot help.' }],
    });
  });

  test('content_filter ends incomplete with reason content_filter', () => {
    const { translator } = translate([chunk({ content: 'Some' }), chunk({}, 'content_filter')]);
    assert.deepEqual(translator.response().incomplete_details, { reason: 'content_filter' });
  });

  test('usage given to finish() wins over usage seen in chunks', () => {
    const translator = createResponseStreamTranslator({ response: pendingResponse(), createItemId: counterIds(), now: () => COMPLETED_AT });
    translator.start();
    translator.push({ ...chunk({ content: 'x' }, 'stop'), usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });
    translator.finish({ prompt_tokens: 5, completion_tokens: 7, total_tokens: 12, completion_tokens_details: { reasoning_tokens: 3 } });
    assert.deepEqual(translator.response().usage, {
      input_tokens: 5,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: 7,
      output_tokens_details: { reasoning_tokens: 3 },
      total_tokens: 12,
    });
  });

  test('fail() ends with response.failed, the output so far marked incomplete, and the error', () => {
    const translator = createResponseStreamTranslator({ response: pendingResponse(), createItemId: counterIds(), now: () => COMPLETED_AT });
    const events = [...translator.start(), ...translator.push(chunk({ content: 'Part' }))];
    events.push(...translator.fail({ code: 'server_error', message: 'upstream broke (route r1)' }));
    assert.deepEqual(
      events.map((event) => event.type),
      [
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.failed',
      ],
    );
    assertSequenceNumbers(events);
    const failed = translator.response();
    assert.equal(failed.status, 'failed');
    assert.deepEqual(failed.error, { code: 'server_error', message: 'upstream broke (route r1)' });
    assert.equal(failed.completed_at, null);
    assert.deepEqual(failed.output, [
      {
        id: 'msg_1',
        type: 'message',
        status: 'incomplete',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'Part', annotations: [], logprobs: [] }],
      },
    ]);
    assert.equal(checkClientShapes(events), events.length);
  });

  test('nothing more is emitted after the end', () => {
    const { translator } = translate([chunk({ content: 'x' }, 'stop')]);
    assert.deepEqual(translator.push(chunk({ content: 'late' })), []);
    assert.deepEqual(translator.finish(), []);
    assert.deepEqual(translator.fail({ code: 'server_error', message: 'x' }), []);
    assert.equal(translator.response().status, 'completed');
  });

  test('a queued (background) response is created queued, then in progress', () => {
    const translator = createResponseStreamTranslator({ response: { ...pendingResponse(), status: 'queued' }, createItemId: counterIds() });
    const events = translator.start();
    assert.deepEqual(
      events.map((event) =>
        event.type === 'response.created' || event.type === 'response.in_progress' ? `${event.type}:${event.response.status}` : event.type,
      ),
      ['response.created:queued', 'response.in_progress:in_progress'],
    );
    assert.equal(translator.response().status, 'in_progress');
    assert.deepEqual(translator.start(), []);
  });

  test('choices other than 0 and chunks without choices emit nothing', () => {
    const translator = createResponseStreamTranslator({ response: pendingResponse(), createItemId: counterIds() });
    assert.deepEqual(translator.push({ ...chunk({ content: 'x' }), choices: [{ index: 1, delta: { content: 'other' }, finish_reason: null }] }), []);
    assert.deepEqual(translator.push({ ...chunk({}), choices: [] }), []);
  });
});

describe('encodeResponseStreamEvent', () => {
  test('names the event and puts the JSON on one data line', () => {
    const event: ResponseStreamEvent = {
      type: 'response.output_text.delta',
      sequence_number: 4,
      item_id: 'msg_1',
      output_index: 0,
      content_index: 0,
      delta: 'a\nb',
      logprobs: [],
    };
    assert.equal(
      encodeResponseStreamEvent(event),
      'event: response.output_text.delta\n' +
        'data: {"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1",' +
        '"output_index":0,"content_index":0,"delta":"a\\nb","logprobs":[]}\n\n',
    );
  });
});
