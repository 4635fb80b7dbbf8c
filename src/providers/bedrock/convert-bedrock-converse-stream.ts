// Translates a ConverseStream reply (AWS event stream messages) into OpenAI chat-completion SSE events, event by event.
// Sources: botocore `bedrock-runtime/2023-09-30/service-2.json` (ConverseStreamOutput: messageStart,
// contentBlockStart, contentBlockDelta, contentBlockStop, messageStop, metadata, and the exceptions
// internalServerException, modelStreamErrorException, validationException, throttlingException,
// serviceUnavailableException); AWS API reference "ConverseStream"; OpenAI API reference "The chat completion chunk
// object" and `stream_options.include_usage` (a last chunk with `choices: []` and the usage).
import type { Route } from '../../catalog/index.ts';
import { UpstreamConnectionError, type ChatCompletionChunk, type ChatCompletionChunkChoice, type FinishReason, type Usage } from '../../wire/index.ts';
import { invalidUpstreamResponse } from '../openai/index.ts';
import type { ChatStreamEvent, ChatStreamOptions } from '../provider-adapter.ts';
import { encodeSseData, encodeSseDone } from '../sse/index.ts';
import { decodeBody } from '../summarize-error-body.ts';
import { bedrockContentBlockDeltaSchema, bedrockContentBlockStartSchema, bedrockMessageStopSchema, bedrockStreamMetadataSchema } from './bedrock-api.ts';
import { decodeBedrockEventStream, type BedrockStreamMessage } from './bedrock-event-stream-decoder.ts';
import { convertBedrockUsage, type CompletionStamp } from './convert-bedrock-converse-response.ts';
import { BEDROCK_JSON_RESPONSE_TOOL } from './convert-to-bedrock-converse-request.ts';
import { mapBedrockStopReason } from './map-bedrock-stop-reason.ts';
import { mapBedrockStreamException } from './map-bedrock-error.ts';
import type { z } from 'zod';

/**
 * OpenAI chat-completion SSE events for a ConverseStream body, each chunk both encoded and parsed:
 * - `messageStart` -> the first chunk, `delta: {role: 'assistant', content: ''}`;
 * - text deltas -> `delta.content`; reasoning text deltas -> `delta.reasoning_content`;
 * - a tool use start -> a `tool_calls` delta with the call's index (0-based among the calls), id, type, name and
 *   empty arguments; its input fragments -> `tool_calls` deltas with the index and `function.arguments` only;
 * - the forced JSON answer tool (response_format) -> its input fragments become `delta.content`, and its `tool_use`
 *   stop becomes `finish_reason: stop`;
 * - `messageStop` -> a chunk with the finish reason; `metadata` -> the `usage` event (carrying the usage-only chunk,
 *   `choices: []`, when `options.includeUsage`), then `done`.
 * The chunks of one network chunk leave as one `chunks` event. An exception message throws the mapped UpstreamError
 * after the chunks before it were yielded; a body that ends before `messageStop` and `metadata` throws
 * UpstreamConnectionError.
 */
export async function* convertBedrockConverseStream(
  body: AsyncIterable<Uint8Array>,
  route: Route,
  options: ChatStreamOptions,
  stamp: CompletionStamp,
): AsyncGenerator<ChatStreamEvent, void, undefined> {
  const state = createStreamState(stamp);
  let usage: Usage | null = null;
  for await (const messages of decodeBedrockEventStream(body, route)) {
    const out: ChatCompletionChunk[] = [];
    for (const message of messages) {
      if (message.messageType === 'exception' || message.messageType === 'error') {
        if (out.length > 0) yield encodeChunks(out);
        throw mapBedrockStreamException(message.type, message.payload, route, message.errorMessage);
      }
      if (message.messageType !== 'event') continue;
      if (message.type === 'metadata') {
        usage = convertBedrockUsage(readPayload(message, bedrockStreamMetadataSchema, route).usage);
      } else {
        translateEvent(state, message, route, out);
      }
      if (usage !== null && state.finishReason !== null) {
        if (out.length > 0) yield encodeChunks(out);
        yield { type: 'usage', usage, bytes: options.includeUsage ? encodeSseData({ ...baseChunk(state), choices: [], usage }) : null };
        yield { type: 'done', bytes: encodeSseDone() };
        return;
      }
    }
    if (out.length > 0) yield encodeChunks(out);
  }
  throw new UpstreamConnectionError(route.id, 'the event stream ended before messageStop and metadata');
}

/** Translated chunks as one `chunks` event: their SSE bytes and the chunks themselves. */
function encodeChunks(chunks: ChatCompletionChunk[]): ChatStreamEvent {
  const bytes = chunks.length === 1 ? encodeSseData(chunks[0]) : Buffer.concat(chunks.map((value) => encodeSseData(value)));
  return { type: 'chunks', bytes, chunks };
}

interface StreamState {
  stamp: CompletionStamp;
  started: boolean;
  /** contentBlockIndex -> index among the client's tool calls. */
  toolIndexByBlock: Map<number, number>;
  /** The content block that carries the forced JSON answer, if the model called that tool. */
  jsonAnswerBlock: number | null;
  finishReason: FinishReason | null;
}

function createStreamState(stamp: CompletionStamp): StreamState {
  return { stamp, started: false, toolIndexByBlock: new Map(), jsonAnswerBlock: null, finishReason: null };
}

function translateEvent(state: StreamState, message: BedrockStreamMessage, route: Route, out: ChatCompletionChunk[]): void {
  switch (message.type) {
    case 'messageStart':
      start(state, out);
      return;
    case 'contentBlockStart': {
      const event = readPayload(message, bedrockContentBlockStartSchema, route);
      const toolUse = event.start.toolUse;
      if (toolUse === undefined) return;
      start(state, out);
      if (toolUse.name === BEDROCK_JSON_RESPONSE_TOOL) {
        // Only the first answer is kept; the deltas of a further call match no block and are skipped.
        state.jsonAnswerBlock ??= event.contentBlockIndex;
        return;
      }
      const index = state.toolIndexByBlock.size;
      state.toolIndexByBlock.set(event.contentBlockIndex, index);
      out.push(chunk(state, { tool_calls: [{ index, id: toolUse.toolUseId, type: 'function', function: { name: toolUse.name, arguments: '' } }] }));
      return;
    }
    case 'contentBlockDelta': {
      const event = readPayload(message, bedrockContentBlockDeltaSchema, route);
      const { delta, contentBlockIndex } = event;
      start(state, out);
      if (delta.text !== undefined && delta.text !== '') {
        out.push(chunk(state, { content: delta.text }));
      } else if (delta.toolUse !== undefined && delta.toolUse.input !== '') {
        if (contentBlockIndex === state.jsonAnswerBlock) {
          out.push(chunk(state, { content: delta.toolUse.input }));
          return;
        }
        const index = state.toolIndexByBlock.get(contentBlockIndex);
        if (index !== undefined) out.push(chunk(state, { tool_calls: [{ index, function: { arguments: delta.toolUse.input } }] }));
      } else if (delta.reasoningContent?.text !== undefined && delta.reasoningContent.text !== '') {
        out.push(chunk(state, { reasoning_content: delta.reasoningContent.text }));
      }
      return;
    }
    case 'messageStop': {
      const event = readPayload(message, bedrockMessageStopSchema, route);
      start(state, out);
      let finishReason = mapBedrockStopReason(event.stopReason);
      if (finishReason === 'tool_calls' && state.jsonAnswerBlock !== null && state.toolIndexByBlock.size === 0) finishReason = 'stop';
      state.finishReason = finishReason;
      out.push(chunk(state, {}, finishReason));
      return;
    }
    default:
      // contentBlockStop carries nothing to translate; event types added later are skipped.
      return;
  }
}

/** The first chunk, once, before anything else is sent. */
function start(state: StreamState, out: ChatCompletionChunk[]): void {
  if (state.started) return;
  state.started = true;
  out.push(chunk(state, { role: 'assistant', content: '' }));
}

function baseChunk(state: StreamState): Pick<ChatCompletionChunk, 'id' | 'object' | 'created' | 'model'> {
  return { id: state.stamp.id, object: 'chat.completion.chunk', created: state.stamp.created, model: state.stamp.model };
}

function chunk(state: StreamState, delta: ChatCompletionChunkChoice['delta'], finishReason: FinishReason | null = null): ChatCompletionChunk {
  return { ...baseChunk(state), choices: [{ index: 0, delta, finish_reason: finishReason }] };
}

function readPayload<S extends z.ZodType>(message: BedrockStreamMessage, schema: S, route: Route): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(decodeBody(message.payload));
  } catch {
    throw invalidUpstreamResponse(route, `${message.type} event is not JSON`);
  }
  const checked = schema.safeParse(json);
  if (!checked.success) throw invalidUpstreamResponse(route, `unexpected ${message.type} event: ${checked.error.issues[0]?.message}`);
  return checked.data;
}
