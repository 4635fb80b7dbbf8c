// Translates a streamed chat completion, chunk by chunk, into the Messages API's stream events: message_start and a
// ping, content blocks (thinking, text, tool_use) opened, filled by deltas and closed in order, then message_delta
// with the stop reason and the usage, and message_stop.
// Source: Anthropic API reference "Streaming Messages" (event flow, delta types, usage in message_delta).
import type { ChatCompletionChunk, MessagesStopReason, MessagesStreamEvent, Usage } from '../wire/index.ts';
import { readReasoning } from './convert-chat-completion-to-message.ts';
import { convertChatUsageToMessagesUsage } from './convert-chat-usage-to-messages-usage.ts';
import { mapFinishReasonToStopReason } from './map-finish-reason-to-stop-reason.ts';
import { signThinking } from './sign-thinking.ts';

/** One streamed message's translation; call `start`, then `push` per piece of the chat stream, then `finish`. */
export interface MessagesStreamTranslator {
  /** `message_start` (usage still zero: the real counts come in `message_delta`) and a `ping`. */
  start(): MessagesStreamEvent[];
  /** The events for these chunks (none when they carry nothing to show, such as a role-only first chunk). */
  push(chunks: readonly ChatCompletionChunk[]): MessagesStreamEvent[];
  /** Closes the open block, then `message_delta` with the stop reason and `usage` (null: the cloud reported none), and `message_stop`. */
  finish(usage: Usage | null): MessagesStreamEvent[];
}

type OpenBlock = { kind: 'text'; index: number } | { kind: 'thinking'; index: number; text: string } | { kind: 'tool'; index: number; toolIndex: number };

/** A translator for a message with id `id`, named `model` (the client's model name). */
export function createMessagesStreamTranslator(id: string, model: string): MessagesStreamTranslator {
  let open: OpenBlock | null = null;
  let nextIndex = 0;
  let stopReason: MessagesStopReason | null = null;
  let refused = false;
  // Chat tool indexes whose block was closed: a later fragment of one cannot reopen it (Anthropic blocks close once).
  const closedTools = new Set<number>();

  const close = (events: MessagesStreamEvent[]): void => {
    if (open === null) return;
    if (open.kind === 'thinking')
      events.push({ type: 'content_block_delta', index: open.index, delta: { type: 'signature_delta', signature: signThinking(open.text) } });
    if (open.kind === 'tool') closedTools.add(open.toolIndex);
    events.push({ type: 'content_block_stop', index: open.index });
    open = null;
  };
  const openText = (events: MessagesStreamEvent[]): number => {
    if (open?.kind === 'text') return open.index;
    close(events);
    open = { kind: 'text', index: nextIndex++ };
    events.push({ type: 'content_block_start', index: open.index, content_block: { type: 'text', text: '' } });
    return open.index;
  };

  return {
    start() {
      const message = { id, type: 'message' as const, role: 'assistant' as const, model, content: [], stop_reason: null, stop_sequence: null };
      return [{ type: 'message_start', message: { ...message, usage: convertChatUsageToMessagesUsage(null) } }, { type: 'ping' }];
    },
    push(chunks) {
      const events: MessagesStreamEvent[] = [];
      for (const chunk of chunks) {
        const choice = chunk.choices?.[0];
        if (choice === undefined) continue;
        const delta = choice.delta ?? {};
        const reasoning = readReasoning(delta);
        if (reasoning !== '') {
          if (open?.kind !== 'thinking') {
            close(events);
            open = { kind: 'thinking', index: nextIndex++, text: '' };
            events.push({ type: 'content_block_start', index: open.index, content_block: { type: 'thinking', thinking: '', signature: '' } });
          }
          open.text += reasoning;
          events.push({ type: 'content_block_delta', index: open.index, delta: { type: 'thinking_delta', thinking: reasoning } });
        }
        for (const text of [delta.content, delta.refusal]) {
          if (typeof text !== 'string' || text === '') continue;
          if (text === delta.refusal) refused = true;
          events.push({ type: 'content_block_delta', index: openText(events), delta: { type: 'text_delta', text } });
        }
        for (const call of delta.tool_calls ?? []) {
          const toolIndex = typeof call.index === 'number' ? call.index : 0;
          if (open?.kind !== 'tool' || open.toolIndex !== toolIndex) {
            if (closedTools.has(toolIndex)) continue;
            close(events);
            open = { kind: 'tool', index: nextIndex++, toolIndex };
            const block = { type: 'tool_use' as const, id: call.id ?? `toolu_${id}_${toolIndex}`, name: call.function?.name ?? '', input: {} };
            events.push({ type: 'content_block_start', index: open.index, content_block: block });
          }
          const fragment = call.function?.arguments;
          if (typeof fragment === 'string' && fragment !== '') {
            events.push({ type: 'content_block_delta', index: open.index, delta: { type: 'input_json_delta', partial_json: fragment } });
          }
        }
        if (choice.finish_reason !== null && choice.finish_reason !== undefined) stopReason = mapFinishReasonToStopReason(choice.finish_reason);
      }
      return events;
    },
    finish(usage) {
      const events: MessagesStreamEvent[] = [];
      close(events);
      const reason = refused ? 'refusal' : (stopReason ?? 'end_turn');
      events.push({ type: 'message_delta', delta: { stop_reason: reason, stop_sequence: null }, usage: convertChatUsageToMessagesUsage(usage) });
      events.push({ type: 'message_stop' });
      return events;
    },
  };
}

/** The SSE bytes of `events`: `event: <type>` and `data: <json>` each, as Anthropic sends them. */
export function encodeMessagesStreamEvents(events: readonly MessagesStreamEvent[]): string {
  let out = '';
  for (const event of events) out += `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
  return out;
}
