// Relays a cloud's own Responses stream (a route that serves POST /v1/responses natively) as Crossway's: the same
// events in the same order, renumbered, with every `response` object replaced by Crossway's (its id, its chain and
// conversation, the request's echo) carrying the cloud's output, usage and status. The final event is held back until
// the turn is stored and metered, exactly as for a translated chat stream.
import type { NativeResponsesEventValue } from '../providers/index.ts';
import { markReasoningOrigin, type ResponseStreamTranslator } from '../runtime/index.ts';
import type { ResponseError, ResponseObject, ResponseOutputItem, ResponseStreamEvent, ResponseUsage } from '../wire/index.ts';
import { turnResponse, type ResponseTurn } from './response-turn.ts';

const FINAL_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/**
 * A ResponseStreamTranslator whose `push` takes the cloud's Responses events (parsed once by the adapter); reasoning
 * items are marked as `provider`'s (see reasoning-origin.ts), wherever an event carries one.
 */
export function createNativeStreamRelay(turn: ResponseTurn, provider = ''): ResponseStreamTranslator<NativeResponsesEventValue> {
  let sequence = 0;
  let output: ResponseOutputItem[] = [];
  let current: ResponseObject = turnResponse(turn, { status: 'in_progress' });
  let held: Record<string, unknown> | null = null;

  const mark = (items: unknown[]): ResponseOutputItem[] => items.map((item) => markReasoningOrigin(item, provider)) as ResponseOutputItem[];
  const relay = (event: Record<string, unknown>): ResponseStreamEvent => {
    const upstream = event.response;
    const relayed: Record<string, unknown> = { ...event, sequence_number: sequence++ };
    if (typeof event.item === 'object' && event.item !== null) relayed.item = markReasoningOrigin(event.item, provider);
    if (typeof upstream === 'object' && upstream !== null) {
      const cloud = upstream as Record<string, unknown>;
      if (Array.isArray(cloud.output)) output = mark(cloud.output);
      current = turnResponse(turn, {
        status: cloud.status as ResponseObject['status'],
        output,
        usage: (cloud.usage ?? null) as ResponseUsage | null,
        error: (cloud.error ?? null) as ResponseError | null,
        incomplete_details: (cloud.incomplete_details ?? null) as ResponseObject['incomplete_details'],
      });
      relayed.response = current;
    }
    if (event.type === 'response.output_item.done' && typeof relayed.item === 'object' && relayed.item !== null) {
      const index = typeof event.output_index === 'number' ? event.output_index : output.length;
      output = [...output];
      output[index] = relayed.item as ResponseOutputItem;
    }
    return relayed as unknown as ResponseStreamEvent;
  };

  return {
    start: () => [],
    push(event) {
      if (FINAL_EVENTS.has(event.type)) {
        held = event;
        return [];
      }
      return [relay(event)];
    },
    finish(): ResponseStreamEvent[] {
      return held === null ? [] : [relay(held)];
    },
    fail(error: ResponseError): ResponseStreamEvent[] {
      current = turnResponse(turn, { status: 'failed', output, error });
      return [{ type: 'response.failed', sequence_number: sequence++, response: current } as unknown as ResponseStreamEvent];
    },
    output: () => [...output],
    response: () => {
      // Before the final event is relayed, the held one already says how the turn ended.
      if (held !== null && typeof held.response === 'object' && held.response !== null) {
        const cloud = held.response as Record<string, unknown>;
        return turnResponse(turn, {
          status: cloud.status as ResponseObject['status'],
          output: Array.isArray(cloud.output) ? mark(cloud.output) : output,
          usage: (cloud.usage ?? null) as ResponseUsage | null,
          error: (cloud.error ?? null) as ResponseError | null,
          incomplete_details: (cloud.incomplete_details ?? null) as ResponseObject['incomplete_details'],
        });
      }
      return current;
    },
  };
}
