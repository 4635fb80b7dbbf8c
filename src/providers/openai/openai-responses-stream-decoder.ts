// Streams a native Responses API answer through as bytes: forwards every SSE event unchanged, reads usage from the
// final event, and turns failures (`response.failed`, `error` events, an early end) into errors. Only events that can
// end the stream are JSON-parsed; text and argument deltas pass untouched.
// Sources: OpenAI API reference "Streaming events" (Responses): every event has `type` and `sequence_number` and is sent
// as `event: <type>` + `data: <json>`; the stream ends with `response.completed`, `response.incomplete` or
// `response.failed` (each carrying the whole Response, with `usage` on the first two), or with an `error` event
// (`{type: "error", code, message, param}`); there is no `data: [DONE]` marker.
import type { Route } from '../../catalog/index.ts';
import { UpstreamConnectionError, type Usage } from '../../wire/index.ts';
import type { ResponsesStreamOptions } from '../provider-adapter.ts';
import { createSseSplitter } from '../sse/index.ts';
import { convertOpenAIResponsesUsage, readResponseFailure, readResponsesErrorEvent } from './convert-openai-responses-response.ts';
import { openaiResponseSchema, openaiResponseStreamEventSchema } from './openai-api.ts';
import { joinAdjacent, type StreamErrorMapper } from './openai-stream-decoder.ts';
import { mapOpenAIStreamError } from './map-openai-error.ts';

/** Event types that end a Responses stream. */
const FINAL_TYPES: ReadonlySet<string> = new Set(['response.completed', 'response.incomplete', 'response.failed', 'error']);

/**
 * Forwards a Responses SSE stream: the events of one upstream chunk are yielded together. On `response.completed` or
 * `response.incomplete`, calls `options.onUsage` with its usage (in the chat `Usage` shape) just before yielding the
 * chunk that ends with that event, and stops there. Throws the mapped UpstreamError on `response.failed` or an
 * `error` event (after yielding the events before it; the failing event itself is not forwarded), and
 * UpstreamConnectionError when the body ends before a final event. Errors of the body itself pass through unchanged.
 */
export async function* decodeOpenAIResponsesStream(
  body: AsyncIterable<Uint8Array>,
  route: Route,
  options: ResponsesStreamOptions,
  mapStreamError: StreamErrorMapper = mapOpenAIStreamError,
): AsyncGenerator<Uint8Array, void, undefined> {
  const splitter = createSseSplitter();
  for await (const chunk of body) {
    const forward: Uint8Array[] = [];
    for (const event of splitter.push(chunk)) {
      const data = event.data;
      if (data === null || !mayEndStream(event.event, data)) {
        forward.push(event.raw);
        continue;
      }
      const json = parseJson(data);
      const checked = openaiResponseStreamEventSchema.safeParse(json);
      // Some OpenAI-compatible servers send an error as the chat streams do: `{"error": {...}}` without a `type`.
      const type = checked.success ? checked.data.type : hasTopLevelError(json) ? 'error' : event.event;
      if (type === null || !FINAL_TYPES.has(type)) {
        forward.push(event.raw);
        continue;
      }
      if (type === 'error') {
        if (forward.length > 0) yield joinAdjacent(forward);
        throw mapStreamError(readResponsesErrorEvent(json, data), route);
      }
      const response = openaiResponseSchema.safeParse(checked.success ? checked.data.response : undefined);
      if (type === 'response.failed') {
        if (forward.length > 0) yield joinAdjacent(forward);
        throw mapStreamError(readResponseFailure(response.success ? response.data.error : null), route);
      }
      const usage = response.success ? response.data.usage : null;
      if (usage !== null && usage !== undefined) options.onUsage(convertOpenAIResponsesUsage(usage) satisfies Usage);
      forward.push(event.raw);
      yield joinAdjacent(forward);
      return;
    }
    if (forward.length > 0) yield joinAdjacent(forward);
  }
  throw new UpstreamConnectionError(route.id, 'the stream ended before response.completed');
}

/**
 * Cheap pre-check before JSON.parse. With an `event:` field (OpenAI always sends one) its name decides; without one,
 * the data must hold one of the final type names as a quoted JSON string. Inside model text the quotes would be
 * escaped (`\"`), so deltas never match; a false positive only costs a parse.
 */
function mayEndStream(eventName: string | null, data: string): boolean {
  if (eventName !== null && eventName !== 'message') return FINAL_TYPES.has(eventName);
  return data.includes('"response.completed"') || data.includes('"response.incomplete"') || data.includes('"response.failed"') || data.includes('"error"');
}

function hasTopLevelError(json: unknown): boolean {
  return typeof json === 'object' && json !== null && (json as { error?: unknown }).error != null;
}

function parseJson(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}
