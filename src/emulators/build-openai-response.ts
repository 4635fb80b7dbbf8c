// Renders a ChatReply in the Responses API's wire format: the Response object, and the semantic events of a streamed
// answer with their sequence numbers, framed as OpenAI sends them (`event: <type>` + `data: <json>`).
// Source: OpenAI API reference "The response object" and "Streaming events" (Responses): response.created and
// response.in_progress first, then per output item `output_item.added`, for a message `content_part.added`, the
// `output_text.delta`s, `output_text.done`, `content_part.done`, for a function call `function_call_arguments.delta`s
// and `.done`, then `output_item.done`, and last `response.completed` (or `response.incomplete` when cut by
// max_output_tokens) carrying the whole response with its usage.
import type {
  ResponseCustomToolCallItem,
  ResponseFunctionCallItem,
  ResponseObject,
  ResponseOutputItem,
  ResponseOutputMessageItem,
  ResponseOutputTextContent,
  ResponseStreamEvent,
  ResponseTextFormat,
  ResponseToolChoiceObject,
  ResponseUsage,
} from '../wire/index.ts';
import { randomBytes } from 'node:crypto';
import { splitForStreaming } from './build-openai-chat-completion.ts';
import type { EmulatorReply, EmulatorStream } from './emulator-server.ts';
import { SSE_HEADERS } from './format-sse-event.ts';
import type { ChatReply } from './generate-chat-reply.ts';
import type { OpenAIResponsesRequest } from './openai-responses-request-schema.ts';

/** Identity of one response and the request settings it echoes. */
export interface OpenAIResponseMeta {
  /** `resp_...`. */
  id: string;
  /** Unix seconds. */
  createdAt: number;
  model: string;
  request: OpenAIResponsesRequest;
  /** A fresh id for an output item: `msg_...` for messages, `fc_...` for function calls, `ctc_`/`tsc_` for custom and tool search calls. */
  createItemId(prefix: 'msg' | 'fc' | 'ctc' | 'tsc'): string;
}

/** The meta of a fresh response: `resp_` and item ids of 192 random bits, as long as OpenAI's, created now. */
export function createOpenAIResponseMeta(model: string, request: OpenAIResponsesRequest): OpenAIResponseMeta {
  return {
    id: `resp_${randomBytes(24).toString('hex')}`,
    createdAt: Math.floor(Date.now() / 1000),
    model,
    request,
    createItemId: (prefix) => `${prefix}_${randomBytes(24).toString('hex')}`,
  };
}

const ARGUMENT_PIECES = 3;

/** The Response object of a finished answer; a stream's events are built from it, so streams and JSON agree. */
export function buildOpenAIResponse(reply: ChatReply, meta: OpenAIResponseMeta): ResponseObject {
  const choice = reply.choices[0];
  const incomplete = choice?.finishReason === 'length';
  const output: ResponseOutputItem[] = [];
  if (choice !== undefined && choice.toolCalls.length > 0) {
    for (const call of choice.toolCalls) {
      if (call.kind === 'custom') {
        output.push({ type: 'custom_tool_call', id: meta.createItemId('ctc'), call_id: call.id, name: call.name, input: call.arguments, status: 'completed' });
      } else if (call.kind === 'tool_search') {
        const args = JSON.parse(call.arguments) as unknown;
        output.push({ type: 'tool_search_call', id: meta.createItemId('tsc'), call_id: call.id, arguments: args, execution: 'client', status: 'completed' });
      } else {
        output.push({ type: 'function_call', id: meta.createItemId('fc'), call_id: call.id, name: call.name, arguments: call.arguments, status: 'completed' });
      }
    }
  } else if (choice !== undefined) {
    output.push({
      type: 'message',
      id: meta.createItemId('msg'),
      role: 'assistant',
      status: incomplete ? 'incomplete' : 'completed',
      content: [{ type: 'output_text', text: choice.content ?? '', annotations: [], logprobs: [] }],
    });
  }
  return {
    ...pendingResponse(meta),
    status: incomplete ? 'incomplete' : 'completed',
    completed_at: incomplete ? null : Math.max(meta.createdAt, Math.floor(Date.now() / 1000)),
    incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
    output,
    usage: buildResponseUsage(reply),
  };
}

/** The events of a streamed answer, numbered from 0, ending with `response.completed` or `response.incomplete`. */
export function buildOpenAIResponseEvents(response: ResponseObject, meta: OpenAIResponseMeta): ResponseStreamEvent[] {
  const events: ResponseStreamEvent[] = [];
  // Each event gets the next sequence number as it is added.
  const add = (event: DistributiveOmit<ResponseStreamEvent, 'sequence_number'>): void => {
    events.push({ ...event, sequence_number: events.length } as ResponseStreamEvent);
  };
  const pending = pendingResponse(meta);
  add({ type: 'response.created', response: pending });
  add({ type: 'response.in_progress', response: pending });
  response.output.forEach((item, output_index) => {
    if (item.type === 'message') addMessageEvents(add, item, output_index);
    else if (item.type === 'function_call') addFunctionCallEvents(add, item, output_index);
    else if (item.type === 'custom_tool_call') addCustomToolCallEvents(add, item, output_index);
    else {
      add({ type: 'response.output_item.added', output_index, item: { ...item, status: 'in_progress' } as ResponseOutputItem });
      add({ type: 'response.output_item.done', output_index, item });
    }
  });
  add({ type: response.status === 'incomplete' ? 'response.incomplete' : 'response.completed', response });
  return events;
}

/** One event as OpenAI frames it on the wire. */
export function formatResponseSseEvent(event: ResponseStreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type AddEvent = (event: DistributiveOmit<ResponseStreamEvent, 'sequence_number'>) => void;

function addMessageEvents(add: AddEvent, item: ResponseOutputMessageItem, output_index: number): void {
  const part = item.content[0] as ResponseOutputTextContent;
  const ids = { item_id: item.id, output_index, content_index: 0 };
  add({ type: 'response.output_item.added', output_index, item: { ...item, status: 'in_progress', content: [] } });
  add({ type: 'response.content_part.added', ...ids, part: { ...part, text: '' } });
  for (const delta of splitForStreaming(part.text)) add({ type: 'response.output_text.delta', ...ids, delta, logprobs: [] });
  add({ type: 'response.output_text.done', ...ids, text: part.text, logprobs: [] });
  add({ type: 'response.content_part.done', ...ids, part });
  add({ type: 'response.output_item.done', output_index, item });
}

function addFunctionCallEvents(add: AddEvent, item: ResponseFunctionCallItem, output_index: number): void {
  add({ type: 'response.output_item.added', output_index, item: { ...item, status: 'in_progress', arguments: '' } });
  const size = Math.max(1, Math.ceil(item.arguments.length / ARGUMENT_PIECES));
  for (let at = 0; at < item.arguments.length; at += size) {
    add({ type: 'response.function_call_arguments.delta', item_id: item.id, output_index, delta: item.arguments.slice(at, at + size) });
  }
  add({ type: 'response.function_call_arguments.done', item_id: item.id, output_index, name: item.name, arguments: item.arguments });
  add({ type: 'response.output_item.done', output_index, item });
}

/** A custom tool call: its input streams as `response.custom_tool_call_input.delta`s, then `.done`. */
function addCustomToolCallEvents(add: AddEvent, item: ResponseCustomToolCallItem, output_index: number): void {
  add({ type: 'response.output_item.added', output_index, item: { ...item, status: 'in_progress', input: '' } });
  const size = Math.max(1, Math.ceil(item.input.length / ARGUMENT_PIECES));
  for (let at = 0; at < item.input.length; at += size) {
    add({ type: 'response.custom_tool_call_input.delta', item_id: item.id, output_index, delta: item.input.slice(at, at + size) });
  }
  add({ type: 'response.custom_tool_call_input.done', item_id: item.id, output_index, input: item.input });
  add({ type: 'response.output_item.done', output_index, item });
}

/** The response as `response.created` shows it: in progress, no output, no usage; settings echoed from the request. */
function pendingResponse(meta: OpenAIResponseMeta): ResponseObject {
  const request = meta.request;
  return {
    id: meta.id,
    object: 'response',
    created_at: meta.createdAt,
    status: 'in_progress',
    background: false,
    completed_at: null,
    error: null,
    incomplete_details: null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    max_tool_calls: null,
    model: meta.model,
    output: [],
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: null,
    prompt_cache_key: null,
    reasoning: { effort: null, summary: null },
    safety_identifier: null,
    service_tier: 'default',
    store: request.store ?? true,
    temperature: request.temperature ?? 1,
    text: { format: (request.text?.format ?? { type: 'text' }) as ResponseTextFormat, verbosity: 'medium' },
    tool_choice: (request.tool_choice ?? 'auto') as ResponseToolChoiceObject,
    // Function tools are strict unless the request says otherwise (Responses API default); others echo as sent.
    tools: (request.tools ?? []).map((tool) =>
      tool.type === 'function'
        ? {
            type: 'function',
            name: tool.name,
            description: tool.description ?? null,
            parameters: tool.parameters ?? null,
            strict: tool.strict ?? true,
          }
        : { ...tool },
    ),
    top_logprobs: 0,
    top_p: request.top_p ?? 1,
    truncation: request.truncation ?? 'disabled',
    usage: null,
    user: request.user ?? null,
    metadata: request.metadata ?? {},
    conversation: null,
  };
}

function buildResponseUsage(reply: ChatReply): ResponseUsage {
  return {
    input_tokens: reply.promptTokens,
    input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
    output_tokens: reply.completionTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: reply.promptTokens + reply.completionTokens,
  };
}

/**
 * The answer to a Responses request: the Response object as JSON, or (`stream`) its semantic events as SSE, as
 * OpenAI, Azure and Bedrock's OpenAI-compatible endpoint all send it.
 */
export function answerOpenAIResponses(reply: ChatReply, meta: OpenAIResponseMeta, stream: boolean): EmulatorReply | EmulatorStream {
  const response = buildOpenAIResponse(reply, meta);
  if (!stream) return { status: 200, body: response };
  return { headers: { ...SSE_HEADERS }, events: buildOpenAIResponseEvents(response, meta).map(formatResponseSseEvent) };
}
