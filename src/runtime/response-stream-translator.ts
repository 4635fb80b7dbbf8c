// Translates a chat-completion stream (parsed chunks, from any Crossway route) into the Responses API's streaming
// events, and keeps the Response object they describe.
// Sources: OpenAI API reference, "Streaming events" of the Responses API (response.created, response.in_progress,
// response.output_item.added/done, response.content_part.added/done, response.output_text.delta/done,
// response.refusal.delta/done, response.reasoning_text.delta/done, response.function_call_arguments.delta/done,
// response.completed/incomplete/failed,
// each with `sequence_number`), and the streaming example of "Create a model response" (openai/openai-openapi).
import type {
  ChatCompletionChunk,
  ChatCompletionChunkToolCall,
  FinishReason,
  ResponseCustomToolCallItem,
  ResponseToolSearchCallItem,
  ResponseError,
  ResponseFunctionCallItem,
  ResponseItemStatus,
  ResponseObject,
  ResponseOutputItem,
  ResponseOutputMessageItem,
  ResponseOutputTextContent,
  ResponseReasoningItem,
  ResponseReasoningTextContent,
  ResponseRefusalContent,
  ResponseStreamEvent,
  Usage,
} from '../wire/index.ts';
import { readChatReasoning } from '../wire/index.ts';
import { argumentsToCustomInput, type ChatToolKind, type ChatToolMapping, parseToolSearchArguments } from './chat-tool-mapping.ts';
import { convertChatUsageToResponseUsage } from './convert-chat-usage-to-response-usage.ts';
import { createItemId as createRandomItemId, type CreateItemId } from './create-item-id.ts';
import { mapFinishReasonToResponseStatus } from './map-finish-reason-to-response-status.ts';

export interface ResponseStreamTranslatorOptions {
  /** The Response object so far (status `in_progress`, no output): sent in response.created and in_progress. */
  response: ResponseObject;
  createItemId?: CreateItemId;
  /** Unix seconds, for `completed_at`; the clock by default. */
  now?: () => number;
  /** What the chat functions stand for (custom tools, tool_search); every call is a function call without it. */
  mapping?: Pick<ChatToolMapping, 'kinds'> | null;
}

/**
 * One streamed turn's translation; every method returns the events to send, in order. `Input` is what the stream
 * delivers: chat chunks here, a native route's own Responses events for the relay that passes them on.
 */
export interface ResponseStreamTranslator<Input = ChatCompletionChunk> {
  /** `response.created`, `response.in_progress`. */
  start(): ResponseStreamEvent[];
  /** The events one chat chunk produces (none for a chunk that carries only usage or a role). */
  push(chunk: Input): ResponseStreamEvent[];
  /** Closes every open part and item, then `response.completed` (or `response.incomplete`, from finish_reason) with
   * the whole Response; `usage` (the stream's final usage) wins over usage seen in chunks. */
  finish(usage?: Usage | null): ResponseStreamEvent[];
  /** `response.failed` with the output so far (open items `incomplete`) and `error`. */
  fail(error: ResponseError): ResponseStreamEvent[];
  /** The output items so far (copies). */
  output(): ResponseOutputItem[];
  /** The Response object so far (a copy); the final one after finish() or fail(). */
  response(): ResponseObject;
}

type OpenPart = { index: number; content: ResponseOutputTextContent } | { index: number; content: ResponseRefusalContent };
interface OpenMessage {
  item: ResponseOutputMessageItem;
  outputIndex: number;
  part: OpenPart | null;
}
interface OpenReasoning {
  item: ResponseReasoningItem;
  outputIndex: number;
  part: ResponseReasoningTextContent;
}
interface OpenCall {
  /** The item as streamed so far: a function call's arguments grow as they come; other kinds are filled at the end. */
  item: ResponseFunctionCallItem | ResponseCustomToolCallItem | ResponseToolSearchCallItem;
  outputIndex: number;
  kind: ChatToolKind;
  /** The chat arguments so far (a custom tool's input and a tool search's arguments are read from them at the end). */
  argumentsText: string;
}

/**
 * Creates a translator. Item order follows the chat stream: reasoning (`reasoning_content` or `reasoning` deltas)
 * opens a `reasoning` item (`rs_`, its text one `reasoning_text` part, closed by whatever comes next), text opens a
 * `message` item (`msg_`), a new tool call
 * index opens a `function_call` item (`fc_`, call_id = the tool call's id) and closes the open message (one chat
 * answer is text, then calls). Function calls stay open until finish(), because upstreams may interleave the
 * argument deltas of parallel calls. Only choice 0 is translated (the Responses API has no `n`). Sequence numbers
 * start at 0 and grow by one per event. Events carry copies, so that a stored event never changes afterwards.
 */
export function createResponseStreamTranslator(options: ResponseStreamTranslatorOptions): ResponseStreamTranslator {
  const createItemId = options.createItemId ?? createRandomItemId;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const base = structuredClone(options.response);
  const items: ResponseOutputItem[] = [];
  const openCalls = new Map<number, OpenCall>();
  let openMessage: OpenMessage | null = null;
  let openReasoning: OpenReasoning | null = null;
  let sequence = 0;
  let finishReason: FinishReason | null = null;
  let streamUsage: Usage | null = null;
  let final: ResponseObject | null = null;

  const next = (): number => sequence++;

  function openMessageItem(events: ResponseStreamEvent[]): OpenMessage {
    if (openMessage !== null) return openMessage;
    const item: ResponseOutputMessageItem = { id: createItemId('msg'), type: 'message', status: 'in_progress', role: 'assistant', content: [] };
    openMessage = { item, outputIndex: items.length, part: null };
    items.push(item);
    events.push({ type: 'response.output_item.added', sequence_number: next(), output_index: openMessage.outputIndex, item: structuredClone(item) });
    return openMessage;
  }

  function closePart(message: OpenMessage, events: ResponseStreamEvent[]): void {
    const part = message.part;
    if (part === null) return;
    const where = { item_id: message.item.id, output_index: message.outputIndex, content_index: part.index };
    if (part.content.type === 'output_text') {
      events.push({ type: 'response.output_text.done', sequence_number: next(), ...where, text: part.content.text, logprobs: [] });
    } else {
      events.push({ type: 'response.refusal.done', sequence_number: next(), ...where, refusal: part.content.refusal });
    }
    events.push({ type: 'response.content_part.done', sequence_number: next(), ...where, part: structuredClone(part.content) });
    message.part = null;
  }

  function appendReasoning(delta: string, events: ResponseStreamEvent[]): void {
    if (openReasoning === null) {
      // Reasoning after text starts a new item: the message so far is done (tool calls stay open, see above).
      closeMessage('completed', events);
      const part: ResponseReasoningTextContent = { type: 'reasoning_text', text: '' };
      const item: ResponseReasoningItem = { id: createItemId('rs'), type: 'reasoning', summary: [], content: [part], status: 'in_progress' };
      openReasoning = { item, outputIndex: items.length, part };
      items.push(item);
      events.push({
        type: 'response.output_item.added',
        sequence_number: next(),
        output_index: openReasoning.outputIndex,
        item: { ...structuredClone(item), content: [] },
      });
      events.push({
        type: 'response.content_part.added',
        sequence_number: next(),
        item_id: item.id,
        output_index: openReasoning.outputIndex,
        content_index: 0,
        part: structuredClone(part),
      });
    }
    openReasoning.part.text += delta;
    const where = { item_id: openReasoning.item.id, output_index: openReasoning.outputIndex, content_index: 0 };
    events.push({ type: 'response.reasoning_text.delta', sequence_number: next(), ...where, delta });
  }

  function closeReasoning(status: ResponseItemStatus, events: ResponseStreamEvent[]): void {
    const reasoning = openReasoning;
    if (reasoning === null) return;
    const where = { item_id: reasoning.item.id, output_index: reasoning.outputIndex, content_index: 0 };
    events.push({ type: 'response.reasoning_text.done', sequence_number: next(), ...where, text: reasoning.part.text });
    events.push({ type: 'response.content_part.done', sequence_number: next(), ...where, part: structuredClone(reasoning.part) });
    reasoning.item.status = status;
    events.push({ type: 'response.output_item.done', sequence_number: next(), output_index: reasoning.outputIndex, item: structuredClone(reasoning.item) });
    openReasoning = null;
  }

  function appendToMessage(kind: 'output_text' | 'refusal', delta: string, events: ResponseStreamEvent[]): void {
    closeReasoning('completed', events);
    const message = openMessageItem(events);
    if (message.part !== null && message.part.content.type !== kind) closePart(message, events);
    if (message.part === null) {
      const index = message.item.content.length;
      message.part =
        kind === 'output_text'
          ? { index, content: { type: 'output_text', text: '', annotations: [], logprobs: [] } }
          : { index, content: { type: 'refusal', refusal: '' } };
      message.item.content.push(message.part.content);
      events.push({
        type: 'response.content_part.added',
        sequence_number: next(),
        item_id: message.item.id,
        output_index: message.outputIndex,
        content_index: index,
        part: structuredClone(message.part.content),
      });
    }
    const where = { item_id: message.item.id, output_index: message.outputIndex, content_index: message.part.index };
    if (message.part.content.type === 'output_text') {
      message.part.content.text += delta;
      events.push({ type: 'response.output_text.delta', sequence_number: next(), ...where, delta, logprobs: [] });
    } else {
      message.part.content.refusal += delta;
      events.push({ type: 'response.refusal.delta', sequence_number: next(), ...where, delta });
    }
  }

  function closeMessage(status: ResponseItemStatus, events: ResponseStreamEvent[]): void {
    const message = openMessage;
    if (message === null) return;
    closePart(message, events);
    message.item.status = status;
    events.push({ type: 'response.output_item.done', sequence_number: next(), output_index: message.outputIndex, item: structuredClone(message.item) });
    openMessage = null;
  }

  function appendToolCall(call: ChatCompletionChunkToolCall, events: ResponseStreamEvent[]): void {
    closeReasoning('completed', events);
    let open = openCalls.get(call.index);
    if (open === undefined) {
      closeMessage('completed', events);
      // OpenAI sends the call's id and name in its first chunk; a stream without an id still gets a unique one.
      const callId = call.id ?? createItemId('call');
      const name = call.function?.name ?? '';
      const kind = options.mapping?.kinds.get(name) ?? { kind: 'function', name };
      open = { item: openItem(kind, callId, name), outputIndex: items.length, kind, argumentsText: '' };
      openCalls.set(call.index, open);
      items.push(open.item);
      events.push({ type: 'response.output_item.added', sequence_number: next(), output_index: open.outputIndex, item: structuredClone(open.item) });
    } else if (open.item.type === 'function_call' && open.item.name === '' && typeof call.function?.name === 'string') {
      open.item.name = call.function.name;
    }
    const delta = call.function?.arguments;
    if (typeof delta === 'string' && delta !== '') {
      open.argumentsText += delta;
      // Only a function call's arguments stream as they are; a custom tool's input is the JSON string inside them.
      if (open.item.type === 'function_call') {
        open.item.arguments += delta;
        events.push({ type: 'response.function_call_arguments.delta', sequence_number: next(), item_id: open.item.id, output_index: open.outputIndex, delta });
      }
    }
  }

  function openItem(kind: ChatToolKind, callId: string, name: string): OpenCall['item'] {
    const namespace = kind.kind !== 'tool_search' && kind.namespace !== undefined ? { namespace: kind.namespace } : {};
    switch (kind.kind) {
      case 'custom':
        return { id: createItemId('ctc'), type: 'custom_tool_call', status: 'in_progress', call_id: callId, name: kind.name, input: '', ...namespace };
      case 'tool_search':
        return { id: createItemId('tsc'), type: 'tool_search_call', status: 'in_progress', call_id: callId, arguments: {}, execution: 'client' };
      case 'function':
        return { id: createItemId('fc'), type: 'function_call', status: 'in_progress', arguments: '', call_id: callId, name: kind.name || name, ...namespace };
    }
  }

  function closeCall(open: OpenCall, status: ResponseItemStatus, events: ResponseStreamEvent[]): void {
    const item = open.item;
    item.status = status;
    const where = { item_id: item.id, output_index: open.outputIndex };
    switch (item.type) {
      case 'function_call':
        events.push({ type: 'response.function_call_arguments.done', sequence_number: next(), ...where, name: item.name, arguments: item.arguments });
        break;
      case 'custom_tool_call':
        // The input is known once the chat arguments are complete: it streams as one delta, then done.
        item.input = argumentsToCustomInput(open.argumentsText);
        if (item.input !== '') events.push({ type: 'response.custom_tool_call_input.delta', sequence_number: next(), ...where, delta: item.input });
        events.push({ type: 'response.custom_tool_call_input.done', sequence_number: next(), ...where, input: item.input });
        break;
      case 'tool_search_call':
        item.arguments = parseToolSearchArguments(open.argumentsText);
        break;
    }
    events.push({ type: 'response.output_item.done', sequence_number: next(), output_index: open.outputIndex, item: structuredClone(item) });
  }

  function snapshot(): ResponseObject {
    return final === null ? { ...structuredClone(base), output: structuredClone(items) } : structuredClone(final);
  }

  return {
    start() {
      if (sequence > 0) return [];
      // A background response is created `queued`; from here on it is in progress.
      const created: ResponseStreamEvent = { type: 'response.created', sequence_number: next(), response: structuredClone(base) };
      base.status = 'in_progress';
      return [created, { type: 'response.in_progress', sequence_number: next(), response: structuredClone(base) }];
    },

    push(chunk) {
      const events: ResponseStreamEvent[] = [];
      if (final !== null) return events;
      if (chunk.usage !== undefined && chunk.usage !== null) streamUsage = chunk.usage;
      const choice = chunk.choices.find((candidate) => candidate.index === 0);
      if (choice === undefined) return events;
      const { content, refusal, tool_calls: toolCalls } = choice.delta;
      const reasoning = readChatReasoning(choice.delta);
      if (reasoning !== '') appendReasoning(reasoning, events);
      if (typeof content === 'string' && content !== '') appendToMessage('output_text', content, events);
      if (typeof refusal === 'string' && refusal !== '') appendToMessage('refusal', refusal, events);
      for (const call of toolCalls ?? []) appendToolCall(call, events);
      if (choice.finish_reason !== null && choice.finish_reason !== undefined) finishReason = choice.finish_reason;
      return events;
    },

    finish(usage) {
      const events: ResponseStreamEvent[] = [];
      if (final !== null) return events;
      const ending = mapFinishReasonToResponseStatus(finishReason);
      const itemStatus: ResponseItemStatus = ending.status === 'completed' ? 'completed' : 'incomplete';
      // Close what is open in output order, so that done events come in the order the items were added.
      const open: Array<{ outputIndex: number; close: () => void }> = [...openCalls.values()].map((call) => ({
        outputIndex: call.outputIndex,
        close: () => closeCall(call, itemStatus, events),
      }));
      if (openMessage !== null) open.push({ outputIndex: openMessage.outputIndex, close: () => closeMessage(itemStatus, events) });
      if (openReasoning !== null) open.push({ outputIndex: openReasoning.outputIndex, close: () => closeReasoning(itemStatus, events) });
      for (const entry of open.sort((a, b) => a.outputIndex - b.outputIndex)) entry.close();
      openCalls.clear();
      const finalUsage = usage ?? streamUsage;
      final = {
        ...structuredClone(base),
        status: ending.status,
        completed_at: ending.status === 'completed' ? now() : null,
        incomplete_details: ending.incomplete_details,
        output: structuredClone(items),
        usage: finalUsage === null ? null : convertChatUsageToResponseUsage(finalUsage),
      };
      const type = ending.status === 'completed' ? 'response.completed' : 'response.incomplete';
      events.push({ type, sequence_number: next(), response: structuredClone(final) });
      return events;
    },

    fail(error) {
      if (final !== null) return [];
      for (const item of items) if (item.status === 'in_progress') item.status = 'incomplete';
      openMessage = null;
      openReasoning = null;
      openCalls.clear();
      final = {
        ...structuredClone(base),
        status: 'failed',
        completed_at: null,
        error: { code: error.code, message: error.message },
        output: structuredClone(items),
        usage: streamUsage === null ? null : convertChatUsageToResponseUsage(streamUsage),
      };
      return [{ type: 'response.failed', sequence_number: next(), response: structuredClone(final) }];
    },

    output: () => structuredClone(items),
    response: snapshot,
  };
}
