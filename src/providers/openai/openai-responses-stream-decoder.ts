// Streams a native Responses API answer through as bytes: forwards every SSE event unchanged with each parsed once (the
// relay rewrites every event), reads usage from the final event, and turns failures (`response.failed`, `error`
// events, an early end) into errors.
// Sources: OpenAI API reference "Streaming events" (Responses): every event has `type` and `sequence_number` and is sent
// as `event: <type>` + `data: <json>`; the stream ends with `response.completed`, `response.incomplete` or
// `response.failed` (each carrying the whole Response, with `usage` on the first two), or with an `error` event
// (`{type: "error", code, message, param}`); there is no `data: [DONE]` marker.
import type { Route } from '../../catalog/index.ts';
import { UpstreamConnectionError, type Usage } from '../../wire/index.ts';
import type { NativeResponsesEventValue, NativeResponsesStreamEvent } from '../provider-adapter.ts';
import { createSseSplitter, joinAdjacent } from '../sse/index.ts';
import { invalidUpstreamResponse } from './convert-openai-response.ts';
import { convertOpenAIResponsesUsage, readResponseFailure, readResponsesErrorEvent } from './convert-openai-responses-response.ts';
import { openaiResponseSchema } from './openai-api.ts';
import type { StreamErrorMapper } from './openai-stream-decoder.ts';
import { mapOpenAIStreamError } from './map-openai-error.ts';

/**
 * Forwards a Responses SSE stream as NativeResponsesStreamEvents: the events of one upstream chunk leave together as
 * one `events` piece (a view of the upstream's bytes, every event parsed). On `response.completed` or
 * `response.incomplete`, yields its usage (in the chat `Usage` shape) as a `usage` event, then the piece that ends with
 * that event as `end`, and stops there. Throws the mapped UpstreamError on `response.failed` or an `error` event
 * (after yielding the events before it; the failing event itself is not forwarded), invalidUpstreamResponse on an event
 * that is not a JSON object with a `type`, and UpstreamConnectionError when the body ends before a final event. Errors
 * of the body itself pass through unchanged.
 */
export async function* decodeOpenAIResponsesStream(
  body: AsyncIterable<Uint8Array>,
  route: Route,
  mapStreamError: StreamErrorMapper = mapOpenAIStreamError,
): AsyncGenerator<NativeResponsesStreamEvent, void, undefined> {
  const splitter = createSseSplitter();
  for await (const chunk of body) {
    const forward: Uint8Array[] = [];
    const events: NativeResponsesEventValue[] = [];
    for (const event of splitter.push(chunk)) {
      const data = event.data;
      if (data === null) {
        // Comments and keep-alives pass with the events around them.
        forward.push(event.raw);
        continue;
      }
      const json = parseJson(data);
      const record = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : null;
      // Some OpenAI-compatible servers send an error as the chat streams do: `{"error": {...}}` without a `type`.
      const type = typeof record?.type === 'string' ? record.type : record?.error != null || event.event === 'error' ? 'error' : null;
      if (type === 'error') {
        if (forward.length > 0) yield { type: 'events', bytes: joinAdjacent(forward), events };
        throw mapStreamError(readResponsesErrorEvent(json, data), route);
      }
      if (record === null || type === null) throw invalidUpstreamResponse(route, 'a Responses stream event is not a JSON object with a type');
      const value = record as NativeResponsesEventValue;
      if (type === 'response.failed') {
        if (forward.length > 0) yield { type: 'events', bytes: joinAdjacent(forward), events };
        const response = openaiResponseSchema.safeParse(value.response);
        throw mapStreamError(readResponseFailure(response.success ? response.data.error : null), route);
      }
      forward.push(event.raw);
      events.push(value);
      if (type === 'response.completed' || type === 'response.incomplete') {
        const response = openaiResponseSchema.safeParse(value.response);
        const usage = response.success ? response.data.usage : null;
        if (usage !== null && usage !== undefined) yield { type: 'usage', usage: convertOpenAIResponsesUsage(usage) satisfies Usage };
        yield { type: 'end', bytes: joinAdjacent(forward), events };
        return;
      }
    }
    if (forward.length > 0) yield { type: 'events', bytes: joinAdjacent(forward), events };
  }
  throw new UpstreamConnectionError(route.id, 'the stream ended before response.completed');
}

function parseJson(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}
